"""Funnels from stored events, computed in one SQL statement (call inside the tenant's schema).

Definition (docs/intelligence/funnels-retention.md): a visitor enters the funnel at their first
step-1 event in the date range; they reach step k when they do step k strictly after the time they
reached step k-1 and no later than the conversion window after their step-1 event (the earliest
such event counts, which is the best any ordered path can do). Steps may fall after the range's end
as long as they are inside the window. The breakdown is by the channel of the entering event.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction

from intelligence.ranges import range_from
from suresh_ai.csvfile import csv_text
from suresh_ai.errors import ValidationFailed

MIN_STEPS, MAX_STEPS = 2, 8
DEFAULT_STEPS = "page_view,add_to_cart,purchase"
DEFAULT_WINDOW_HOURS = 7 * 24
MAX_WINDOW_HOURS = 90 * 24
ALL = "all"  # the segment of every visitor; channels are lower-case names without spaces
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:- ")


@dataclass(frozen=True)
class StepSpec:
    """An event name, optionally limited to a path: exact, or a prefix when it ends with ``*``."""

    name: str
    path: str = ""

    @property
    def label(self) -> str:
        return f"{self.name}@{self.path}" if self.path else self.name


@dataclass(frozen=True)
class StepResult:
    step: int
    name: str
    path: str
    visitors: int
    conversion_from_previous: float | None
    conversion_from_start: float | None
    drop_off: int
    drop_off_rate: float | None
    median_seconds_from_previous: float | None
    median_seconds_from_start: float | None


@dataclass(frozen=True)
class FunnelSegment:
    """The funnel for everyone, or for the visitors who entered through one channel."""

    channel: str
    entered: int
    converted: int
    conversion_rate: float | None
    median_seconds_to_convert: float | None
    steps: list[StepResult]


@dataclass(frozen=True)
class Funnel:
    start: datetime
    end: datetime
    window_hours: int
    total: FunnelSegment
    channels: list[FunnelSegment]


def steps_from(raw: str | None) -> list[StepSpec]:
    """Steps from ``page_view,add_to_cart@/cart,purchase`` (names may not contain ``@`` or ``,``)."""
    parts = [p.strip() for p in (raw or DEFAULT_STEPS).split(",")]
    specs = []
    for part in parts:
        name, _, path = part.partition("@")
        name, path = name.strip(), path.strip()
        if not name or len(name) > 64 or not set(name) <= _NAME_CHARS:
            raise ValidationFailed.for_field(
                "steps", f"{part!r} is not an event name (letters, digits, _ . : - space)."
            )
        if path and (not path.startswith("/") or len(path) > 500):
            raise ValidationFailed.for_field(
                "steps", f"The path in {part!r} must start with / (at most 500 characters)."
            )
        specs.append(StepSpec(name, path))
    if not MIN_STEPS <= len(specs) <= MAX_STEPS:
        raise ValidationFailed.for_field("steps", f"Give {MIN_STEPS} to {MAX_STEPS} steps, separated by commas.")
    return specs


def window_from(raw: str | None) -> int:
    """The conversion window in hours (1 hour to 90 days; default 7 days)."""
    if raw in (None, ""):
        return DEFAULT_WINDOW_HOURS
    text = str(raw)
    if not text.isdigit() or not 1 <= int(text) <= MAX_WINDOW_HOURS:
        raise ValidationFailed.for_field("window_hours", f"A whole number of hours from 1 to {MAX_WINDOW_HOURS}.")
    return int(text)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _seconds(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def _matches(alias: str, spec: StepSpec, params: list[Any]) -> str:
    params.append(spec.name)
    if spec.path.endswith("*"):
        prefix = spec.path[:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.append(prefix + "%")
        return f"{alias}.name = %s AND {alias}.path LIKE %s"
    if spec.path:
        params.append(spec.path)
        return f"{alias}.name = %s AND {alias}.path = %s"
    return f"{alias}.name = %s"


def _sql(steps: list[StepSpec], start: datetime, end: datetime, window: timedelta) -> tuple[str, list[Any]]:
    """One statement. CTE s<k> holds one row per visitor who reached step k: the step-1 time t1, the
    entering channel ch, the step k-1 time tp and the step-k time t. Each stage joins the previous one
    with that step's events (read through the (name, occurred_at) index) and keeps the earliest, and
    each stage is counted on its own, so the large s1 is never joined back. Sorting by visitor uses the
    "C" collation (byte order): any consistent order does for DISTINCT ON, and it is twice as fast.
    Only identifiers we build here and %s placeholders go into the text."""
    params: list[Any] = []
    first = _matches("e", steps[0], params)
    params += [start, end]
    ctes = [
        'WITH s1 AS MATERIALIZED (SELECT DISTINCT ON (e.visitor_id COLLATE "C") e.visitor_id AS v, '  # noqa: S608
        "e.occurred_at AS t1, e.occurred_at AS t, COALESCE(NULLIF(e.channel, ''), 'direct') AS ch "
        f"FROM intelligence_event e WHERE {first} AND e.occurred_at >= %s AND e.occurred_at < %s "
        'ORDER BY e.visitor_id COLLATE "C", e.occurred_at)',
    ]
    for k, spec in enumerate(steps[1:], start=2):
        condition = _matches("c", spec, params)
        params += [start, end + window, window]
        ctes.append(
            f"s{k} AS MATERIALIZED (SELECT p.v, p.t1, p.ch, p.t AS tp, min(c.occurred_at) AS t "  # noqa: S608
            f"FROM s{k - 1} p JOIN intelligence_event c ON c.visitor_id = p.v AND {condition} "
            "AND c.occurred_at > %s AND c.occurred_at <= %s AND c.occurred_at > p.t AND c.occurred_at <= p.t1 + %s "
            "GROUP BY p.v, p.t1, p.ch, p.t)"
        )
    stages = [
        "SELECT 1, GROUPING(ch), ch, count(*), NULL::float8, NULL::float8 FROM s1 GROUP BY GROUPING SETS ((), (ch))"
    ]
    stages += [
        f"SELECT {k}, GROUPING(ch), ch, count(*), "  # noqa: S608
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t - tp)), "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t - t1)) "
        f"FROM s{k} GROUP BY GROUPING SETS ((), (ch))"
        for k in range(2, len(steps) + 1)
    ]
    return f"{', '.join(ctes)} {' UNION ALL '.join(stages)}", params


Cell = tuple[int, float | None, float | None]


def _segment(channel: str, cells: dict[tuple[int, str], Cell], steps: list[StepSpec]) -> FunnelSegment:
    """The segment's figures from its cells: (step, channel) -> (visitors, median from previous, from step 1)."""
    found = [cells.get((k, channel), (0, None, None)) for k in range(1, len(steps) + 1)]
    counts = [c[0] for c in found]
    results = []
    for k, spec in enumerate(steps):
        previous = counts[k - 1] if k else counts[0]
        results.append(
            StepResult(
                step=k + 1,
                name=spec.name,
                path=spec.path,
                visitors=counts[k],
                conversion_from_previous=_rate(counts[k], previous) if k else None,
                conversion_from_start=_rate(counts[k], counts[0]),
                drop_off=previous - counts[k],
                drop_off_rate=_rate(previous - counts[k], previous) if k else None,
                median_seconds_from_previous=_seconds(found[k][1]),
                median_seconds_from_start=_seconds(found[k][2]),
            )
        )
    return FunnelSegment(
        channel=channel,
        entered=counts[0],
        converted=counts[-1],
        conversion_rate=_rate(counts[-1], counts[0]),
        median_seconds_to_convert=results[-1].median_seconds_from_start,
        steps=results,
    )


def funnel(*, steps: list[StepSpec], start: datetime, end: datetime, window_hours: int) -> Funnel:
    """The funnel of visitors who entered in [start, end)."""
    if not MIN_STEPS <= len(steps) <= MAX_STEPS:
        raise ValidationFailed.for_field("steps", f"Give {MIN_STEPS} to {MAX_STEPS} steps, separated by commas.")
    sql, params = _sql(steps, start, end, timedelta(hours=window_hours))
    with transaction.atomic(), connection.cursor() as cursor:
        # The planner's row estimates for chained CTEs are far too high, which would switch on JIT
        # compilation (about a second of compiling for a query that runs in less) and spill sorts to disk.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    cells: dict[tuple[int, str], Cell] = {}
    entered: dict[str, int] = {}
    for step, grouped, channel, visitors, from_previous, from_start in rows:
        key = ALL if grouped else str(channel)
        cells[(int(step), key)] = (int(visitors), from_previous, from_start)
        if step == 1 and not grouped:
            entered[key] = int(visitors)
    channels = sorted(entered, key=lambda ch: (-entered[ch], ch))
    return Funnel(
        start=start,
        end=end,
        window_hours=window_hours,
        total=_segment(ALL, cells, steps),
        channels=[_segment(ch, cells, steps) for ch in channels],
    )


def funnel_from_query(params: Any) -> Funnel:
    """The funnel a query string asks for (``start``, ``end``, ``steps``, ``window_hours``)."""
    span = range_from(params)
    return funnel(
        steps=steps_from(params.get("steps")),
        start=span.start,
        end=span.end,
        window_hours=window_from(params.get("window_hours")),
    )


def funnel_csv(result: Funnel) -> str:
    """One row per step, for everyone (segment ``all``) and then for each entering channel."""
    fields = list(StepResult.__dataclass_fields__)
    rows = ((segment.channel, *astuple(step)) for segment in [result.total, *result.channels] for step in segment.steps)
    return csv_text(["segment", *fields], rows)
