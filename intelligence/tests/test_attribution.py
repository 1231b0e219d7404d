"""Attribution: every model on small hand-computed data, the Markov chain against an independent
implementation, the API (JSON, CSV, plan gate, validation) and the page."""

from __future__ import annotations

import itertools
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django_tenants.utils import schema_context

from intelligence.engines import attribution
from intelligence.ranges import DateRange
from intelligence.services import records_ingest
from suresh_ai.testing import TenantFixture, login_client
from tenants.models import Tenant
from tenants.selectors import tenancy_cache

T = datetime(2026, 11, 20, tzinfo=UTC)
NOVEMBER = DateRange(date(2026, 11, 1), date(2026, 11, 30))
RANGE = "start=2026-11-01&end=2026-11-30"


def _at(days: float) -> str:
    return (T + timedelta(days=days)).isoformat()


def _event(event_id: str, channel: str, days: float, *, anonymous: str = "", customer: str = "", session: str = ""):
    record: dict[str, Any] = {
        "event_id": event_id,
        "name": "page_view",
        "channel": channel,
        "session_id": session or event_id,
        "occurred_at": _at(days),
    }
    if anonymous:
        record["anonymous_id"] = anonymous
    if customer:
        record["customer_id"] = customer
    return record


def _order(external_id: str, customer: str, total: int, paid_days: float, status: str = "paid") -> dict[str, Any]:
    return {
        "external_id": external_id,
        "customer_id": customer,
        "status": status,
        "total_paise": total,
        "created_at": _at(paid_days - 0.01),
        "paid_at": _at(paid_days),
    }


@pytest.fixture
def shop(alpha: TenantFixture) -> TenantFixture:
    """T = 20 Nov 2026. Conversions in November (each path after collapsing, with touch ages):

    oA ₹900 (cust-a, paid T): paid_search 3d (anonymous "va"; a second event of that session is
        not a touch), organic_social 2d ("va"), email 1d ("va" with cust-a: links "va" to cust-a)
    oB ₹300 (cust-b, paid T+1d): organic_search 2d, direct (two direct visits in a row, collapsed
        into the later one) 1d
    oC1 ₹200 (cust-c, paid T-5d): referral 1d (a display visit 35d before is outside the 30-day look-back)
    oC2 ₹100 (cust-c, paid T-4d): no touch since oC1 -> direct
    Non-converting paths: "vx" [paid_search, email]; cust-a after oA [organic_social]; cust-d, whose
    only order was cancelled, [display]. Spend in November: paid_search ₹500, email ₹100, display ₹50.
    """
    with schema_context(alpha.tenant.schema_name):
        records_ingest(
            kind="events",
            records=[
                _event("a1", "paid_search", -3, anonymous="va"),
                _event("a1b", "direct", -3 + 1 / 1440, anonymous="va", session="a1"),
                _event("a2", "organic_social", -2, anonymous="va"),
                _event("a3", "email", -1, anonymous="va", customer="cust-a"),
                _event("a4", "organic_social", 2, customer="cust-a"),
                _event("b1", "organic_search", -1, customer="cust-b"),
                _event("b2", "direct", -0.5, customer="cust-b"),
                _event("b3", "direct", 0, customer="cust-b"),
                _event("c0", "display", -40, customer="cust-c"),
                _event("c1", "referral", -6, customer="cust-c"),
                _event("x1", "paid_search", -2, anonymous="vx"),
                _event("x2", "email", -1, anonymous="vx"),
                _event("d1", "display", -1, customer="cust-d"),
            ],
        )
        records_ingest(
            kind="orders",
            records=[
                _order("oA", "cust-a", 90_000, 0),
                _order("oB", "cust-b", 30_000, 1),
                _order("oC1", "cust-c", 20_000, -5),
                _order("oC2", "cust-c", 10_000, -4),
                _order("oD", "cust-d", 50_000, 0, status="cancelled"),
            ],
        )
        records_ingest(
            kind="spend",
            records=[
                {"channel": "paid_search", "campaign": "brand", "date": "2026-11-05", "amount_paise": 30_000},
                {"channel": "paid_search", "campaign": "generic", "date": "2026-11-06", "amount_paise": 20_000},
                {"channel": "email", "date": "2026-11-10", "amount_paise": 10_000},
                {"channel": "display", "date": "2026-11-12", "amount_paise": 5_000},
                {"channel": "paid_search", "campaign": "brand", "date": "2026-10-31", "amount_paise": 99_999},
            ],
        )
    return alpha


@pytest.fixture
def premium(shop: TenantFixture) -> Iterator[TenantFixture]:
    """The shop on Premium (attribution is not in the fixtures' Pro plan), rolled back with the test;
    the per-process tenant cache is emptied on the way in and out so the plan never leaks."""
    Tenant.objects.filter(pk=shop.tenant.pk).update(plan="premium")
    shop.tenant.refresh_from_db()
    tenancy_cache.clear()
    yield shop
    tenancy_cache.clear()


# Hand-computed credit per channel, models in attribution.MODELS order, as (conversions, revenue paise):
#   first / last / last non-direct: the whole conversion to that touch (oB's last non-direct is
#     organic_search, oC2's only touch is the direct fallback).
#   linear: oA 1/3 each (₹300), oB 1/2 each (₹150).
#   time decay, half-life 1 day: weights 2^-age: oA 1/8, 1/4, 1/2 -> 1/7, 2/7, 4/7 (₹128.57, ₹257.14,
#     ₹514.29); oB 1/4, 1/2 -> 1/3, 2/3 (₹100, ₹200); one-touch paths 1.
#   position-based: oA 0.4 / 0.2 / 0.4; oB 0.5 / 0.5.
#   Markov: transitions start->paid_search 2, ->organic_search, referral, direct, organic_social,
#     display 1 each (of 7); paid_search->organic_social 1/2, ->email 1/2; organic_social->email 1/2,
#     ->null 1/2; email->conversion 1/2, ->null 1/2; organic_search->direct; direct->conversion;
#     referral->conversion; display->null. P(conversion from email) = 1/2, organic_social 1/4,
#     paid_search 3/8, so P(conversion) = (2*3/8 + 1 + 1 + 1 + 1/4 + 0) / 7 = 4/7. Without
#     paid_search 13/28 (removal effect 3/16), organic_social 1/2 (1/8), email 3/7 (1/4),
#     organic_search 3/7 (1/4), direct 2/7 (1/2), referral 3/7 (1/4), display 4/7 (0); the
#     effects sum to 25/16, so the shares are 3/25, 2/25, 4/25, 4/25, 8/25, 4/25, 0 of the
#     4 conversions and ₹1,500.
EXPECTED = {
    "direct": [(1, 10_000), (2, 40_000), (1, 10_000), (1.5, 25_000), (1.6667, 30_000), (1.5, 25_000), (1.28, 48_000)],
    "organic_search": [
        (1, 30_000),
        (0, 0),
        (1, 30_000),
        (0.5, 15_000),
        (0.3333, 10_000),
        (0.5, 15_000),
        (0.64, 24_000),
    ],
    "paid_search": [(1, 90_000), (0, 0), (0, 0), (0.3333, 30_000), (0.1429, 12_857.14), (0.4, 36_000), (0.48, 18_000)],
    "organic_social": [(0, 0), (0, 0), (0, 0), (0.3333, 30_000), (0.2857, 25_714.29), (0.2, 18_000), (0.32, 12_000)],
    "email": [(0, 0), (1, 90_000), (1, 90_000), (0.3333, 30_000), (0.5714, 51_428.57), (0.4, 36_000), (0.64, 24_000)],
    "referral": [(1, 20_000), (1, 20_000), (1, 20_000), (1, 20_000), (1, 20_000), (1, 20_000), (0.64, 24_000)],
    "display": [(0, 0)] * 7,
}
REMOVAL_EFFECTS = {
    "direct": 0.5,
    "organic_search": 0.25,
    "paid_search": 0.1875,
    "organic_social": 0.125,
    "email": 0.25,
    "referral": 0.25,
    "display": 0.0,
}
# (ROI, ROAS) per model where there is spend: ROAS = revenue / spend, ROI = ROAS - 1.
RETURNS = {
    "paid_search": [(0.8, 1.8), (-1, 0), (-1, 0), (-0.4, 0.6), (-0.7429, 0.2571), (-0.28, 0.72), (-0.64, 0.36)],
    "email": [(-1, 0), (8, 9), (8, 9), (2, 3), (4.1429, 5.1429), (2.6, 3.6), (1.4, 2.4)],
    "display": [(-1, 0)] * 7,
}
SPEND = {"paid_search": 50_000, "email": 10_000, "display": 5_000}


def _report(**params: Any) -> attribution.AttributionReport:
    return attribution.attribution_report(span=NOVEMBER, params=attribution.AttributionParams(**params))


def test_every_model_on_hand_computed_paths(shop: TenantFixture, django_assert_max_num_queries: Any) -> None:
    with schema_context(shop.tenant.schema_name):
        _report()  # the first query in a schema also sets the search path
        with django_assert_max_num_queries(2):  # paths and spend
            report = _report(half_life_days=1)
    assert (report.conversions, report.revenue_paise, report.spend_paise) == (4, 150_000, 65_000)
    assert (report.converting_paths, report.non_converting_paths) == (4, 3)
    assert report.conversion_probability == 0.571429  # 4/7
    assert [r.channel for r in report.channels] == list(EXPECTED)
    credits = {r.channel: [(c.conversions, c.revenue_paise) for c in r.credits.values()] for r in report.channels}
    assert credits == EXPECTED
    assert {r.channel: r.removal_effect for r in report.channels} == REMOVAL_EFFECTS
    assert {r.channel: r.spend_paise for r in report.channels if r.spend_paise} == SPEND
    returns = {r.channel: [(c.roi, c.roas) for c in r.credits.values()] for r in report.channels if r.spend_paise}
    assert returns == RETURNS
    no_spend = [c for r in report.channels if not r.spend_paise for c in r.credits.values()]
    assert {(c.roi, c.roas) for c in no_spend} == {(None, None)}
    # Every model hands out exactly the conversions and revenue there are.
    for model in attribution.MODELS:
        assert round(sum(r.credits[model].conversions for r in report.channels), 3) == 4, model
        assert round(sum(r.credits[model].revenue_paise for r in report.channels)) == 150_000, model


def test_the_look_back_window_limits_paths(shop: TenantFixture) -> None:
    """With one day: oA keeps email (exactly 1 day old), oB its last direct visit, oC1 its referral."""
    with schema_context(shop.tenant.schema_name):
        report = _report(lookback_days=1)
    first = {r.channel: r.credits["first_touch"].conversions for r in report.channels}
    assert {c: n for c, n in first.items() if n} == {"direct": 2, "email": 1, "referral": 1}
    assert report.non_converting_paths == 3


def test_default_half_life_is_seven_days(shop: TenantFixture) -> None:
    """oB: organic_search 2 days old, direct 1 day: 2^(-2/7) / (2^(-2/7) + 2^(-1/7)) = 0.475265."""
    with schema_context(shop.tenant.schema_name):
        report = _report()
    decay = {r.channel: r.credits["time_decay"] for r in report.channels}
    assert report.half_life_days == 7.0
    assert decay["organic_search"].conversions == 0.4753
    assert decay["organic_search"].revenue_paise == 14_257.95


def test_no_data_gives_an_empty_report(beta: TenantFixture) -> None:
    with schema_context(beta.tenant.schema_name):
        report = _report()
    assert (report.conversions, report.revenue_paise, report.channels, report.conversion_probability) == (
        0,
        0,
        [],
        None,
    )


# --- The Markov chain against an independent implementation -----------------------------------


def _reference_removal_effects(paths: list[tuple[list[str], bool]]) -> tuple[float, dict[str, float]]:
    """An independent first-order Markov attribution: raw journeys collapsed with a plain loop,
    transition counts in dictionaries, and absorption probabilities by fixed-point iteration
    (x(s) = sum over t of P(s, t) * x(t), repeated until nothing moves) instead of a linear solve;
    a removed channel is a node whose probability is pinned to 0."""
    moves: dict[str, Counter[str]] = defaultdict(Counter)
    for channels, converted in paths:
        collapsed = [c for i, c in enumerate(channels) if i + 1 == len(channels) or channels[i + 1] != c]
        states = ["start", *(collapsed or ["direct"]), "conversion" if converted else "null"]
        for a, b in itertools.pairwise(states):
            moves[a][b] += 1

    def p_conversion(removed: str | None) -> float:
        x = dict.fromkeys([*moves, "null"], 0.0) | {"conversion": 1.0}
        for _ in range(100_000):
            new = {
                s: sum(n * (0.0 if t == removed else x[t]) for t, n in out.items()) / sum(out.values())
                for s, out in moves.items()
            }
            moved = max(abs(new[s] - x[s]) for s in new)
            x.update(new)
            if moved < 1e-15:
                break
        return x["start"]

    base = p_conversion(None)
    return base, {c: 1 - p_conversion(c) / base for c in moves if c != "start"}


def test_markov_matches_an_independent_implementation(alpha: TenantFixture) -> None:
    """Random journeys with loops (a -> b -> a) and repeats, stored as events and orders; the
    engine's removal effects and Markov credit equal the reference's from the raw journeys."""
    rng = random.Random(20261120)
    pool = ["direct", "organic_search", "paid_search", "email", "organic_social", "referral"]
    events, orders, journeys, values = [], [], [], []
    for person in range(60):
        channels = [rng.choice(pool) for _ in range(rng.randint(1, 5))]
        start = datetime(2026, 11, 3, tzinfo=UTC) + timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 23))
        converted = rng.random() < 0.45
        anonymous = not converted and rng.random() < 0.5
        who = {"anonymous_id": f"anon-{person}"} if anonymous else {"customer_id": f"cust-{person}"}
        for i, channel in enumerate(channels):
            events.append(
                {
                    "event_id": f"g{person}-{i}",
                    "name": "page_view",
                    "channel": channel,
                    "session_id": f"g{person}-{i}",
                    "occurred_at": (start + timedelta(hours=6 * i)).isoformat(),
                    **who,
                }
            )
        if converted:
            paid = start + timedelta(hours=6 * len(channels))
            value = rng.randint(1, 100) * 1_000
            orders.append(
                {
                    "external_id": f"order-{person}",
                    "customer_id": f"cust-{person}",
                    "status": "paid",
                    "total_paise": value,
                    "created_at": paid.isoformat(),
                    "paid_at": paid.isoformat(),
                }
            )
            values.append(value)
        journeys.append((channels, converted))
    with schema_context(alpha.tenant.schema_name):
        records_ingest(kind="events", records=events)
        records_ingest(kind="orders", records=orders)
        report = _report()
    base, effects = _reference_removal_effects(journeys)
    assert report.conversions == len(orders) > 10
    assert report.non_converting_paths == len(journeys) - len(orders)
    assert report.conversion_probability == pytest.approx(base, abs=1e-6)
    assert {r.channel: r.removal_effect for r in report.channels} == pytest.approx(effects, abs=1e-6)
    total = sum(effects.values())
    for row in report.channels:
        share = effects[row.channel] / total
        assert row.credits["markov"].conversions == pytest.approx(share * len(orders), abs=1e-4)
        assert row.credits["markov"].revenue_paise == pytest.approx(share * sum(values), abs=0.01)


def test_markov_on_a_loop_by_hand() -> None:
    """Paths a->b->a->conversion and b->null: from a, P = 1/2 (a->b or a->conversion, each 1/2 of
    a's two exits) + 1/2 * P(b); b exits to a once and to null once, so P(b) = P(a)/2 and
    P(a) = 1/2 + P(a)/4 = 2/3; start goes to a and b once each: P = (2/3 + 1/3) / 2 = 1/2.
    Without a: 0 (effect 1); without b: start->a then a->conversion 1/2: P = 1/4 (effect 1/2)."""
    import pandas as pd

    paths = pd.DataFrame(
        {"path": ["p1", "p1", "p1", "p2"], "converted": [True, True, True, False], "channel": ["a", "b", "a", "b"]}
    )
    result = attribution.markov_chain(paths)
    assert result.conversion_probability == pytest.approx(0.5, abs=1e-12)
    assert result.removal_effects == pytest.approx({"a": 1.0, "b": 0.5}, abs=1e-12)
    base, effects = _reference_removal_effects([(["a", "b", "a"], True), (["b"], False)])
    assert base == pytest.approx(0.5, abs=1e-12)
    assert effects == pytest.approx({"a": 1.0, "b": 0.5}, abs=1e-12)


# --- API and page ------------------------------------------------------------------------------


def test_api_report_csv_and_validation(premium: TenantFixture) -> None:
    client = premium.key_client()
    body = client.get(f"/api/v1/analytics/attribution/?{RANGE}&half_life_days=1").json()
    assert (body["conversions"], body["revenue_paise"], body["lookback_days"], body["half_life_days"]) == (
        4,
        150_000,
        30,
        1.0,
    )
    assert (body["start"], body["end"]) == ("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")
    email = next(r for r in body["channels"] if r["channel"] == "email")
    assert email == {
        "channel": "email",
        "spend_paise": 10_000,
        "removal_effect": 0.25,
        "credits": {
            model: {"conversions": conversions, "revenue_paise": revenue, "roi": roi, "roas": roas}
            for model, (conversions, revenue), (roi, roas) in zip(
                attribution.MODELS, EXPECTED["email"], RETURNS["email"], strict=True
            )
        },
    }
    exported = client.get(f"/api/v1/analytics/attribution.csv?{RANGE}&half_life_days=1")
    assert exported["Content-Type"].startswith("text/csv")
    lines = exported.content.decode().splitlines()
    assert lines[0] == '"channel","model","conversions","revenue_inr","spend_inr","roi","roas"'
    assert len(lines) == 1 + 7 * 7
    assert '"paid_search","time_decay",0.1429,128.57,500.00,-0.7429,0.2571' in lines  # -0.7429: a number
    assert '"direct","markov",1.2800,480.00,0.00,"",""' in lines
    for query, field, message in (
        ("lookback_days=0", "lookback_days", "A whole number of days from 1 to 90."),
        ("lookback_days=7.5", "lookback_days", "A whole number of days from 1 to 90."),
        ("half_life_days=abc", "half_life_days", "A number of days above 0 and at most 90."),
        ("half_life_days=0", "half_life_days", "A number of days above 0 and at most 90."),
        ("start=2026-12-01&end=2026-11-01", "start", "On or before end."),
    ):
        bad = client.get(f"/api/v1/analytics/attribution/?{query}")
        assert (bad.status_code, bad.json()["detail"]) == (400, {field: [message]}), query


def test_attribution_is_a_plan_feature(shop: TenantFixture) -> None:
    """The fixtures' Pro plan has no attribution: 403 naming the plans that have it."""
    tenancy_cache.clear()
    refused = shop.key_client().get("/api/v1/analytics/attribution/")
    assert refused.status_code == 403
    assert refused.json()["code"] == "feature_not_in_plan"
    assert refused.json()["detail"]["feature"] == "attribution"
    assert shop.key_client().get("/api/v1/analytics/attribution.csv").status_code == 403
    page = login_client(shop, shop.owner)
    assert page.get("/analytics/attribution/").status_code == 403
    assert page.get("/analytics/attribution/export.csv").status_code == 403


def test_each_workspace_sees_only_its_own_conversions(premium: TenantFixture, beta: TenantFixture) -> None:
    Tenant.objects.filter(pk=beta.tenant.pk).update(plan="premium")
    tenancy_cache.clear()
    assert premium.key_client().get(f"/api/v1/analytics/attribution/?{RANGE}").json()["conversions"] == 4
    other = beta.key_client().get(f"/api/v1/analytics/attribution/?{RANGE}").json()
    assert (other["conversions"], other["channels"]) == (0, [])


def test_page_chart_tables_and_csv(premium: TenantFixture) -> None:
    page = login_client(premium, premium.owner)
    html = page.get(f"/analytics/attribution/?{RANGE}&lookback_days=30&half_life_days=1&metric=revenue").content
    text = html.decode()
    assert "pygal-chart" in text
    assert "Revenue (₹) per channel by model" in text
    assert 'value="2026-11-01"' in text  # the range and the settings stay in the form
    assert 'name="half_life_days" min="0.1" max="90" step="any" value="1"' in text
    assert "₹1,500.00" in text
    assert "Markov chain (removal effect)" in text
    assert "ROAS 9.00" in text  # email, last touch
    exported = page.get(f"/analytics/attribution/export.csv?{RANGE}&half_life_days=1").content.decode()
    api = premium.key_client().get(f"/api/v1/analytics/attribution.csv?{RANGE}&half_life_days=1").content.decode()
    assert exported == api
    shown = page.get("/analytics/attribution/?lookback_days=500").content.decode()
    assert "lookback_days: A whole number of days from 1 to 90." in shown


# --- The plan at scale ---------------------------------------------------------------------------


def _plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


def test_the_paths_plan_needs_no_statistics(shop: TenantFixture) -> None:
    """Right after a load nobody has analysed (as here: autovacuum is off and the rows are few),
    the statement the report runs has no nested loop (touches x conversions, or events x links)
    and reads the events by a scan, not by an index walk that visits the heap at random; its cost
    then grows with the events whatever the planner guesses. The plan is taken from the SQL the
    report really sends (with whatever it sets first)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with schema_context(shop.tenant.schema_name):
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'intelligence_event'::regclass")
            assert cursor.fetchone()[0] == -1  # never analysed
        with CaptureQueriesContext(connection) as queries:
            attribution.paths_for(NOVEMBER.start, NOVEMBER.end, lookback_days=30)
        sent = next(q["sql"] for q in queries.captured_queries if "intelligence_event" in q["sql"])
        *settings, statement = [part for part in sent.split(";") if part.strip()]
        with connection.cursor() as cursor:
            for setting in settings:
                cursor.execute(setting)
            cursor.execute("EXPLAIN (FORMAT JSON) " + statement)
            plan = cursor.fetchone()[0][0]["Plan"]
    nodes = list(_plan_nodes(plan))
    assert [n["Node Type"] for n in nodes if n["Node Type"] == "Nested Loop"] == []
    event_reads = [n["Node Type"] for n in nodes if n.get("Relation Name") == "intelligence_event"]
    assert len(event_reads) == 1  # one pass over the window's events
    assert set(event_reads) <= {"Seq Scan", "Bitmap Heap Scan"}, event_reads
