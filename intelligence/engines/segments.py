"""RFM segmentation (call inside the tenant's schema): quintile scores, named segments, daily
membership snapshots, movement between two days, audiences, and k-means on standardised log-RFM.

The rules (docs/intelligence/segments.md): per customer with at least one paid order (``paid_at``
set, not cancelled) up to the end of the as-of day (UTC), over all time: recency = days from the
last paid order to the as-of day, frequency = paid orders, monetary = their totals in paise. Each
is scored 1-5 (5 best) as ``1 + floor(5 * percent_rank)``, capped at 5, computed with integer
arithmetic from ``rank()``, so tied values always share the lower score. The segment is looked up
in GRID by the R score and FM, the mean of F and M rounded half up.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, QuerySet

from intelligence.models import Customer, SegmentSnapshot
from suresh_ai.errors import ValidationFailed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Segment:
    key: str
    label: str
    description: str


# Best to worst; the order of every list and table of segments.
SEGMENTS: tuple[Segment, ...] = (
    Segment("champions", "Champions", "Bought recently, buy often and spend the most."),
    Segment("loyal", "Loyal", "Buy often and spend well; bought fairly recently."),
    Segment("potential_loyalist", "Potential loyalist", "Recent customers with a few orders and average spend."),
    Segment("new", "New", "Bought very recently, once or twice, with low spend so far."),
    Segment("promising", "Promising", "Recent buyers with low frequency and spend."),
    Segment("need_attention", "Need attention", "Middling recency, frequency and spend."),
    Segment("about_to_sleep", "About to sleep", "Below-average recency, frequency and spend."),
    Segment("at_risk", "At risk", "Bought often and spent well, but a long time ago."),
    Segment("cant_lose", "Can't lose", "Were among the best customers, and have not bought for the longest."),
    Segment("hibernating", "Hibernating", "Last bought long ago, few orders, low spend."),
    Segment("lost", "Lost", "The lowest recency, frequency and spend."),
)
SEGMENT_KEYS: tuple[str, ...] = tuple(s.key for s in SEGMENTS)
SEGMENT_BY_KEY: dict[str, Segment] = {s.key: s for s in SEGMENTS}

# The segment of each (R, FM) cell: rows are FM from 5 down to 1, columns R from 1 to 5. After the
# widely used R x FM grid (Putler's table), resolved so that every cell has exactly one segment.
GRID: dict[int, tuple[str, str, str, str, str]] = {
    5: ("cant_lose", "at_risk", "loyal", "champions", "champions"),
    4: ("cant_lose", "at_risk", "loyal", "champions", "champions"),
    3: ("at_risk", "at_risk", "need_attention", "loyal", "loyal"),
    2: ("lost", "hibernating", "about_to_sleep", "potential_loyalist", "potential_loyalist"),
    1: ("lost", "hibernating", "about_to_sleep", "promising", "new"),
}

K_RANGE = range(2, 9)
# The silhouette score is quadratic in the points it reads: 5,000 customers take about 0.5 s on a
# two-core machine (10,000 took 3-5 s), and the estimate barely moves beyond that.
SILHOUETTE_SAMPLE = 5_000


def fm_score(f_score: int, m_score: int) -> int:
    """The mean of F and M rounded half up (what the SQL computes as ``(f + m + 1) / 2``)."""
    return (f_score + m_score + 1) // 2


def segment_of(r_score: int, f_score: int, m_score: int) -> str:
    return GRID[fm_score(f_score, m_score)][r_score - 1]


def _grid_arrays() -> dict[str, list[Any]]:
    cells = [(r, fm, GRID[fm][r - 1]) for fm in GRID for r in range(1, 6)]
    return {
        "grid_r": [c[0] for c in cells],
        "grid_fm": [c[1] for c in cells],
        "grid_segment": [c[2] for c in cells],
    }


def _params(day: date) -> dict[str, Any]:
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
    return {"day": day, "end": end, **_grid_arrays()}


# Scores and segments of every customer as of %(day)s, one pass over the orders and three window
# sorts; both the snapshot and the live counts start from it.
_SEGMENTED = """
WITH customer_rfm AS (
    SELECT customer_id,
           %(day)s::date - max((paid_at AT TIME ZONE 'UTC')::date) AS recency_days,
           count(*) AS frequency,
           sum(total_paise)::bigint AS monetary_paise
    FROM intelligence_order
    WHERE paid_at < %(end)s AND status <> 'cancelled'
    GROUP BY customer_id
), ranked AS (
    SELECT customer_id, recency_days, frequency, monetary_paise,
           greatest(count(*) OVER () - 1, 1) AS span,
           rank() OVER (ORDER BY recency_days DESC) - 1 AS r_rank,
           rank() OVER (ORDER BY frequency) - 1 AS f_rank,
           rank() OVER (ORDER BY monetary_paise) - 1 AS m_rank
    FROM customer_rfm
), scored AS (
    SELECT customer_id, recency_days, frequency, monetary_paise,
           least(5, 1 + 5 * r_rank / span)::int AS r_score,
           least(5, 1 + 5 * f_rank / span)::int AS f_score,
           least(5, 1 + 5 * m_rank / span)::int AS m_score
    FROM ranked
), segmented AS (
    SELECT s.*, g.segment
    FROM scored s
    JOIN unnest(%(grid_r)s::int[], %(grid_fm)s::int[], %(grid_segment)s::text[]) AS g(r, fm, segment)
      ON g.r = s.r_score AND g.fm = (s.f_score + s.m_score + 1) / 2
)
"""

# Appended to _SEGMENTED: store the day's rows, drop customers who no longer qualify.
_SNAPSHOT_TAIL = """
, removed AS (
    DELETE FROM intelligence_segmentsnapshot d
    WHERE d.day = %(day)s AND NOT EXISTS (SELECT 1 FROM segmented s WHERE s.customer_id = d.customer_id)
)
INSERT INTO intelligence_segmentsnapshot
    (day, customer_id, recency_days, frequency, monetary_paise, r_score, f_score, m_score, segment)
SELECT %(day)s, customer_id, recency_days, frequency, monetary_paise, r_score, f_score, m_score, segment
FROM segmented
ON CONFLICT (day, customer_id) DO UPDATE SET
    recency_days = EXCLUDED.recency_days, frequency = EXCLUDED.frequency,
    monetary_paise = EXCLUDED.monetary_paise, r_score = EXCLUDED.r_score, f_score = EXCLUDED.f_score,
    m_score = EXCLUDED.m_score, segment = EXCLUDED.segment
WHERE (intelligence_segmentsnapshot.recency_days, intelligence_segmentsnapshot.frequency,
       intelligence_segmentsnapshot.monetary_paise, intelligence_segmentsnapshot.segment,
       intelligence_segmentsnapshot.r_score, intelligence_segmentsnapshot.f_score,
       intelligence_segmentsnapshot.m_score)
    IS DISTINCT FROM (EXCLUDED.recency_days, EXCLUDED.frequency, EXCLUDED.monetary_paise, EXCLUDED.segment,
                      EXCLUDED.r_score, EXCLUDED.f_score, EXCLUDED.m_score)
"""
# Appended to _SEGMENTED: customers per (R, FM) cell; the 25 cells map to segments in Python.
_CELLS_TAIL = "SELECT r_score, (f_score + m_score + 1) / 2, count(*) FROM scored GROUP BY 1, 2"
# The three window sorts over every customer spill to disk with the default 4 MB (100,000
# customers need about 10 MB each); raised for the statement's transaction only.
_WORK_MEM = "SET LOCAL work_mem = '32MB'"


def _rows(sql: str, params: Any) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


# --- Service: the daily snapshot -------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotResult:
    day: date
    customers: int
    written: int


def segments_snapshot(*, day: date) -> SnapshotResult:
    """Compute and store every customer's scores and segment as of ``day`` in one statement.
    Running it again for the same day rewrites only rows whose values changed (``written``) and
    removes customers who no longer qualify, so a rerun leaves the same rows."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_WORK_MEM)
        cursor.execute(_SEGMENTED + _SNAPSHOT_TAIL, _params(day))
        written = cursor.rowcount
        cursor.execute("SELECT count(*) FROM intelligence_segmentsnapshot WHERE day = %s", [day])
        customers = int(cursor.fetchone()[0])
    logger.info("segments_snapshot_stored", extra={"day": day.isoformat(), "customers": customers, "written": written})
    return SnapshotResult(day=day, customers=customers, written=written)


def segments_prune(*, today: date) -> int:
    """Retention: every snapshot day of the last SEGMENT_SNAPSHOT_DAILY_DAYS, then the first day of
    each month for SEGMENT_SNAPSHOT_MONTHLY_MONTHS; the rows of other days are deleted (their
    count is returned). A workspace with 10,000 customers keeps about 1.1 million rows, not 3.65
    million a year."""
    daily_from = today - timedelta(days=settings.SEGMENT_SNAPSHOT_DAILY_DAYS)
    months = today.year * 12 + today.month - 1 - settings.SEGMENT_SNAPSHOT_MONTHLY_MONTHS
    monthly_from = date(months // 12, months % 12 + 1, 1)
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM intelligence_segmentsnapshot WHERE day < %s AND (day < %s OR extract(day FROM day) <> 1)",
            [daily_from, monthly_from],
        )
        deleted = cursor.rowcount
    if deleted:
        logger.info("segments_snapshots_pruned", extra={"rows": deleted, "daily_from": daily_from.isoformat()})
    return deleted


# --- Selectors -------------------------------------------------------------------------------------


def segments_live(*, day: date) -> dict[str, int]:
    """Customers per segment as of ``day``, computed from the orders without storing anything."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_WORK_MEM)
        cursor.execute(_SEGMENTED + _CELLS_TAIL, _params(day))
        cells = cursor.fetchall()
    counts = dict.fromkeys(SEGMENT_KEYS, 0)
    for r_score, fm, n in cells:
        counts[GRID[fm][r_score - 1]] += int(n)
    return counts


def latest_day() -> date | None:
    day: date | None = SegmentSnapshot.objects.aggregate(day=Max("day"))["day"]
    return day


def snapshot_days(*, limit: int = 120) -> list[date]:
    """The most recent snapshot days, newest first (a loose index scan: one probe per day)."""
    rows = _rows(
        """
        WITH RECURSIVE days AS (
            (SELECT day FROM intelligence_segmentsnapshot ORDER BY day DESC LIMIT 1)
            UNION ALL
            SELECT (SELECT s.day FROM intelligence_segmentsnapshot s WHERE s.day < days.day
                    ORDER BY s.day DESC LIMIT 1)
            FROM days WHERE days.day IS NOT NULL
        )
        SELECT day FROM days WHERE day IS NOT NULL LIMIT %s
        """,
        [limit],
    )
    return [r[0] for r in rows]


def _has_snapshot(day: date) -> bool:
    return SegmentSnapshot.objects.filter(day=day).exists()


def snapshot_day(day: date | None, *, field: str = "day") -> date | None:
    """``day`` when it has a snapshot (else a 400 naming ``field``); the latest day when None."""
    if day is None:
        return latest_day()
    if not _has_snapshot(day):
        raise ValidationFailed.for_field(field, f"No segment snapshot on {day.isoformat()}.")
    return day


@dataclass(frozen=True)
class SegmentRow:
    key: str
    label: str
    description: str
    customers: int
    share: float
    avg_recency_days: float | None
    avg_frequency: float | None
    avg_monetary_paise: int | None
    avg_r_score: float | None
    avg_f_score: float | None
    avg_m_score: float | None


@dataclass(frozen=True)
class SegmentSummary:
    day: date | None
    customers: int
    segments: list[SegmentRow]


def _round(value: Any, places: int) -> float | None:
    return None if value is None else round(float(value), places)


def segments_summary(*, day: date | None = None) -> SegmentSummary:
    """Customers, share and average R/F/M values and scores of every segment on one snapshot day
    (the latest by default); every segment is listed, empty ones with zeros."""
    day = snapshot_day(day)
    stats: dict[str, tuple[Any, ...]] = {}
    if day is not None:
        for row in _rows(
            "SELECT segment, count(*), avg(recency_days), avg(frequency), avg(monetary_paise), "
            "avg(r_score), avg(f_score), avg(m_score) FROM intelligence_segmentsnapshot WHERE day = %s "
            "GROUP BY segment",
            [day],
        ):
            stats[row[0]] = row[1:]
    total = sum(int(s[0]) for s in stats.values())
    rows = []
    for segment in SEGMENTS:
        n, recency, frequency, monetary, r, f, m = stats.get(segment.key, (0, None, None, None, None, None, None))
        rows.append(
            SegmentRow(
                key=segment.key,
                label=segment.label,
                description=segment.description,
                customers=int(n),
                share=round(int(n) / total, 4) if total else 0.0,
                avg_recency_days=_round(recency, 1),
                avg_frequency=_round(frequency, 2),
                avg_monetary_paise=None if monetary is None else round(float(monetary)),
                avg_r_score=_round(r, 2),
                avg_f_score=_round(f, 2),
                avg_m_score=_round(m, 2),
            )
        )
    return SegmentSummary(day=day, customers=total, segments=rows)


def _segment(segment: str) -> str:
    if segment not in SEGMENT_BY_KEY:
        raise ValidationFailed.for_field("segment", f"Choose one of: {', '.join(SEGMENT_KEYS)}.")
    return segment


def segment_members(*, segment: str, day: date | None = None) -> QuerySet[SegmentSnapshot]:
    """The snapshot rows (with their customers) of one segment on ``day`` (the latest by default)."""
    segment, day = _segment(segment), snapshot_day(day)
    if day is None:
        return SegmentSnapshot.objects.none()
    return SegmentSnapshot.objects.filter(day=day, segment=segment).select_related("customer")


def segment_customers(*, segment: str, day: date | None = None) -> QuerySet[Customer]:
    """The audience of one segment: its customers on ``day`` (the latest snapshot by default)."""
    members = segment_members(segment=segment, day=day).values("customer_id")
    return Customer.objects.filter(pk__in=members)


@dataclass(frozen=True)
class MovementCell:
    from_segment: str | None
    to_segment: str | None
    customers: int


@dataclass(frozen=True)
class Movement:
    from_day: date | None
    to_day: date | None
    stayed: int
    moved: int
    entered: int
    left: int
    cells: list[MovementCell]


def previous_day(day: date) -> date | None:
    found: date | None = SegmentSnapshot.objects.filter(day__lt=day).aggregate(day=Max("day"))["day"]
    return found


def segments_movement(*, from_day: date | None = None, to_day: date | None = None) -> Movement:
    """How many customers went from each segment on ``from_day`` to each on ``to_day``. By default
    ``to_day`` is the latest snapshot and ``from_day`` the one before it. ``None`` as a from-segment
    means the customer had no paid order yet (entered); as a to-segment, no longer qualifies."""
    to_day = snapshot_day(to_day, field="to")
    from_day = snapshot_day(from_day, field="from") if from_day is not None else None
    if from_day is None and to_day is not None:
        from_day = previous_day(to_day)
    if from_day is not None and to_day is not None and from_day >= to_day:
        raise ValidationFailed.for_field("from", "Before to.")
    order = {key: i for i, key in enumerate(SEGMENT_KEYS)}
    rows = (
        _rows(
            """
            SELECT a.segment, b.segment, count(*)
            FROM (SELECT customer_id, segment FROM intelligence_segmentsnapshot WHERE day = %s) a
            FULL OUTER JOIN (SELECT customer_id, segment FROM intelligence_segmentsnapshot WHERE day = %s) b
              ON a.customer_id = b.customer_id
            GROUP BY 1, 2
            """,
            [from_day, to_day],
        )
        if to_day is not None
        else []
    )
    cells = sorted(
        (MovementCell(a, b, int(n)) for a, b, n in rows),
        key=lambda c: (order.get(c.from_segment or "", -1), order.get(c.to_segment or "", len(order))),
    )
    return Movement(
        from_day=from_day,
        to_day=to_day,
        stayed=sum(c.customers for c in cells if c.from_segment is not None and c.from_segment == c.to_segment),
        moved=sum(
            c.customers for c in cells if None not in (c.from_segment, c.to_segment) and c.from_segment != c.to_segment
        ),
        entered=sum(c.customers for c in cells if c.from_segment is None),
        left=sum(c.customers for c in cells if c.to_segment is None),
        cells=cells,
    )


# --- K-means on standardised log-RFM (on demand, from a stored snapshot) ---------------------------


@dataclass(frozen=True)
class Cluster:
    cluster: int
    customers: int
    share: float
    recency_days: float
    frequency: float
    monetary_paise: int
    top_segment: str


@dataclass(frozen=True)
class ClusterResult:
    day: date
    k: int
    customers: int
    silhouette: float | None
    silhouette_sample: int
    clusters: list[Cluster]


def segments_clusters(*, k: int = 4, day: date | None = None) -> ClusterResult:
    """K-means (k from 2 to 8) of one snapshot day's customers on standardised log1p(recency,
    frequency, monetary), with a fixed seed, so the same data always gives the same clusters.
    Clusters are numbered by centroid spend, highest first; centroids are in original units
    (the back-transformed cluster centres). The silhouette score uses at most 5,000 customers
    (a fixed-seed sample)."""
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    if k not in K_RANGE:
        raise ValidationFailed.for_field("k", f"A whole number from {K_RANGE.start} to {K_RANGE.stop - 1}.")
    found = snapshot_day(day)
    if found is None:
        raise ValidationFailed.for_field("day", "No segment snapshot yet; compute one first.")
    rows = _rows(
        "SELECT recency_days, frequency, monetary_paise, segment FROM intelligence_segmentsnapshot "
        "WHERE day = %s ORDER BY customer_id",
        [found],
    )
    n = len(rows)
    if n <= k:
        raise ValidationFailed.for_field("k", f"Below the number of customers in the snapshot ({n}).")
    values = np.array([r[:3] for r in rows], dtype=float)
    segments = np.array([r[3] for r in rows])
    scaler = StandardScaler()
    features = scaler.fit_transform(np.log1p(np.maximum(values, 0)))
    sample = min(n, SILHOUETTE_SAMPLE)
    # One thread (OpenMP and BLAS): a web worker shares the machine, and threads competing for busy
    # cores made k-means 5-20 times slower than one thread (measured on two cores).
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        # Fewer distinct customers than k: sklearn says so and returns fewer real clusters.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = KMeans(n_clusters=k, n_init=10, random_state=0).fit(features)
        centres = np.expm1(scaler.inverse_transform(model.cluster_centers_))
        # Stable numbering: highest centroid spend first, then most recent.
        order = sorted(range(k), key=lambda c: (-centres[c, 2], centres[c, 0]))
        relabel = np.empty(k, dtype=int)
        relabel[order] = np.arange(k)
        labels = relabel[model.labels_]
        silhouette = (
            round(
                float(silhouette_score(features, labels, sample_size=sample if sample < n else None, random_state=0)), 4
            )
            if len(set(labels.tolist())) > 1
            else None
        )
    clusters = []
    for new, old in enumerate(order):
        members = labels == new
        names, counts = np.unique(segments[members], return_counts=True)
        top = str(names[int(np.argmax(counts))]) if counts.size else ""
        size = int(members.sum())
        clusters.append(
            Cluster(
                cluster=new,
                customers=size,
                share=round(size / n, 4),
                recency_days=round(float(centres[old, 0]), 1),
                frequency=round(float(centres[old, 1]), 2),
                monetary_paise=round(float(centres[old, 2])),
                top_segment=top,
            )
        )
    return ClusterResult(
        day=found, k=k, customers=n, silhouette=silhouette, silhouette_sample=sample, clusters=clusters
    )
