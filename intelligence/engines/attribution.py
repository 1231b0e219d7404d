"""Multi-touch attribution: conversion paths from stored events and paid orders, credited to
channels by seven models side by side, with ROI and ROAS from marketing spend (call inside the
tenant's schema).

Definitions (docs/intelligence/attribution.md): a touch is the start of a visit (the first event of
a session, or an event without a session), with that event's channel; a conversion is a paid,
not-cancelled order with ``paid_at`` in the range, worth its total; its path is its customer's
touches (their own events and those of anonymous ids seen with them) in the look-back window before
``paid_at`` and after the customer's previous paid order, consecutive touches of one channel
collapsed into the last of them; a path without touches is ``direct``. Everyone else's touches in
the range after their last conversion form non-converting paths, which only the Markov model reads.

Paths come from one SQL statement; the rule-based models are vectorised pandas over the touches and
the Markov chain is numpy (absorption probabilities by solving the chain's linear equations).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection

from intelligence.ingest.channels import CHANNELS
from intelligence.ranges import DateRange
from suresh_ai.csvfile import csv_text, fixed, rupees
from suresh_ai.errors import ValidationFailed

MODELS = ("first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based", "markov")
MODEL_LABELS = {
    "first_touch": "First touch",
    "last_touch": "Last touch",
    "last_non_direct": "Last non-direct",
    "linear": "Linear",
    "time_decay": "Time decay",
    "position_based": "Position-based (40/20/40)",
    "markov": "Markov chain (removal effect)",
}
DIRECT = "direct"
DEFAULT_LOOKBACK_DAYS, MAX_LOOKBACK_DAYS = 30, 90
DEFAULT_HALF_LIFE_DAYS, MAX_HALF_LIFE_DAYS = 7.0, 90.0
# Position-based: the first and the last touch get 40% each, the touches between share 20%.
END_SHARE, MIDDLE_SHARE = 0.4, 0.2


@dataclass(frozen=True)
class AttributionParams:
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS


@dataclass(frozen=True)
class Credit:
    """What one model credits to one channel: fractional conversions and revenue."""

    conversions: float
    revenue_paise: float
    roi: float | None
    roas: float | None


@dataclass(frozen=True)
class ChannelAttribution:
    channel: str
    spend_paise: int
    removal_effect: float | None
    credits: dict[str, Credit]


@dataclass(frozen=True)
class AttributionReport:
    start: datetime
    end: datetime
    lookback_days: int
    half_life_days: float
    conversions: int
    revenue_paise: int
    spend_paise: int
    converting_paths: int
    non_converting_paths: int
    conversion_probability: float | None
    channels: list[ChannelAttribution]


def attribution_params(params: Any) -> AttributionParams:
    """``lookback_days`` (whole days, 1-90, default 30) and ``half_life_days`` (days, decimals
    allowed, above 0 and at most 90, default 7) from a QueryDict or dict."""
    lookback, half_life = DEFAULT_LOOKBACK_DAYS, DEFAULT_HALF_LIFE_DAYS
    raw = params.get("lookback_days")
    if raw not in (None, ""):
        try:
            lookback = int(str(raw))
        except ValueError:
            lookback = 0
        if not 1 <= lookback <= MAX_LOOKBACK_DAYS:
            raise ValidationFailed.for_field("lookback_days", f"A whole number of days from 1 to {MAX_LOOKBACK_DAYS}.")
    raw = params.get("half_life_days")
    if raw not in (None, ""):
        try:
            half_life = float(str(raw))
        except ValueError:
            half_life = 0.0
        if not 0 < half_life <= MAX_HALF_LIFE_DAYS:  # also refuses nan
            raise ValidationFailed.for_field(
                "half_life_days", f"A number of days above 0 and at most {MAX_HALF_LIFE_DAYS:g}."
            )
    return AttributionParams(lookback_days=lookback, half_life_days=half_life)


# --- Paths -----------------------------------------------------------------------------------------

# One statement builds every path and reads back only what the models need: the touches of the
# conversions (for the rule-based models) and the Markov chain's transition counts (for every
# path, converting or not), so the rows sent to Python grow with conversions, not with events.
#
# Its cost grows linearly with the events in the window, whatever the table statistics say: no
# join compares touches with conversions. Touches and paid orders form one stream per owner
# (customer or anonymous visitor), newest first; running minima over that stream give every touch
# the next paid order at or after it (ties: the touch belongs to the order, and of orders paid at
# the same instant to the first), which is "after the previous paid order, before this one" in one
# pass. Neighbours in the same stream (LEAD/LAG) give the transitions. The only join, events of an
# anonymous id to the customers it was seen with, is an equi-join on visitor_id.
# The plan must not depend on table statistics (autovacuum lags behind bulk loads, and is off on
# some machines): without them the planner guesses a handful of rows in the window and picks an
# index scan over (customer, occurred_at) that visits the heap at random (4x slower than a scan
# at 1.38M events) and could pick nested loops. So, for this statement only (SET LOCAL ends with
# the implicit transaction of the one round trip, or with the caller's transaction): no index
# scans (the BRIN bitmap scan stays), no nested loops, no JIT (with statistics the estimated cost
# would start compiling this large plan on every call, which its few expressions per row do not
# repay), and work_mem for the one large sort (the window's events by visitor, customer and
# visit) — see docs/intelligence/attribution.md.
PATHS_SETTINGS = (
    "SET LOCAL enable_indexscan = off; SET LOCAL enable_nestloop = off; SET LOCAL jit = off; "
    "SET LOCAL work_mem = '64MB'; "
)
PATHS_SQL = """
WITH starts AS MATERIALIZED (
    -- The first event of each visit per (visitor id, customer), which every owner's touches are
    -- chosen from, in one sort of the window's events. A visit has a few events, so the rest of
    -- the statement reads a fraction of the rows. Byte order for the text keys: only their
    -- equality matters, and "C" compares with memcmp and abbreviated keys where the database's
    -- collation calls strcoll. (No semicolons in this statement: it is sent after SET LOCALs.)
    SELECT DISTINCT ON (visitor_id COLLATE "C", customer_id, visit COLLATE "C") visitor_id COLLATE "C" AS visitor_id,
           customer_id, visit COLLATE "C" AS visit, channel, occurred_at, id
    FROM (
        SELECT id, visitor_id, customer_id, COALESCE(NULLIF(session_id, ''), 'event:' || event_id) AS visit,
               COALESCE(NULLIF(channel, ''), 'direct') AS channel, occurred_at
        FROM intelligence_event WHERE occurred_at >= %(since)s AND occurred_at < %(end)s
    ) ev
    ORDER BY visitor_id COLLATE "C", customer_id, visit COLLATE "C", occurred_at, id
), links AS (
    SELECT DISTINCT visitor_id, customer_id FROM starts WHERE customer_id IS NOT NULL
), owned AS (
    -- An event's owner is its customer, an anonymous one's the customers its visitor id was seen
    -- with in the window, else the anonymous visitor.
    SELECT s.id, s.visit, s.channel, s.occurred_at, COALESCE(s.customer_id, l.customer_id) AS customer_id,
           CASE WHEN s.customer_id IS NULL AND l.customer_id IS NULL THEN s.visitor_id END AS anonymous
    FROM starts s LEFT JOIN links l ON s.customer_id IS NULL AND l.visitor_id = s.visitor_id
), touches AS (
    SELECT DISTINCT ON (customer_id, anonymous, visit) customer_id, anonymous, channel, occurred_at
    FROM owned ORDER BY customer_id, anonymous, visit, occurred_at, id
), paid AS (
    SELECT customer_id, paid_at, ARRAY[ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY paid_at, id), id,
           total_paise] AS paid
    FROM intelligence_order WHERE paid_at >= %(since)s AND paid_at < %(end)s AND status <> 'cancelled'
), stream AS (
    SELECT customer_id, anonymous, occurred_at AS at, 0::bigint AS nth, channel, NULL::timestamptz AS paid_at,
           NULL::bigint[] AS paid
    FROM touches
    UNION ALL
    SELECT customer_id, NULL, paid_at, paid[1], NULL, paid_at, paid FROM paid
), placed AS (
    SELECT customer_id, anonymous, at, nth, channel, paid IS NOT NULL AS is_order,
           MIN(paid_at) OVER newest_first AS next_paid_at, MIN(paid) OVER newest_first AS next_paid
    FROM stream
    WINDOW newest_first AS (PARTITION BY customer_id, anonymous ORDER BY at DESC, nth DESC, channel DESC
                            ROWS UNBOUNDED PRECEDING)
), pathed AS (
    SELECT customer_id, anonymous, at, nth, channel, is_order, next_paid_at, next_paid[3] AS value,
           CASE WHEN next_paid IS NULL THEN CASE WHEN at >= %(start)s THEN 0 END
                WHEN next_paid_at >= %(start)s AND at >= next_paid_at - %(lookback)s THEN next_paid[2]
           END AS path
    FROM placed
), steps AS (
    SELECT path, is_order, channel, at, next_paid_at, value,
           LEAD(path) OVER newest_first AS earlier_path, LEAD(channel) OVER newest_first AS earlier_channel,
           LAG(path) OVER newest_first AS later_path
    FROM pathed WHERE path IS NOT NULL
    WINDOW newest_first AS (PARTITION BY customer_id, anonymous ORDER BY at DESC, nth DESC, channel DESC)
), rows AS (
    SELECT path, value, next_paid_at, at, channel,
           UNNEST(ARRAY[
               -- a touch of a conversion, for the rule-based models
               NOT is_order AND path > 0,
               -- a conversion without touches: one direct touch, start -> direct -> conversion
               is_order AND earlier_path IS DISTINCT FROM path,
               -- the step into a touch, from the touch before it in its path or from the start
               NOT is_order AND (earlier_path IS DISTINCT FROM path OR earlier_channel <> channel),
               -- the end of a path: the last touch of a conversion, or the last of a path without one
               is_order AND earlier_path = path,
               NOT is_order AND later_path IS DISTINCT FROM path
           ]) AS kept,
           UNNEST(ARRAY['touch', 'untouched', 'step', 'end', 'end']) AS kind,
           UNNEST(ARRAY[NULL, NULL, CASE WHEN earlier_path = path THEN earlier_channel END, earlier_channel, channel])
               AS source,
           UNNEST(ARRAY[channel, NULL, channel, NULL, NULL]) AS target
    FROM steps
)
SELECT kind, CASE WHEN kind IN ('touch', 'untouched') THEN path END,
       CASE WHEN kind IN ('touch', 'untouched') THEN value END,
       CASE WHEN kind IN ('touch', 'untouched') THEN next_paid_at END,
       CASE WHEN kind = 'touch' THEN at END, source, target, path > 0, COUNT(*)
FROM rows WHERE kept GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
"""
_COLUMNS = ["kind", "path", "value", "converted_at", "touched_at", "source", "target", "converted", "n"]


def _rows(sql: str, params: dict[str, Any] | list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _path_starts(paths: pd.DataFrame) -> np.ndarray:
    """True on the first row of each path (rows of one path adjacent)."""
    keys = paths["path"].to_numpy()
    return np.concatenate([[True], keys[1:] != keys[:-1]]) if len(keys) else np.zeros(0, dtype=bool)


def collapse(paths: pd.DataFrame) -> pd.DataFrame:
    """Consecutive touches of one channel in a path collapsed into the last of them (rows of one
    path adjacent and in order)."""
    channel = paths["channel"].to_numpy()
    repeated = np.concatenate([channel[:-1] == channel[1:], [False]]) if len(paths) else np.zeros(0, dtype=bool)
    repeated[:-1] &= ~_path_starts(paths)[1:]  # the next row is the same channel in the same path
    return paths[~repeated].reset_index(drop=True)


@dataclass(frozen=True)
class Paths:
    """What the models read. ``conversions``: one row per touch of each converting path, in path
    order — ``path`` (the order), ``value`` (paise), ``converted_at``, ``channel``, ``touched_at`` —
    consecutive touches of one channel collapsed into the last, and a conversion without touches
    given one ``direct`` touch at its payment time. ``moves``: the Markov chain's transition counts
    over every path (converting or not) after collapsing — ``source`` (None: the start),
    ``target`` (None: the end), ``converted`` (which end), ``n``."""

    conversions: pd.DataFrame
    moves: pd.DataFrame
    non_converting: int


def paths_for(start: datetime, end: datetime, *, lookback_days: int) -> Paths:
    """Every path of the range in one query (see PATHS_SQL); conversions' touches ordered by path,
    then time, then channel."""
    lookback = timedelta(days=lookback_days)
    params = {"since": start - lookback, "start": start, "end": end, "lookback": lookback}
    rows = _rows(PATHS_SETTINGS + PATHS_SQL, params)
    frame = pd.DataFrame(rows, columns=_COLUMNS)
    touched = frame[frame["kind"].isin(["touch", "untouched"])]
    conversions = pd.DataFrame(
        {
            "path": touched["path"].astype("int64"),
            "value": touched["value"].astype("int64"),
            "converted_at": pd.to_datetime(touched["converted_at"], utc=True),
            "channel": touched["target"].fillna(DIRECT),
            "touched_at": pd.to_datetime(touched["touched_at"], utc=True),
        }
    )
    untouched = touched["kind"].to_numpy() == "untouched"
    conversions.loc[untouched, "touched_at"] = conversions.loc[untouched, "converted_at"]
    conversions = collapse(conversions.sort_values(["path", "touched_at", "channel"], kind="stable"))

    moves = frame.loc[frame["kind"].isin(["step", "end"]), ["source", "target", "converted", "n"]]
    # A conversion without touches: start -> direct -> conversion.
    bare = int(frame.loc[frame["kind"] == "untouched", "n"].sum())
    if bare:
        extra = pd.DataFrame({"source": [None, DIRECT], "target": [DIRECT, None], "converted": [True, True], "n": bare})
        moves = pd.concat([moves, extra], ignore_index=True)
    moves = moves.astype({"converted": bool, "n": "int64"}).reset_index(drop=True)
    ends = moves["target"].isna()
    non_converting = int(moves.loc[ends & ~moves["converted"], "n"].sum())
    return Paths(conversions=conversions, moves=moves, non_converting=non_converting)


# --- Rule-based models -----------------------------------------------------------------------------


def rule_weights(conversions: pd.DataFrame, *, half_life_days: float) -> pd.DataFrame:
    """Each touch's share of its conversion under every rule-based model (each path's shares sum
    to 1), from the converting rows of :func:`paths_for`."""
    paths = conversions["path"]
    by_path = conversions.groupby("path", sort=False)
    position = by_path.cumcount()
    length = by_path["channel"].transform("size")
    first, last = position == 0, position == length - 1

    non_direct = conversions["channel"] != DIRECT
    last_non_direct = non_direct & (non_direct[::-1].groupby(paths[::-1]).cumsum()[::-1] == 1)
    any_non_direct = non_direct.groupby(paths).transform("any")

    age_days = (conversions["converted_at"] - conversions["touched_at"]).dt.total_seconds() / 86_400
    decay = np.exp2(-age_days / half_life_days)

    middle = MIDDLE_SHARE / (length - 2).clip(lower=1)
    return pd.DataFrame(
        {
            "first_touch": first.astype(float),
            "last_touch": last.astype(float),
            "last_non_direct": (last_non_direct | (~any_non_direct & last)).astype(float),
            "linear": 1.0 / length,
            "time_decay": decay / decay.groupby(paths).transform("sum"),
            "position_based": np.select(
                [length == 1, length == 2, first | last], [1.0, 0.5, END_SHARE], default=middle
            ),
        },
        index=conversions.index,
    )


# --- Markov chain ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarkovResult:
    conversion_probability: float
    removal_effects: dict[str, float]

    def shares(self) -> dict[str, float]:
        total = sum(self.removal_effects.values())
        return {c: (e / total if total else 0.0) for c, e in self.removal_effects.items()}


def path_moves(paths: pd.DataFrame) -> pd.DataFrame:
    """The transitions of paths given as rows (``path``, ``converted``, ``channel``; each path's rows
    adjacent and in order, already collapsed), counted as :attr:`Paths.moves` counts them."""
    starts = _path_starts(paths)
    ends = np.concatenate([starts[1:], [True]])
    channel = paths["channel"].to_numpy(object)
    previous = np.concatenate([np.full(1, None, dtype=object), channel[:-1]])
    previous[starts] = None  # a path's first touch comes from the start
    moves = pd.DataFrame(
        {
            "source": np.concatenate([previous, channel[ends]]),
            "target": np.concatenate([channel, np.full(int(ends.sum()), None, dtype=object)]),
            "converted": np.concatenate([np.zeros(len(channel), dtype=bool), paths["converted"].to_numpy(bool)[ends]]),
        }
    )
    counted = moves.fillna({"source": "", "target": ""}).value_counts().rename("n").reset_index()
    return counted.replace({"source": {"": None}, "target": {"": None}})


def markov_chain(paths: pd.DataFrame) -> MarkovResult:
    """:func:`markov_from_moves` over paths given as rows (see :func:`path_moves`)."""
    return markov_from_moves(path_moves(paths))


def markov_from_moves(moves: pd.DataFrame) -> MarkovResult:
    """First-order chain start → channels → conversion | null from the transition counts of every
    path (:attr:`Paths.moves`); the removal effect of a channel is 1 - P(conversion without it) /
    P(conversion), where removing it sends every transition into it to null."""
    named = pd.concat([moves["source"], moves["target"]]).dropna()
    channels = sorted({str(c) for c in named})
    transient = len(channels) + 1  # start (0) and the channels (1..k); conversion and null absorb
    conversion, null = transient, transient + 1
    index = {c: i for i, c in enumerate(channels, start=1)}
    sources = moves["source"].map(index).fillna(0).to_numpy("int64")
    ends = np.where(moves["converted"].to_numpy(bool), conversion, null)
    targets = np.where(moves["target"].isna(), ends, moves["target"].map(index).fillna(0)).astype("int64")
    size = transient + 2
    counts = np.bincount(
        sources * size + targets, weights=moves["n"].to_numpy("float64"), minlength=size * size
    ).reshape(size, size)[:transient]
    totals = counts.sum(axis=1, keepdims=True)
    probabilities = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    among, into_conversion = probabilities[:, :transient], probabilities[:, transient]

    def conversion_probability(q: np.ndarray) -> float:
        return float(np.linalg.solve(np.eye(transient) - q, into_conversion)[0])

    base = conversion_probability(among)
    effects: dict[str, float] = {}
    for i, channel in enumerate(channels, start=1):  # one small solve per channel, at most a dozen
        without = among.copy()
        without[:, i] = 0.0
        effects[channel] = max(0.0, 1.0 - conversion_probability(without) / base) if base > 0 else 0.0
    return MarkovResult(conversion_probability=base, removal_effects=effects)


# --- The report ------------------------------------------------------------------------------------


def _spend(span: DateRange) -> dict[str, int]:
    rows = _rows(
        "SELECT channel, SUM(amount_paise) FROM intelligence_marketingspend WHERE date >= %s AND date <= %s "
        "GROUP BY channel",
        [span.first, span.last],
    )
    return {channel: int(total) for channel, total in rows}


def _credit(conversions: Any, revenue: Any, spend: int) -> Credit:
    conversions, revenue = float(conversions), float(revenue)
    return Credit(
        conversions=round(conversions, 4),
        revenue_paise=round(revenue, 2),
        roi=round((revenue - spend) / spend, 4) if spend else None,
        roas=round(revenue / spend, 4) if spend else None,
    )


def _channel_order(channel: str) -> tuple[int, str]:
    return (CHANNELS.index(channel) if channel in CHANNELS else len(CHANNELS), channel)


def attribution_report(*, span: DateRange, params: AttributionParams) -> AttributionReport:
    """Conversions and revenue per channel under every model, with spend, ROI and ROAS (two
    queries). Channels listed: those on any path or with spend, in the order of CHANNELS."""
    paths = paths_for(span.start, span.end, lookback_days=params.lookback_days)
    spend = _spend(span)
    converting = paths.conversions
    values = converting.drop_duplicates("path")["value"]
    total_conversions, total_revenue = len(values), int(values.sum())

    weights = rule_weights(converting, half_life_days=params.half_life_days)
    by_channel = converting["channel"]
    conversions = weights.groupby(by_channel).sum()
    revenue = weights.mul(converting["value"], axis=0).groupby(by_channel).sum()

    markov = markov_from_moves(paths.moves) if total_conversions else None
    shares = markov.shares() if markov else {}
    conversions["markov"] = pd.Series(shares, dtype=float) * total_conversions
    revenue["markov"] = pd.Series(shares, dtype=float) * total_revenue

    on_paths = set(paths.moves["source"].dropna()) | set(paths.moves["target"].dropna())
    channels = sorted(on_paths | set(spend), key=_channel_order)
    conversions = conversions.reindex(channels, fill_value=0.0).fillna(0.0)
    revenue = revenue.reindex(channels, fill_value=0.0).fillna(0.0)
    rows = [
        ChannelAttribution(
            channel=channel,
            spend_paise=spend.get(channel, 0),
            removal_effect=round(markov.removal_effects.get(channel, 0.0), 6) if markov else None,
            credits={
                model: _credit(
                    float(conversions.at[channel, model]), float(revenue.at[channel, model]), spend.get(channel, 0)
                )
                for model in MODELS
            },
        )
        for channel in channels
    ]
    return AttributionReport(
        start=span.start,
        end=span.end,
        lookback_days=params.lookback_days,
        half_life_days=params.half_life_days,
        conversions=total_conversions,
        revenue_paise=total_revenue,
        spend_paise=sum(spend.values()),
        converting_paths=total_conversions,
        non_converting_paths=paths.non_converting,
        conversion_probability=round(markov.conversion_probability, 6) if markov else None,
        channels=rows,
    )


def attribution_csv(report: AttributionReport) -> str:
    """One row per channel and model, amounts in rupees."""
    rows = (
        (
            row.channel,
            model,
            fixed(row.credits[model].conversions, 4),
            rupees(row.credits[model].revenue_paise),
            rupees(row.spend_paise),
            fixed(row.credits[model].roi, 4),
            fixed(row.credits[model].roas, 4),
        )
        for row in report.channels
        for model in MODELS
    )
    return csv_text(["channel", "model", "conversions", "revenue_inr", "spend_inr", "roi", "roas"], rows)
