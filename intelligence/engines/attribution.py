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
_COLUMNS = ["path", "converted", "value", "converted_at", "channel", "touched_at"]


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

PATHS_SQL = """
WITH ev AS (
    SELECT id, visitor_id, customer_id, COALESCE(NULLIF(session_id, ''), 'event:' || event_id) AS visit,
           COALESCE(NULLIF(channel, ''), 'direct') AS channel, occurred_at
    FROM intelligence_event WHERE occurred_at >= %(since)s AND occurred_at < %(end)s
), links AS (
    SELECT DISTINCT visitor_id, customer_id FROM ev WHERE customer_id IS NOT NULL
), owned AS (
    SELECT ev.id, ev.visit, ev.channel, ev.occurred_at, COALESCE(ev.customer_id, l.customer_id) AS customer_id,
           CASE WHEN ev.customer_id IS NULL AND l.customer_id IS NULL THEN ev.visitor_id END AS anonymous
    FROM ev LEFT JOIN links l ON ev.customer_id IS NULL AND l.visitor_id = ev.visitor_id
), touches AS (
    SELECT DISTINCT ON (customer_id, anonymous, visit) customer_id, anonymous, channel, occurred_at
    FROM owned ORDER BY customer_id, anonymous, visit, occurred_at, id
), paid AS (
    SELECT id, customer_id, total_paise, paid_at,
           LAG(paid_at) OVER (PARTITION BY customer_id ORDER BY paid_at, id) AS previous_paid_at
    FROM intelligence_order WHERE paid_at >= %(since)s AND paid_at < %(end)s AND status <> 'cancelled'
), conversions AS (
    SELECT * FROM paid WHERE paid_at >= %(start)s
), last_conversion AS (
    SELECT customer_id, MAX(paid_at) AS paid_at FROM conversions GROUP BY customer_id
)
SELECT 'order:' || c.id, TRUE, c.total_paise, c.paid_at, t.channel, t.occurred_at
FROM conversions c LEFT JOIN touches t ON t.customer_id = c.customer_id
    AND t.occurred_at >= c.paid_at - %(lookback)s AND t.occurred_at <= c.paid_at
    AND (c.previous_paid_at IS NULL OR t.occurred_at > c.previous_paid_at)
UNION ALL
SELECT COALESCE('customer:' || t.customer_id, 'visitor:' || t.anonymous), FALSE, 0, NULL, t.channel, t.occurred_at
FROM touches t LEFT JOIN last_conversion lc ON lc.customer_id = t.customer_id
WHERE t.occurred_at >= %(start)s AND (lc.paid_at IS NULL OR t.occurred_at > lc.paid_at)
ORDER BY 1, 6, 5
"""


def _rows(sql: str, params: dict[str, Any] | list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _path_starts(paths: pd.DataFrame) -> np.ndarray:
    """True on the first row of each path (rows of one path are adjacent, as :func:`paths_for` returns them)."""
    keys = paths["path"].to_numpy()
    return np.concatenate([[True], keys[1:] != keys[:-1]]) if len(keys) else np.zeros(0, dtype=bool)


def paths_for(start: datetime, end: datetime, *, lookback_days: int) -> pd.DataFrame:
    """One row per touch, in path order: ``path`` (an order, or a customer or anonymous visitor
    without a later conversion), ``converted``, ``value`` (paise), ``converted_at``, ``channel``,
    ``touched_at``; consecutive touches of one channel collapsed into the last; a conversion
    without touches gets one ``direct`` touch at its payment time."""
    lookback = timedelta(days=lookback_days)
    rows = _rows(PATHS_SQL, {"since": start - lookback, "start": start, "end": end, "lookback": lookback})
    frame = pd.DataFrame(rows, columns=_COLUMNS)
    frame["converted"] = frame["converted"].astype(bool)
    frame["value"] = frame["value"].astype("int64")
    frame["converted_at"] = pd.to_datetime(frame["converted_at"], utc=True)
    frame["touched_at"] = pd.to_datetime(frame["touched_at"], utc=True)
    untouched = frame["channel"].isna()
    frame.loc[untouched, "channel"] = DIRECT
    frame.loc[untouched, "touched_at"] = frame.loc[untouched, "converted_at"]
    channel = frame["channel"].to_numpy()
    repeated = np.concatenate([channel[:-1] == channel[1:], [False]]) if len(frame) else np.zeros(0, dtype=bool)
    repeated[:-1] &= ~_path_starts(frame)[1:]  # the next row is the same channel in the same path
    return frame[~repeated].reset_index(drop=True)


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


def markov_chain(paths: pd.DataFrame) -> MarkovResult:
    """First-order chain start → channels → conversion | null from all paths (rows of
    :func:`paths_for`, each path's rows adjacent and in order); the removal effect of a channel is
    1 - P(conversion without it) / P(conversion), where removing it sends every transition into it
    to null."""
    codes, uniques = pd.factorize(paths["channel"], sort=True)
    channels = [str(c) for c in uniques]
    transient = len(channels) + 1  # start (0) and the channels (1..k); conversion and null absorb
    conversion, null = transient, transient + 1
    starts = _path_starts(paths)
    ends = np.concatenate([starts[1:], [True]])
    state = codes + 1
    previous = np.where(starts, 0, np.concatenate([[0], state[:-1]]))
    outcome = np.where(paths["converted"].to_numpy(bool)[ends], conversion, null)
    sources = np.concatenate([previous, state[ends]])
    targets = np.concatenate([state, outcome])
    size = transient + 2
    counts = np.bincount(sources * size + targets, minlength=size * size).reshape(size, size)[:transient]
    totals = counts.sum(axis=1, keepdims=True)
    moves = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    among, into_conversion = moves[:, :transient], moves[:, transient]

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
    converting = paths[paths["converted"]]
    values = converting.drop_duplicates("path")["value"]
    total_conversions, total_revenue = len(values), int(values.sum())

    weights = rule_weights(converting, half_life_days=params.half_life_days)
    by_channel = converting["channel"]
    conversions = weights.groupby(by_channel).sum()
    revenue = weights.mul(converting["value"], axis=0).groupby(by_channel).sum()

    markov = markov_chain(paths) if total_conversions else None
    shares = markov.shares() if markov else {}
    conversions["markov"] = pd.Series(shares, dtype=float) * total_conversions
    revenue["markov"] = pd.Series(shares, dtype=float) * total_revenue

    channels = sorted(set(paths["channel"]) | set(spend), key=_channel_order)
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
        non_converting_paths=int(paths.loc[~paths["converted"], "path"].nunique()),
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
