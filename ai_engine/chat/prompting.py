"""What the bot says to the model and reads back: the grounded system prompt, the history, the
citations in an answer, and the phrases that mean "let me talk to a person"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ai_engine.chat.knowledge import Hit
from ai_engine.chat.models import KnowledgeSource, Message

# Said to the customer on a hand-off. Our text, stored as a ``system`` notice, never as a model answer.
HANDOFF_NOTICES = {
    "customer_request": "Of course. I have asked a member of our team to join; a person will reply here soon.",
    "no_relevant_knowledge": (
        "I could not find this in our help articles, so I have passed your question to our team. "
        "A person will reply here soon."
    ),
    "staff": "A member of our team has joined the conversation.",
    "assistant_unavailable": (
        "Our assistant cannot answer right now, so I have passed your message to our team. "
        "A person will reply here soon."
    ),
}
REOPEN_NOTICE = "The assistant is answering again."

# Asking for a person, in the words customers use (docs/ai-chatbot.md lists them). Whole phrases
# only: "the agent said my order shipped" is a question, not a request.
_PERSON = (
    r"(?:a |an |the |some |your |real |live |actual |human )*"
    r"(?:human|person|agent|representative|rep|someone|somebody|staff|executive|operator"
    r"|customer (?:care|service|support)|support team|team member)"
)
HUMAN_REQUEST_PATTERNS = (
    rf"\b(?:talk|speak|chat)(?:\s+to|\s+with)\s+{_PERSON}\b",
    rf"\b(?:connect|transfer|put)\s+me\s+(?:to|with|through to)\s+{_PERSON}\b",
    rf"\b(?:i\s+)?(?:want|need|would like)\s+(?:to\s+(?:talk|speak)\s+(?:to|with)\s+)?{_PERSON}\b",
    r"\b(?:real|live|actual)\s+(?:human|person|agent)\b",
    r"\bhuman\s+agent\b",
    r"^\s*(?:human|agent|person|representative)(?:\s+please|\s+pls)?\s*[.!?]*\s*$",
    # Hinglish: "insaan se baat karni hai", "kisi agent se baat karao"
    r"\b(?:insaan|insan|aadmi|banda|vyakti|agent|executive|kisi)\s+(?:\w+\s+)?se\s+baat\b",
)
# "I do not want to talk to a human" is not a request: a negation just before the phrase.
_NEGATION = re.compile(r"\b(?:not|don'?t|dont|never|no need|without)\b[\w\s']{0,20}$", re.IGNORECASE)
_HUMAN_REQUEST = re.compile("|".join(f"(?:{p})" for p in HUMAN_REQUEST_PATTERNS), re.IGNORECASE)
_CITATION = re.compile(r"\[(\d{1,2}(?:\s*,\s*\d{1,2})*)\]")


def asks_for_human(text: str) -> bool:
    match = _HUMAN_REQUEST.search(text)
    return match is not None and _NEGATION.search(text[: match.start()]) is None


# Small talk that needs no knowledge and no person: a message that is only a greeting, thanks or
# goodbye gets our own short reply (stored as a notice, not as a model answer) instead of a
# hand-off. Anything more ("hi, do you ship to Pune?") is a question.
_TAIL = r"(?:\s+(?:there|team|all|everyone|sir|madam|ma'?am|ji|so\s+much|a\s+lot|again))*\s*[!.,?:)]*\s*$"
_SMALL_TALK = (
    (
        re.compile(r"^\s*(?:hi+|hello+|hey+|namaste|namaskar|hola|good\s+(?:morning|afternoon|evening))" + _TAIL, re.I),
        "Hello! Ask me about our products, orders, delivery, payments or returns.",
    ),
    (
        re.compile(
            r"^\s*(?:thanks?|thank\s+you|thx|ty|dhanyavaad|shukriya|ok(?:ay)?|great|cool|got\s+it)" + _TAIL, re.I
        ),
        "You are welcome! Is there anything else I can help with?",
    ),
    (re.compile(r"^\s*(?:bye|goodbye|see\s+you)" + _TAIL, re.I), "Goodbye, and thank you for visiting!"),
)


def small_talk_reply(text: str) -> str | None:
    """Our reply to a message that is only a greeting, thanks or goodbye, else None."""
    return next((reply for pattern, reply in _SMALL_TALK if pattern.match(text)), None)


def system_prompt(*, brand_name: str, hits: Sequence[Hit]) -> str:
    sources = "\n\n".join(f"[{n}] {_label(hit)}\n{hit.text}" for n, hit in enumerate(hits, start=1))
    return (
        f"You are the customer assistant of {brand_name}. Answer the customer's last message using ONLY "
        "the numbered sources below. Cite the source of every fact with its number in square brackets, "
        "like [1] or [2]. If the sources do not contain the answer, say that you do not know and that a "
        "member of the team can help; never invent prices, policies, dates or other facts. Be brief and "
        "friendly, and answer in the customer's language.\n\n"
        f"Sources:\n\n{sources}"
    )


def _label(hit: Hit) -> str:
    kind = dict(KnowledgeSource.Kind.choices).get(hit.kind, hit.kind)
    heading = f" · {hit.heading}" if hit.heading and hit.heading != hit.title else ""
    return f"{kind}: {hit.title}{heading}"


def history_for_model(messages: Sequence[Message]) -> list[dict[str, str]]:
    """Earlier turns as chat messages: the customer as ``user``, the bot and the team as
    ``assistant`` (a team member's words marked as theirs). Notices are ours, not the conversation's."""
    turns: list[dict[str, str]] = []
    for message in messages:
        if message.role == Message.Role.USER:
            turns.append({"role": "user", "content": message.content})
        elif message.role == Message.Role.ASSISTANT:
            turns.append({"role": "assistant", "content": message.content})
        elif message.role == Message.Role.AGENT:
            turns.append({"role": "assistant", "content": f"(A member of our team wrote:) {message.content}"})
    return turns


def citations_in(text: str, hits: Sequence[Hit]) -> list[dict[str, Any]]:
    """The sources the answer actually cites ([1], [2, 3]), in order of first citation; numbers
    that name no source given to the model are ignored."""
    seen: list[int] = []
    for group in _CITATION.findall(text):
        for number in (int(n) for n in group.split(",")):
            if 1 <= number <= len(hits) and number not in seen:
                seen.append(number)
    citations = []
    for number in seen:
        hit = hits[number - 1]
        citation: dict[str, Any] = {"n": number, "source_id": hit.source_id, "title": hit.title, "kind": hit.kind}
        if hit.url:
            citation["url"] = hit.url
        citations.append(citation)
    return citations
