"""RFM scores, segments, snapshots, movement, k-means and the segments API and page, on small
hand-computed data.

Scoring (intelligence/engines/segments.py): with n customers, rank0 = rank() - 1 (ties share the
lowest), score = min(5, 1 + 5 * rank0 // (n - 1)). Recency ranks from the oldest (rank0 0) to the
most recent; frequency and monetary from the lowest. FM = (F + M + 1) // 2; segment = GRID[FM][R].

As of D = 31 Oct 2026 (10 customers, n - 1 = 9): rank0 0,1 -> 1; 2,3 -> 2; 4,5 -> 3; 6,7 -> 4; 8,9 -> 5.

    cust  recency  freq  monetary   R (rank0)  F (rank0)  M (rank0)  FM  segment
    c01      0       6    90,000    5 (9)      5 (9)      5 (9)      5   champions
    c02      2       1     5,000    5 (8)      1 (0)      2 (3)      2   potential_loyalist
    c03      5       4    40,000    4 (7)      4 (7)      4 (7)      4   champions
    c04     10       1     2,000    4 (6)      1 (0)      1 (1)      1   promising
    c05     20       2    12,000    3 (5)      3 (4)      3 (4)      3   need_attention
    c06     40       2    12,000    3 (4)      3 (4)      3 (4)      3   need_attention
    c07     60       5    60,000    2 (3)      5 (8)      5 (8)      5   at_risk
    c08     90       1     3,000    2 (2)      1 (0)      2 (2)      2   hibernating
    c09    200       3    30,000    1 (1)      4 (6)      4 (6)      4   cant_lose
    c10    300       1     1,000    1 (0)      1 (0)      1 (0)      1   lost

Not scored on D: c11 (only a cancelled order), c12 (paid on 1 Nov), c13 (never paid); c01's
cancelled order of 99,999 does not count, and its last order, paid at 04:00 IST on 1 Nov, is
22:30 UTC on 31 Oct (recency 0: days are UTC).

As of D2 = 5 Nov 2026, c12 (paid 1 Nov, 8,000) counts and c10 bought again on 4 Nov (20,000), so
11 customers, n - 1 = 10, score = 1 + rank0 // 2 (capped at 5):

    cust  recency  freq  monetary   R (rank0)  F (rank0)  M (rank0)  FM  segment
    c01      5       6    90,000    5 (8)      5 (10)     5 (10)     5   champions
    c02      7       1     5,000    4 (7)      1 (0)      2 (2)      2   potential_loyalist
    c03     10       4    40,000    4 (6)      5 (8)      5 (8)      5   champions
    c04     15       1     2,000    3 (5)      1 (0)      1 (0)      1   about_to_sleep
    c05     25       2    12,000    3 (4)      3 (4)      3 (4)      3   need_attention
    c06     45       2    12,000    2 (3)      3 (4)      3 (4)      3   at_risk
    c07     65       5    60,000    2 (2)      5 (9)      5 (9)      5   at_risk
    c08     95       1     3,000    1 (1)      1 (0)      1 (1)      1   lost
    c09    205       3    30,000    1 (0)      4 (7)      4 (7)      4   cant_lose
    c10      1       2    21,000    5 (10)     3 (4)      4 (6)      4   champions
    c12      4       1     8,000    5 (9)      1 (0)      2 (3)      2   potential_loyalist
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django_tenants.utils import schema_context

from intelligence.engines import segments
from intelligence.engines.segments import GRID, SEGMENT_KEYS, segment_of
from intelligence.models import Customer, SegmentSnapshot
from intelligence.services import records_ingest
from suresh_ai.errors import ValidationFailed
from suresh_ai.testing import TenantFixture, key_with, login_client, make_member
from tenants.models import Role

D = date(2026, 10, 31)
D2 = date(2026, 11, 5)

# (external id, recency days on D, paid orders, total paise)
CUSTOMERS = [
    ("c01", 0, 6, 90_000),
    ("c02", 2, 1, 5_000),
    ("c03", 5, 4, 40_000),
    ("c04", 10, 1, 2_000),
    ("c05", 20, 2, 12_000),
    ("c06", 40, 2, 12_000),
    ("c07", 60, 5, 60_000),
    ("c08", 90, 1, 3_000),
    ("c09", 200, 3, 30_000),
    ("c10", 300, 1, 1_000),
]

ON_D = {
    # customer: (recency, frequency, monetary, r, f, m, segment)
    "c01": (0, 6, 90_000, 5, 5, 5, "champions"),
    "c02": (2, 1, 5_000, 5, 1, 2, "potential_loyalist"),
    "c03": (5, 4, 40_000, 4, 4, 4, "champions"),
    "c04": (10, 1, 2_000, 4, 1, 1, "promising"),
    "c05": (20, 2, 12_000, 3, 3, 3, "need_attention"),
    "c06": (40, 2, 12_000, 3, 3, 3, "need_attention"),
    "c07": (60, 5, 60_000, 2, 5, 5, "at_risk"),
    "c08": (90, 1, 3_000, 2, 1, 2, "hibernating"),
    "c09": (200, 3, 30_000, 1, 4, 4, "cant_lose"),
    "c10": (300, 1, 1_000, 1, 1, 1, "lost"),
}

ON_D2 = {
    "c01": (5, 6, 90_000, 5, 5, 5, "champions"),
    "c02": (7, 1, 5_000, 4, 1, 2, "potential_loyalist"),
    "c03": (10, 4, 40_000, 4, 5, 5, "champions"),
    "c04": (15, 1, 2_000, 3, 1, 1, "about_to_sleep"),
    "c05": (25, 2, 12_000, 3, 3, 3, "need_attention"),
    "c06": (45, 2, 12_000, 2, 3, 3, "at_risk"),
    "c07": (65, 5, 60_000, 2, 5, 5, "at_risk"),
    "c08": (95, 1, 3_000, 1, 1, 1, "lost"),
    "c09": (205, 3, 30_000, 1, 4, 4, "cant_lose"),
    "c10": (1, 2, 21_000, 5, 3, 4, "champions"),
    "c12": (4, 1, 8_000, 5, 1, 2, "potential_loyalist"),
}


def _at(day: date, hour: int = 10) -> str:
    return datetime.combine(day, time(hour), tzinfo=UTC).isoformat()


def _order(external_id: str, customer: str, paid: str | None, total: int, status: str = "paid") -> dict[str, Any]:
    return {
        "external_id": external_id,
        "customer_id": customer,
        "status": status,
        "total_paise": total,
        "created_at": paid or _at(D - timedelta(days=1)),
        "paid_at": paid,
    }


def _orders() -> list[dict[str, Any]]:
    orders = []
    for customer, recency, frequency, monetary in CUSTOMERS:
        last = D - timedelta(days=recency)
        for i in range(frequency):  # the last order at `recency`, the others a week apart before it
            orders.append(_order(f"{customer}-{i}", customer, _at(last - timedelta(days=7 * i)), monetary // frequency))
    orders[0]["paid_at"] = orders[0]["created_at"] = "2026-11-01T04:00:00+05:30"  # c01's last: 22:30 UTC on D
    orders += [
        _order("c01-cancelled", "c01", _at(D), 99_999, status="cancelled"),
        _order("c11-0", "c11", _at(D - timedelta(days=3)), 50_000, status="cancelled"),
        _order("c12-0", "c12", _at(date(2026, 11, 1)), 8_000),
        _order("c13-0", "c13", None, 7_000, status="created"),
    ]
    return orders


@pytest.fixture
def shop(alpha: TenantFixture) -> TenantFixture:
    with schema_context(alpha.tenant.schema_name):
        result = records_ingest(kind="orders", records=_orders())
        assert result.errors == []
    return alpha


def _later_orders() -> None:
    records_ingest(kind="orders", records=[_order("c10-1", "c10", _at(date(2026, 11, 4)), 20_000)])


def _stored(day: date) -> dict[str, tuple[Any, ...]]:
    return {
        row[0]: row[1:]
        for row in SegmentSnapshot.objects.filter(day=day).values_list(
            "customer__external_id",
            "recency_days",
            "frequency",
            "monetary_paise",
            "r_score",
            "f_score",
            "m_score",
            "segment",
        )
    }


# --- Rules ---------------------------------------------------------------------------------------


def test_every_grid_cell_has_one_segment_and_every_segment_a_cell() -> None:
    assert sorted(GRID) == [1, 2, 3, 4, 5]
    cells = {segment_of(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)}
    assert cells == set(SEGMENT_KEYS)
    assert len(SEGMENT_KEYS) == 11
    # FM rounds half up: F 4 and M 5 make 5; F 1 and M 2 make 2.
    assert segment_of(5, 4, 5) == "champions"
    assert segment_of(5, 1, 2) == "potential_loyalist"
    assert segment_of(5, 1, 1) == "new"
    assert segment_of(3, 5, 5) == "loyal"
    assert segment_of(3, 2, 1) == "about_to_sleep"


# --- Snapshots -----------------------------------------------------------------------------------


def test_snapshot_scores_and_segments_by_hand(shop: TenantFixture) -> None:
    with schema_context(shop.tenant.schema_name):
        result = segments.segments_snapshot(day=D)
        assert (result.day, result.customers, result.written) == (D, 10, 10)
        assert _stored(D) == ON_D
        assert set(SegmentSnapshot.objects.filter(day=D).values_list("cluster", flat=True)) == {None}


def test_snapshot_rerun_is_idempotent_and_drops_customers_who_no_longer_qualify(shop: TenantFixture) -> None:
    with schema_context(shop.tenant.schema_name):
        segments.segments_snapshot(day=D)
        ids = dict(SegmentSnapshot.objects.filter(day=D).values_list("customer__external_id", "pk"))
        again = segments.segments_snapshot(day=D)
        assert (again.customers, again.written) == (10, 0)
        assert dict(SegmentSnapshot.objects.filter(day=D).values_list("customer__external_id", "pk")) == ids
        assert _stored(D) == ON_D
        # c10's only order is cancelled afterwards: a rerun removes c10 and rescores the other nine.
        records_ingest(
            kind="orders", records=[_order("c10-0", "c10", _at(D - timedelta(days=300)), 1_000, "cancelled")]
        )
        third = segments.segments_snapshot(day=D)
        assert third.customers == 9
        assert "c10" not in _stored(D)
        assert SegmentSnapshot.objects.count() == 9


def test_live_counts_match_the_snapshot(shop: TenantFixture) -> None:
    with schema_context(shop.tenant.schema_name):
        live = segments.segments_live(day=D)
        assert live == {
            "champions": 2,
            "loyal": 0,
            "potential_loyalist": 1,
            "new": 0,
            "promising": 1,
            "need_attention": 2,
            "about_to_sleep": 0,
            "at_risk": 1,
            "cant_lose": 1,
            "hibernating": 1,
            "lost": 1,
        }
        assert segments.segments_live(day=date(2020, 1, 1)) == dict.fromkeys(SEGMENT_KEYS, 0)


def test_summary_counts_shares_and_averages(shop: TenantFixture) -> None:
    with schema_context(shop.tenant.schema_name):
        assert segments.segments_summary().day is None
        segments.segments_snapshot(day=D)
        summary = segments.segments_summary()
    assert (summary.day, summary.customers) == (D, 10)
    rows = {r.key: r for r in summary.segments}
    assert [r.key for r in summary.segments] == list(SEGMENT_KEYS)
    champions = rows["champions"]  # c01 and c03
    assert (champions.customers, champions.share) == (2, 0.2)
    assert (champions.avg_recency_days, champions.avg_frequency, champions.avg_monetary_paise) == (2.5, 5.0, 65_000)
    assert (champions.avg_r_score, champions.avg_f_score, champions.avg_m_score) == (4.5, 4.5, 4.5)
    need = rows["need_attention"]  # c05 and c06
    assert (need.customers, need.avg_recency_days, need.avg_frequency, need.avg_monetary_paise) == (
        2,
        30.0,
        2.0,
        12_000,
    )
    loyal = rows["loyal"]
    assert (loyal.customers, loyal.share, loyal.avg_recency_days, loyal.avg_monetary_paise) == (0, 0.0, None, None)


def test_movement_between_two_days(shop: TenantFixture) -> None:
    with schema_context(shop.tenant.schema_name):
        segments.segments_snapshot(day=D)
        _later_orders()
        segments.segments_snapshot(day=D2)
        assert _stored(D2) == ON_D2
        assert _stored(D) == ON_D  # the earlier day is untouched
        movement = segments.segments_movement()  # default: the latest day and the one before
        assert segments.segments_movement(from_day=D, to_day=D2) == movement
        with pytest.raises(ValidationFailed) as error:
            segments.segments_movement(from_day=D2, to_day=D)
        assert error.value.detail == {"from": ["Before to."]}
        with pytest.raises(ValidationFailed) as error:
            segments.segments_movement(from_day=date(2026, 11, 1))
        assert error.value.detail == {"from": ["No segment snapshot on 2026-11-01."]}
    assert (movement.from_day, movement.to_day) == (D, D2)
    assert [(c.from_segment, c.to_segment, c.customers) for c in movement.cells] == [
        (None, "potential_loyalist", 1),  # c12
        ("champions", "champions", 2),  # c01, c03
        ("potential_loyalist", "potential_loyalist", 1),  # c02
        ("promising", "about_to_sleep", 1),  # c04
        ("need_attention", "need_attention", 1),  # c05
        ("need_attention", "at_risk", 1),  # c06
        ("at_risk", "at_risk", 1),  # c07
        ("cant_lose", "cant_lose", 1),  # c09
        ("hibernating", "lost", 1),  # c08
        ("lost", "champions", 1),  # c10
    ]
    assert (movement.stayed, movement.moved, movement.entered, movement.left) == (6, 4, 1, 0)


def test_audience_of_a_segment(shop: TenantFixture) -> None:
    with schema_context(shop.tenant.schema_name):
        segments.segments_snapshot(day=D)
        _later_orders()
        segments.segments_snapshot(day=D2)
        latest = segments.segment_customers(segment="champions")
        assert sorted(latest.values_list("external_id", flat=True)) == ["c01", "c03", "c10"]
        on_d = segments.segment_customers(segment="champions", day=D)
        assert sorted(on_d.values_list("external_id", flat=True)) == ["c01", "c03"]
        with pytest.raises(ValidationFailed):
            segments.segment_customers(segment="vip")


def test_snapshot_days_newest_first(shop: TenantFixture) -> None:
    with schema_context(shop.tenant.schema_name):
        assert segments.snapshot_days() == []
        for day in (D, D2, date(2026, 11, 2)):
            segments.segments_snapshot(day=day)
        assert segments.snapshot_days() == [D2, date(2026, 11, 2), D]
        assert segments.snapshot_days(limit=1) == [D2]


# --- K-means -------------------------------------------------------------------------------------


def _two_groups(tenant: TenantFixture) -> None:
    """Three identical big buyers (3 orders of 10,000, the last a day before D) and four identical
    small ones (one order of 1,000, 100 days before D). 7 customers, n - 1 = 6: big get R 4,
    F 4, M 4 (rank0 4) -> champions; small get 1, 1, 1 -> lost."""
    orders = []
    for b in range(3):
        for i in range(3):
            orders.append(_order(f"big{b}-{i}", f"big{b}", _at(D - timedelta(days=1 + 30 * i)), 10_000))
    for s in range(4):
        orders.append(_order(f"small{s}", f"small{s}", _at(D - timedelta(days=100)), 1_000))
    with schema_context(tenant.tenant.schema_name):
        records_ingest(kind="orders", records=orders)
        segments.segments_snapshot(day=D)


def test_kmeans_on_two_clear_groups(beta: TenantFixture) -> None:
    _two_groups(beta)
    with schema_context(beta.tenant.schema_name):
        result = segments.segments_clusters(k=2)
        assert segments.segments_clusters(k=2, day=D) == result
        with pytest.raises(ValidationFailed) as error:
            segments.segments_clusters(k=9)
        assert error.value.detail == {"k": ["A whole number from 2 to 8."]}
        with pytest.raises(ValidationFailed) as error:
            segments.segments_clusters(k=7)
        assert error.value.detail == {"k": ["Below the number of customers in the snapshot (7)."]}
    assert (result.day, result.k, result.customers, result.silhouette, result.silhouette_sample) == (D, 2, 7, 1.0, 7)
    # Each cluster is made of identical customers, so its centre is exactly theirs (silhouette 1).
    assert [
        (c.cluster, c.customers, c.share, c.recency_days, c.frequency, c.monetary_paise, c.top_segment)
        for c in result.clusters
    ] == [
        (0, 3, 0.4286, 1.0, 3.0, 30_000, "champions"),
        (1, 4, 0.5714, 100.0, 1.0, 1_000, "lost"),
    ]


def test_kmeans_is_reproducible_on_mixed_data(alpha: TenantFixture) -> None:
    orders = [
        _order(f"m{c}-{i}", f"m{c}", _at(D - timedelta(days=(c * 37) % 200 + 9 * i)), 500 + (c * 7919) % 40_000)
        for c in range(60)
        for i in range(1 + c % 4)
    ]
    with schema_context(alpha.tenant.schema_name):
        records_ingest(kind="orders", records=orders)
        segments.segments_snapshot(day=D)
        first = segments.segments_clusters(k=4)
        second = segments.segments_clusters(k=4)
    assert first == second
    assert sum(c.customers for c in first.clusters) == 60
    assert first.silhouette is not None
    assert -1 <= first.silhouette <= 1
    spends = [c.monetary_paise for c in first.clusters]
    assert spends == sorted(spends, reverse=True)


def test_kmeans_needs_a_snapshot(alpha: TenantFixture) -> None:
    with schema_context(alpha.tenant.schema_name), pytest.raises(ValidationFailed) as error:
        segments.segments_clusters(k=3)
    assert error.value.detail == {"day": ["No segment snapshot yet; compute one first."]}


# --- Tasks and beat ------------------------------------------------------------------------------


def test_beat_dispatcher_fans_out_one_snapshot_per_tenant(
    shop: TenantFixture, beta: TenantFixture, eager_tasks: None
) -> None:
    from intelligence import tasks

    with schema_context(beta.tenant.schema_name):
        records_ingest(kind="orders", records=[_order("b1", "beta-1", _at(D), 4_000)])
    with schema_context("public"):
        sent = tasks.segments_snapshot_all.delay(day=D.isoformat()).get()
    assert sent == {"day": "2026-10-31", "schemas": [shop.tenant.schema_name, beta.tenant.schema_name]}
    with schema_context(shop.tenant.schema_name):
        assert _stored(D) == ON_D
    with schema_context(beta.tenant.schema_name):
        assert _stored(D) == {"beta-1": (0, 1, 4_000, 1, 1, 1, "lost")}


def test_beat_dispatcher_defaults_to_yesterday_and_is_scheduled(alpha: TenantFixture, eager_tasks: None) -> None:
    from django.utils import timezone

    from celery_app import app
    from intelligence import tasks

    with schema_context("public"):
        sent = tasks.segments_snapshot_all.delay().get()
    assert sent["day"] == (timezone.now().date() - timedelta(days=1)).isoformat()
    entry = settings.CELERY_BEAT_SCHEDULE["intelligence-segments-snapshot"]
    assert entry["task"] == "intelligence.segments_snapshot_all"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({0}, {20})
    assert {"intelligence.segments_snapshot", "intelligence.segments_snapshot_all"} <= set(app.tasks)


def test_snapshot_task_runs_in_the_schema_it_was_sent_from(shop: TenantFixture, eager_tasks: None) -> None:
    from intelligence import tasks

    with schema_context(shop.tenant.schema_name), time_machine.travel(datetime.combine(D, time(1), tzinfo=UTC)):
        result = tasks.segments_snapshot.delay(day=D.isoformat()).get()
        assert _stored(D) == ON_D
    assert result == {
        "schema": shop.tenant.schema_name,
        "day": "2026-10-31",
        "customers": 10,
        "written": 10,
        "pruned": 0,
    }


def test_snapshots_are_kept_daily_for_90_days_then_monthly_for_24_months(shop: TenantFixture, settings: Any) -> None:
    settings.SEGMENT_SNAPSHOT_DAILY_DAYS, settings.SEGMENT_SNAPSHOT_MONTHLY_MONTHS = 90, 24
    today = date(2026, 12, 4)
    firsts = [date(2024 + m // 12, m % 12 + 1, 1) for m in range(9, 24 + 12)]  # 1 Oct 2024 .. 1 Dec 2026
    days = sorted({today - timedelta(days=n) for n in range(0, 1000, 7)} | set(firsts))
    with schema_context(shop.tenant.schema_name):
        customer = Customer.objects.get(external_id="c01")
        fields = {"recency_days": 0, "frequency": 1, "monetary_paise": 1, "r_score": 5, "f_score": 1, "m_score": 1}
        SegmentSnapshot.objects.bulk_create(
            SegmentSnapshot(day=day, customer=customer, segment="promising", **fields) for day in days
        )
        deleted = segments.segments_prune(today=today)
        kept = sorted(SegmentSnapshot.objects.values_list("day", flat=True))
    daily = sorted(d for d in days if d >= date(2026, 9, 5))  # 90 days back
    monthly = sorted(d for d in days if date(2024, 12, 1) <= d < date(2026, 9, 5) and d.day == 1)
    assert kept == monthly + daily
    assert date(2024, 12, 1) in kept  # 24 months back: the oldest month kept
    assert date(2024, 11, 1) not in kept
    assert len(monthly) == 22  # 1 Dec 2024 .. 1 Sep 2026 (older than the 90 daily days)
    assert deleted == len(days) - len(kept)


# --- API -----------------------------------------------------------------------------------------


def test_api_snapshot_summary_members_and_movement(shop: TenantFixture) -> None:
    client = shop.key_client()
    empty = client.get("/api/v1/analytics/segments/").json()
    assert (empty["day"], empty["customers"], len(empty["segments"])) == (None, 0, 11)
    assert client.get("/api/v1/analytics/segments/champions/customers/").json()["results"] == []

    made = client.post("/api/v1/analytics/segments/snapshot/", {"day": "2026-10-31"}, content_type="application/json")
    assert made.status_code == 200
    assert made.json() == {"day": "2026-10-31", "customers": 10, "written": 10}
    again = client.post("/api/v1/analytics/segments/snapshot/", {"day": "2026-10-31"}, content_type="application/json")
    assert again.json()["written"] == 0

    summary = client.get("/api/v1/analytics/segments/").json()
    assert (summary["day"], summary["customers"]) == ("2026-10-31", 10)
    assert summary["segments"][0] == {
        "key": "champions",
        "label": "Champions",
        "description": "Bought recently, buy often and spend the most.",
        "customers": 2,
        "share": 0.2,
        "avg_recency_days": 2.5,
        "avg_frequency": 5.0,
        "avg_monetary_paise": 65_000,
        "avg_r_score": 4.5,
        "avg_f_score": 4.5,
        "avg_m_score": 4.5,
    }

    members = client.get("/api/v1/analytics/segments/champions/customers/?page_size=1").json()
    assert [m["customer_id"] for m in members["results"]] == ["c01"]
    assert members["results"][0] == {
        "customer_id": "c01",
        "email": "",
        "name": "",
        "day": "2026-10-31",
        "segment": "champions",
        "recency_days": 0,
        "frequency": 6,
        "monetary_paise": 90_000,
        "r_score": 5,
        "f_score": 5,
        "m_score": 5,
    }
    page2 = client.get(members["next"]).json()
    assert [m["customer_id"] for m in page2["results"]] == ["c03"]
    assert page2["next"] is None

    csv_text = client.get("/api/v1/analytics/segments/need_attention/customers.csv").getvalue().decode()
    assert csv_text.splitlines() == [
        '"customer_id","email","name","recency_days","frequency","monetary_inr","r","f","m"',
        '"c05","","",20,2,120.00,3,3,3',
        '"c06","","",40,2,120.00,3,3,3',
    ]

    with schema_context(shop.tenant.schema_name):
        _later_orders()
    client.post("/api/v1/analytics/segments/snapshot/", {"day": "2026-11-05"}, content_type="application/json")
    movement = client.get("/api/v1/analytics/segments/movement/").json()
    assert (movement["from_day"], movement["to_day"], movement["stayed"], movement["moved"]) == (
        "2026-10-31",
        "2026-11-05",
        6,
        4,
    )
    assert movement["cells"][0] == {"from_segment": None, "to_segment": "potential_loyalist", "customers": 1}
    assert client.get("/api/v1/analytics/segments/?day=2026-10-31").json()["customers"] == 10
    assert client.get("/api/v1/analytics/segments/").json()["customers"] == 11


def test_api_errors_name_the_field(shop: TenantFixture) -> None:
    client = shop.key_client()
    post = client.post
    future = post("/api/v1/analytics/segments/snapshot/", {"day": "2999-01-01"}, content_type="application/json")
    assert (future.status_code, future.json()["detail"]) == (400, {"day": ["Today or earlier."]})
    unknown = post("/api/v1/analytics/segments/snapshot/", {"when": "today"}, content_type="application/json")
    assert unknown.json()["detail"] == {"when": ["Unknown field."]}
    bad_day = client.get("/api/v1/analytics/segments/?day=yesterday")
    assert (bad_day.status_code, bad_day.json()["detail"]) == (400, {"day": ["A date like 2026-11-01."]})
    missing = client.get("/api/v1/analytics/segments/?day=2026-01-01")
    assert missing.json()["detail"] == {"day": ["No segment snapshot on 2026-01-01."]}
    assert client.get("/api/v1/analytics/segments/vip/customers/").status_code == 404
    assert client.get("/api/v1/analytics/segments/vip/customers.csv").status_code == 404
    assert client.get("/api/v1/analytics/segments/clusters/?k=x").json()["detail"] == {
        "k": ["A whole number from 2 to 8."]
    }
    assert client.get("/api/v1/analytics/segments/clusters/").json()["detail"] == {
        "day": ["No segment snapshot yet; compute one first."]
    }
    # Computing a snapshot is a write: a read-only key and a viewer are refused.
    read_only = shop.key_client(key_with(shop.tenant, ["read"]))
    assert (
        read_only.post("/api/v1/analytics/segments/snapshot/", {}, content_type="application/json").status_code == 403
    )
    viewer = login_client(shop, make_member(shop.tenant, Role.VIEWER))
    assert viewer.post("/api/v1/analytics/segments/snapshot/", {}, content_type="application/json").status_code == 403
    assert viewer.get("/api/v1/analytics/segments/").status_code == 200


def test_api_clusters(beta: TenantFixture) -> None:
    _two_groups(beta)
    body = beta.key_client().get("/api/v1/analytics/segments/clusters/?k=2").json()
    assert (body["k"], body["customers"], body["silhouette"]) == (2, 7, 1.0)
    assert [(c["customers"], c["top_segment"]) for c in body["clusters"]] == [(3, "champions"), (4, "lost")]


def test_a_tenant_sees_only_its_own_segments(shop: TenantFixture, beta: TenantFixture) -> None:
    with schema_context(shop.tenant.schema_name):
        segments.segments_snapshot(day=D)
    assert shop.key_client().get("/api/v1/analytics/segments/").json()["customers"] == 10  # positive control
    assert beta.key_client().get("/api/v1/analytics/segments/").json()["customers"] == 0
    assert beta.key_client().get("/api/v1/analytics/segments/champions/customers/").json()["results"] == []
    assert beta.key_client().get("/api/v1/analytics/segments/?day=2026-10-31").status_code == 400


# --- Page ----------------------------------------------------------------------------------------


def test_page_chart_movement_kmeans_and_csv(shop: TenantFixture) -> None:
    with schema_context(shop.tenant.schema_name):
        segments.segments_snapshot(day=D)
        _later_orders()
        segments.segments_snapshot(day=D2)
    page = login_client(shop, shop.owner)
    html = page.get("/analytics/segments/?day=2026-11-05&from=2026-10-31&k=2").content.decode()
    assert "pygal-chart" in html
    assert 'value="2026-11-05" selected' in html  # the days stay in the URL and the form
    assert 'value="2026-10-31" selected' in html
    assert "6 stayed, 4 moved, 1 new buyer" in html
    assert "silhouette score <strong>" in html
    assert "Compute today" in html
    bad = page.get("/analytics/segments/?day=2026-01-01&k=99").content.decode()
    assert "No segment snapshot on 2026-01-01." in bad
    assert "k: A whole number from 2 to 8." in bad

    summary_csv = page.get("/analytics/segments/export.csv?day=2026-10-31").content.decode().splitlines()
    assert summary_csv[0] == (
        '"segment","label","customers","share","avg_recency_days","avg_frequency","avg_monetary_inr",'
        '"avg_r_score","avg_f_score","avg_m_score"'
    )
    assert summary_csv[1] == '"champions","Champions",2,0.2,2.5,5.0,650.00,4.5,4.5,4.5'
    assert summary_csv[2] == '"loyal","Loyal",0,0.0,"","","","","",""'
    members = page.get("/analytics/segments/champions/export.csv?day=2026-11-05")
    assert members.getvalue().decode().splitlines() == [
        '"customer_id","email","name","recency_days","frequency","monetary_inr","r","f","m"',
        '"c01","","",5,6,900.00,5,5,5',
        '"c03","","",10,4,400.00,4,5,5',
        '"c10","","",1,2,210.00,5,3,4',
    ]
    assert page.get("/analytics/segments/vip/export.csv").status_code == 404
    assert page.get("/analytics/segments/export.csv?day=2026-01-01").status_code == 400


def test_page_compute_needs_an_analyst(shop: TenantFixture) -> None:
    viewer = login_client(shop, make_member(shop.tenant, Role.VIEWER))
    html = viewer.get("/analytics/segments/").content.decode()
    assert "No segment snapshot yet." in html
    assert "Compute today" not in html
    assert viewer.post("/analytics/segments/compute/").status_code == 403
    analyst = login_client(shop, make_member(shop.tenant, Role.ANALYST))
    response = analyst.post("/analytics/segments/compute/")
    assert (response.status_code, response["Location"]) == (302, "/analytics/segments/")
    with schema_context(shop.tenant.schema_name):
        assert segments.latest_day() is not None
