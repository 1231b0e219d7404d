"""The features a plan can include: one registry of the features that exist.

A plan's stored ``features`` may name others (planned ones were seeded with the launch plans); only
the codes registered here are shown on any page or in the API, and only these can be required by
``billing.selectors.require_feature``. A feature is added here when it ships, with what it does (for
the page a plan without it shows) and the page that opens it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    code: str
    name: str
    description: str
    page: str  # URL name of its page in the tenant URLconf


FEATURES: tuple[Feature, ...] = (
    Feature(
        "ai_content",
        "AI content generator",
        "Emails, product descriptions, blog and social posts and ad copy written in your brand voice, "
        "each saved with its cost and a quality score.",
        "ai-content",
    ),
    Feature(
        "chatbot",
        "AI chatbot",
        "Answers your customers on your site from your own FAQ, policies and products, streams its "
        "replies and hands a conversation to a person when it should.",
        "chat-inbox",
    ),
    Feature(
        "attribution",
        "Multi-touch attribution",
        "Credits each conversion and its revenue to the channels that led to it under seven models side "
        "by side (first and last touch, linear, time decay, position-based, Markov), with ROI and ROAS "
        "from your marketing spend.",
        "analytics-attribution",
    ),
)
_BY_CODE = {feature.code: feature for feature in FEATURES}


def feature_get(code: str) -> Feature | None:
    return _BY_CODE.get(code)


def features_existing(codes: Iterable[str]) -> list[Feature]:
    """The registered features among ``codes``, in registry order (unknown and planned codes left out)."""
    wanted = set(codes)
    return [feature for feature in FEATURES if feature.code in wanted]
