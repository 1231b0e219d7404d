"""The platform's prompt library: the built-in templates every workspace starts with.

Each workspace gets its own copy of these (``prompts.prompt_library_ensure``) as version 1 with the
production and staging labels on it; a workspace overrides a template by adding its own versions.
Placeholders use Python's ``string.Template`` syntax (``$name`` / ``${name}``): no logic, nothing
but the declared variables can be reached. Raise ``revision`` when a built-in's text changes: the
new text becomes a new version in every workspace (see ``prompt_library_ensure``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Output formats the quality checks know how to verify.
FORMATS = ("email", "markdown", "plain", "social", "json")
VARIABLE_TYPES = ("text", "long_text", "integer", "number", "choice", "url", "list")

COMMON_SYSTEM = (
    "You write for $business_name, a small online business in India. Write in clear, warm, "
    "plain English that a busy customer reads in seconds. Never invent facts, prices, discounts, "
    "deadlines or guarantees that are not given to you. Output only the requested text, with no "
    "preamble and no notes to the writer."
)
EMAIL_RULES = (
    "Format: the first line is 'Subject: ' followed by a subject of at most 60 characters, then a "
    "blank line, then the body. End with a short sign-off from $business_name."
)


@dataclass(frozen=True)
class BuiltinTemplate:
    key: str
    name: str
    description: str
    task: str  # gateway task: long_form or short
    output_format: str
    variables: list[dict[str, Any]]
    system: str
    user: str
    temperature: float = 0.7
    max_tokens: int = 600
    min_words: int | None = None
    max_words: int | None = None
    max_chars: int | None = None
    revision: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


def _var(name: str, label: str, type_: str = "text", *, required: bool = True, **spec: Any) -> dict[str, Any]:
    """One typed variable. ``mention``: the output should contain the value (quality check)."""
    return {"name": name, "label": label, "type": type_, "required": required, **spec}


BUSINESS = _var("business_name", "Business name", max_length=100)
BUSINESS_NAMED = _var("business_name", "Business name", max_length=100, mention=True)  # signs or names it

BUILTINS: tuple[BuiltinTemplate, ...] = (
    BuiltinTemplate(
        key="welcome_email",
        name="Welcome email",
        description="Greets a new customer after sign-up or a first order.",
        task="long_form",
        output_format="email",
        variables=[
            BUSINESS_NAMED,
            _var("customer_name", "Customer's first name", max_length=60, mention=True),
            _var("offer", "Welcome offer (optional)", required=False, max_length=200),
        ],
        system=COMMON_SYSTEM + " " + EMAIL_RULES,
        user=(
            "Write a welcome email to $customer_name, who has just joined $business_name. "
            "Thank them, say in one sentence what they can expect from us, and invite them to "
            "reply with any question. Welcome offer to mention, if any: $offer"
        ),
        min_words=60,
        max_words=220,
    ),
    BuiltinTemplate(
        key="upsell_email",
        name="Upsell email",
        description="Suggests a product that goes with what the customer bought.",
        task="long_form",
        output_format="email",
        variables=[
            BUSINESS_NAMED,
            _var("customer_name", "Customer's first name", max_length=60, mention=True),
            _var("purchased_product", "What they bought", max_length=120),
            _var("recommended_product", "Product to suggest", max_length=120, mention=True),
            _var("offer", "Offer (optional)", required=False, max_length=200),
        ],
        system=COMMON_SYSTEM + " " + EMAIL_RULES,
        user=(
            "Write a short email to $customer_name, who bought $purchased_product, suggesting "
            "$recommended_product and why the two go well together. Offer, if any: $offer"
        ),
        min_words=60,
        max_words=200,
    ),
    BuiltinTemplate(
        key="winback_email",
        name="Win-back email",
        description="Invites back a customer who has not bought for a while.",
        task="long_form",
        output_format="email",
        variables=[
            BUSINESS_NAMED,
            _var("customer_name", "Customer's first name", max_length=60, mention=True),
            _var("last_purchase", "Their last purchase", max_length=120),
            _var("days_since_purchase", "Days since that purchase", "integer", min=1, max=3650),
            _var("offer", "Come-back offer (optional)", required=False, max_length=200),
        ],
        system=COMMON_SYSTEM + " " + EMAIL_RULES,
        user=(
            "Write a friendly win-back email to $customer_name, whose last order ($last_purchase) "
            "was $days_since_purchase days ago. No guilt, no pressure; give one reason to come "
            "back now. Offer, if any: $offer"
        ),
        min_words=60,
        max_words=200,
    ),
    BuiltinTemplate(
        key="referral_message",
        name="Referral message",
        description="A message a customer can forward to a friend.",
        task="short",
        output_format="plain",
        variables=[
            BUSINESS_NAMED,
            _var("referrer_name", "Who is referring", max_length=60),
            _var("reward", "What the friend gets", max_length=120, mention=True),
            _var("referral_link", "Referral link", "url", mention=True),
        ],
        system=COMMON_SYSTEM,
        user=(
            "Write a message of at most 60 words that $referrer_name can send to a friend, "
            "recommending $business_name. The friend gets: $reward. Include this link exactly "
            "once: $referral_link"
        ),
        temperature=0.8,
        max_tokens=200,
        min_words=15,
        max_words=70,
    ),
    BuiltinTemplate(
        key="product_description",
        name="Product description",
        description="A product page description from its name, category and features.",
        task="long_form",
        output_format="plain",
        variables=[
            BUSINESS,
            _var("product_name", "Product name", max_length=120, mention=True),
            _var("category", "Category", max_length=80),
            _var("features", "Key features", "list", max_items=10, max_length=120),
            _var("audience", "Who it is for (optional)", required=False, max_length=120),
        ],
        system=COMMON_SYSTEM,
        user=(
            "Write a product description of 80 to 150 words for $product_name ($category). "
            "Features: $features. Audience, if given: $audience. Lead with the main benefit, "
            "then the features in flowing sentences; no bullet list, no headings."
        ),
        min_words=60,
        max_words=180,
    ),
    BuiltinTemplate(
        key="blog_post",
        name="Blog post",
        description="A Markdown blog post on a topic, with headings.",
        task="long_form",
        output_format="markdown",
        variables=[
            BUSINESS,
            _var("topic", "Topic", max_length=200),
            _var("keywords", "Keywords to include (optional)", "list", required=False, max_items=10, max_length=60),
            _var("word_count", "Length in words", "integer", min=300, max=2000, default=700),
        ],
        system=COMMON_SYSTEM,
        user=(
            "Write a blog post of about $word_count words on: $topic. Use Markdown: a title "
            "line starting with '# ', then sections with '## ' headings. Work in these keywords "
            "naturally, if any: $keywords"
        ),
        max_tokens=3000,
        min_words=250,
        max_words=2400,
        extra={"target_words_var": "word_count"},
    ),
    BuiltinTemplate(
        key="social_post",
        name="Social post",
        description="A post for Instagram, Facebook, X or LinkedIn.",
        task="short",
        output_format="social",
        variables=[
            BUSINESS,
            _var("platform", "Platform", "choice", choices=["instagram", "facebook", "x", "linkedin"]),
            _var("topic", "What the post is about", max_length=200),
            _var("hashtags", "Number of hashtags", "integer", min=0, max=10, default=3),
        ],
        system=COMMON_SYSTEM,
        user=(
            "Write one $platform post about: $topic. At most 250 characters of text, then exactly "
            "$hashtags relevant hashtags on the last line."
        ),
        temperature=0.9,
        max_tokens=200,
        max_chars=280,
    ),
    BuiltinTemplate(
        key="ad_copy",
        name="Ad copy",
        description="A headline and description for a search or social ad.",
        task="short",
        output_format="plain",
        variables=[
            BUSINESS,
            _var("product_name", "Product or service", max_length=120, mention=True),
            _var("platform", "Ad platform", "choice", choices=["google", "meta"]),
            _var("audience", "Audience", max_length=120),
            _var("offer", "Offer (optional)", required=False, max_length=120),
        ],
        system=COMMON_SYSTEM,
        user=(
            "Write $platform ad copy for $product_name aimed at $audience: a headline of at most "
            "30 characters on the first line, then a description of at most 90 characters. "
            "Offer, if any: $offer"
        ),
        temperature=0.8,
        max_tokens=120,
        min_words=5,
        max_words=40,
        extra={"line_chars": [["headline", 30], ["description", 90]]},
    ),
    BuiltinTemplate(
        key="campaign_copy",
        name="Campaign copy",
        description="The message for an email, SMS, WhatsApp or push campaign.",
        task="short",
        output_format="plain",
        variables=[
            BUSINESS,
            _var("campaign_name", "Campaign", max_length=120),
            _var("goal", "Goal", max_length=200),
            _var("audience", "Audience", max_length=120),
            _var("channel", "Channel", "choice", choices=["email", "sms", "whatsapp", "push"]),
        ],
        system=COMMON_SYSTEM,
        user=(
            "Write the $channel message for the campaign '$campaign_name'. Goal: $goal. "
            "Audience: $audience. Fit the channel: SMS and push at most 160 characters, "
            "WhatsApp at most 60 words, email at most 150 words."
        ),
        max_tokens=400,
        min_words=5,
        max_words=160,
        extra={
            "channel_var": "channel",
            "channel_limits": {
                "sms": {"max_chars": 160},
                "push": {"max_chars": 160},
                "whatsapp": {"max_words": 60},
                "email": {"max_words": 150},
            },
        },
    ),
    BuiltinTemplate(
        key="faq_answer",
        name="FAQ answer",
        description="Answers a customer question from the facts given.",
        task="short",
        output_format="plain",
        variables=[
            BUSINESS,
            _var("question", "Question", max_length=500),
            _var("facts", "Facts to answer from", "long_text", max_length=5000),
        ],
        system=COMMON_SYSTEM + " Answer only from the facts given; if they do not answer it, say so.",
        user="Facts:\n$facts\n\nQuestion: $question\n\nAnswer in at most 120 words.",
        temperature=0.2,
        max_tokens=300,
        min_words=5,
        max_words=140,
    ),
    BuiltinTemplate(
        key="summary",
        name="Summary",
        description="Summarises a text in a given number of words.",
        task="short",
        output_format="plain",
        variables=[
            BUSINESS,
            _var("text", "Text to summarise", "long_text", max_length=20000),
            _var("max_words", "At most this many words", "integer", min=20, max=500, default=100),
        ],
        system=COMMON_SYSTEM,
        user="Summarise the text below in at most $max_words words.\n\n$text",
        temperature=0.2,
        max_tokens=800,
        min_words=10,
        max_words=520,
        extra={"max_words_var": "max_words"},
    ),
    BuiltinTemplate(
        key="sentiment",
        name="Sentiment",
        description="Classifies a customer's text as positive, neutral or negative, with a reason.",
        task="short",
        output_format="json",
        variables=[
            BUSINESS,
            _var("text", "Customer text", "long_text", max_length=5000),
        ],
        system=(
            "You classify the sentiment of customer messages for $business_name. Answer with one "
            'JSON object only: {"label": "positive"|"neutral"|"negative", "score": a number from '
            '-1 to 1, "reason": at most 20 words}.'
        ),
        user="$text",
        temperature=0.0,
        max_tokens=120,
        extra={"json_keys": ["label", "score", "reason"]},
    ),
)


def builtin(key: str) -> BuiltinTemplate | None:
    return next((t for t in BUILTINS if t.key == key), None)
