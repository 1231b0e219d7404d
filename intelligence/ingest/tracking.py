"""The tracking snippet's events: page views, identify and custom events from a site's visitors,
turned into ``events`` records. No cookies: the snippet keeps an anonymous id in localStorage.

Obvious bots are dropped by their User-Agent (crawlers, headless browsers, link previewers,
monitoring); an event's time is the browser's, unless it is more than 7 days old or 5 minutes in
the future (a wrong clock), when the time it arrived is used instead.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from suresh_ai.errors import ValidationFailed

MAX_EVENTS = 50
BOT_USER_AGENT = re.compile(
    r"bot|crawl|spider|slurp|headless|lighthouse|pingdom|uptime|monitor|preview|facebookexternalhit|"
    r"whatsapp|curl|wget|python-requests|httpclient|java/|go-http|phantomjs|selenium|puppeteer|playwright",
    re.IGNORECASE,
)
UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def is_bot(user_agent: str) -> bool:
    return not user_agent.strip() or BOT_USER_AGENT.search(user_agent) is not None


def _when(raw: Any, now: datetime) -> datetime:
    parsed = parse_datetime(raw) if isinstance(raw, str) else None
    if parsed is None or parsed.tzinfo is None:
        return now
    if parsed > now + timedelta(minutes=5) or parsed < now - timedelta(days=7):
        return now
    return parsed


def records_from_beacon(body: Any) -> list[dict[str, Any]]:
    """The snippet's batch as ``events`` records (validated like any other by records_ingest)."""
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        raise ValidationFailed.for_field("events", "A list of events.")
    events = body["events"]
    if not 1 <= len(events) <= MAX_EVENTS:
        raise ValidationFailed.for_field("events", f"Send 1 to {MAX_EVENTS} events.")
    now = timezone.now()
    records: list[dict[str, Any]] = []
    for raw in events:
        if not isinstance(raw, dict):
            records.append({})  # reported by the validation as invalid, with its index
            continue
        kind = raw.get("type")
        name = {"page": "page_view", "identify": "identify"}.get(str(kind), raw.get("event"))
        url = str(raw.get("url") or "")
        query = parse_qs(urlsplit(url).query) if url else {}
        record: dict[str, Any] = {
            "event_id": raw.get("id"),
            "name": name,
            "anonymous_id": raw.get("anonymous_id") or "",
            "session_id": raw.get("session_id") or "",
            "url": url,
            "referrer": raw.get("referrer") or "",
            "occurred_at": _when(raw.get("ts"), now).isoformat(),
            "properties": raw.get("properties") if isinstance(raw.get("properties"), dict) else {},
        }
        user_id = raw.get("user_id")
        if isinstance(user_id, str | int) and not isinstance(user_id, bool) and str(user_id).strip():
            record["customer_id"] = str(user_id).strip()
        elif user_id not in (None, ""):
            record["customer_id"] = None  # reported as "customer_id: Input should be a valid string"
        for tag in UTM:
            if query.get(tag):
                record[tag] = query[tag][0][:100]
        records.append(record)
    return records
