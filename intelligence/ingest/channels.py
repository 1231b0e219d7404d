"""The marketing channel of a visit, from its UTM tags and referrer (documented rules, in order;
a simplified form of Google Analytics 4's default channel grouping).

1. utm_medium cpc/ppc/paid/paidsearch/paid_search: ``paid_search``, or ``paid_social`` when the
   source is a social network; paid_social/paidsocial: ``paid_social``;
   display/banner/cpm: ``display``; email/e-mail/newsletter: ``email``; sms/whatsapp: that name;
   affiliate: ``affiliate``; social/social-network/sm/organic_social: ``organic_social``;
   referral: ``referral``; any other medium: ``other``.
2. No medium but a utm_source: social network -> ``organic_social``, search engine ->
   ``organic_search``, else ``referral``.
3. No UTM: a referrer from a search engine -> ``organic_search``; from a social network ->
   ``organic_social``; from another site -> ``referral``; from the same site or none -> ``direct``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

CHANNELS = (
    "direct",
    "organic_search",
    "paid_search",
    "organic_social",
    "paid_social",
    "email",
    "sms",
    "whatsapp",
    "referral",
    "affiliate",
    "display",
    "other",
)
SEARCH = ("google.", "bing.", "duckduckgo.", "yahoo.", "yandex.", "baidu.", "ecosia.")
SOCIAL = (
    "facebook.",
    "fb.",
    "instagram.",
    "t.co",
    "twitter.",
    "x.com",
    "linkedin.",
    "lnkd.in",
    "youtube.",
    "pinterest.",
    "reddit.",
    "whatsapp.",
    "wa.me",
    "telegram.",
    "snapchat.",
    "sharechat.",
    "moj",
)
SOCIAL_SOURCES = ("facebook", "fb", "instagram", "ig", "twitter", "x", "linkedin", "youtube", "pinterest", "meta")
MEDIUM = {
    "paid_social": "paid_social",
    "paidsocial": "paid_social",
    "display": "display",
    "banner": "display",
    "cpm": "display",
    "email": "email",
    "e-mail": "email",
    "newsletter": "email",
    "sms": "sms",
    "whatsapp": "whatsapp",
    "affiliate": "affiliate",
    "social": "organic_social",
    "social-network": "organic_social",
    "sm": "organic_social",
    "organic_social": "organic_social",
    "referral": "referral",
}
PAID_SEARCH = ("cpc", "ppc", "paid", "paidsearch", "paid_search")


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _matches(host: str, patterns: tuple[str, ...]) -> bool:
    labels = host.removeprefix("www.").removeprefix("m.")
    return any(labels.startswith(p) or f".{p}" in f".{labels}" for p in patterns)


def channel_of(*, utm_source: str = "", utm_medium: str = "", referrer: str = "", url: str = "") -> str:
    medium, source = utm_medium.strip().lower(), utm_source.strip().lower()
    if medium:
        if medium in PAID_SEARCH:
            return "paid_social" if source in SOCIAL_SOURCES else "paid_search"
        return MEDIUM.get(medium, "other")
    if source:
        if source in SOCIAL_SOURCES or _matches(source, SOCIAL):
            return "organic_social"
        if _matches(source, SEARCH) or source in ("google", "bing", "duckduckgo", "yahoo"):
            return "organic_search"
        return "referral"
    host = _host(referrer)
    if not host or (url and host == _host(url)):
        return "direct"
    if _matches(host, SEARCH):
        return "organic_search"
    if _matches(host, SOCIAL):
        return "organic_social"
    return "referral"
