"""Date ranges from query strings: ``start`` and ``end`` as YYYY-MM-DD, both days included (UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from suresh_ai.errors import ValidationFailed

MAX_DAYS = 731
MIN_YEAR, MAX_YEAR = 2000, 2100
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class DateRange:
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=UTC)


def day_from(params: Any, name: str) -> date | None:
    """The day in ``params[name]`` (YYYY-MM-DD), None when absent; a 400 naming the field otherwise."""
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        day = date.fromisoformat(str(raw))
    except ValueError as exc:
        raise ValidationFailed.for_field(name, "A date like 2026-11-01.") from exc
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValidationFailed.for_field(name, f"A date between {MIN_YEAR} and {MAX_YEAR}.")
    return day


def range_from(params: Any) -> DateRange:
    """The range in ``params`` (a QueryDict or dict); by default the last 30 days to today."""
    today = timezone.now().date()
    last = day_from(params, "end") or today
    first = day_from(params, "start") or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ValidationFailed.for_field("start", "On or before end.")
    if (last - first).days >= MAX_DAYS:
        raise ValidationFailed.for_field("start", f"At most {MAX_DAYS} days in one range.")
    return DateRange(first, last)
