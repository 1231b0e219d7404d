"""Retention cohorts on small hand-computed data: the whole customer and revenue matrices, API, page, CSV."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

import pytest
from django_tenants.utils import schema_context

from intelligence.engines.retention import Retention, retention, retention_csv
from intelligence.services import records_ingest
from suresh_ai.testing import TenantFixture, login_client


def _order(ref: str, customer: str, paid_at: str | None, total: int, status: str = "paid") -> dict[str, object]:
    return {
        "external_id": ref,
        "customer_id": customer,
        "status": status,
        "total_paise": total,
        "created_at": paid_at or "2025-02-05T10:00:00Z",
        "paid_at": paid_at,
    }


@pytest.fixture
def shop(alpha: TenantFixture) -> TenantFixture:
    """Paid orders (UTC) and sign-ups:
    c1  signed up Mon 6 Jan 2025 09:00; paid 5 Jan 10,000; 10 Feb 20,000; 20 Feb 5,000; 1 Apr 7,000
    c2  signed up Mon 6 Jan;            paid 20 Jan 30,000; cancelled 3 Feb 99,000; paid 15 Mar 10,000
    c3  signed up Sun 12 Jan 23:59;     paid Fri 31 Jan 23:30 8,000; an unpaid order 5 Feb
    c4  signed up Tue 31 Dec 2024;      paid 1 Feb 00:00 12,000; 28 Feb 4,000; 1 Mar 6,000
    c5  no sign-up;                     paid 15 Dec 2024 9,000; 10 Jan 2025 9,000
    c6  signed up 12 Mar 2025;          paid 10 Mar 15,000
    """
    customers = [
        {"external_id": "c1", "signed_up_at": "2025-01-06T09:00:00Z"},
        {"external_id": "c2", "signed_up_at": "2025-01-06T00:00:00Z"},
        {"external_id": "c3", "signed_up_at": "2025-01-12T23:59:00Z"},
        {"external_id": "c4", "signed_up_at": "2024-12-31T12:00:00Z"},
        {"external_id": "c5"},
        {"external_id": "c6", "signed_up_at": "2025-03-12T12:00:00Z"},
    ]
    orders = [
        _order("o1", "c1", "2025-01-05T10:00:00Z", 10_000),
        _order("o2", "c1", "2025-02-10T10:00:00Z", 20_000),
        _order("o3", "c1", "2025-02-20T10:00:00Z", 5_000),
        _order("o4", "c1", "2025-04-01T10:00:00Z", 7_000),
        _order("o5", "c2", "2025-01-20T10:00:00Z", 30_000),
        _order("o6", "c2", "2025-02-03T10:00:00Z", 99_000, status="cancelled"),
        _order("o7", "c2", "2025-03-15T10:00:00Z", 10_000),
        _order("o8", "c3", "2025-01-31T23:30:00Z", 8_000),
        _order("o9", "c3", None, 50_000, status="created"),
        _order("o10", "c4", "2025-02-01T00:00:00Z", 12_000),
        _order("o11", "c4", "2025-02-28T10:00:00Z", 4_000),
        _order("o12", "c4", "2025-03-01T10:00:00Z", 6_000),
        _order("o13", "c5", "2024-12-15T10:00:00Z", 9_000),
        _order("o14", "c5", "2025-01-10T10:00:00Z", 9_000),
        _order("o15", "c6", "2025-03-10T10:00:00Z", 15_000),
    ]
    with schema_context(alpha.tenant.schema_name):
        assert records_ingest(kind="customers", records=customers).errors == []
        assert records_ingest(kind="orders", records=orders).errors == []
    return alpha


def _rows(result: Retention) -> list[tuple[Any, ...]]:
    return [
        (str(c.start), c.size, c.customers, c.retention_rate, c.revenue_paise, c.revenue_per_customer_paise)
        for c in result.cohorts
    ]


def test_monthly_cohorts_by_first_purchase(shop: TenantFixture) -> None:
    with schema_context(shop.tenant.schema_name):
        result = retention(
            basis="first_purchase",
            period="month",
            first=date(2025, 1, 1),
            last=date(2025, 3, 31),
            periods=3,
            today=date(2025, 4, 15),
        )
    # Jan: c1, c2, c3 (c3's 23:30 on 31 Jan is January in UTC; c5 first bought in December).
    #   0 Jan: all three, 10,000 + 30,000 + 8,000; 1 Feb: c1 25,000 (c2's order was cancelled, c3's unpaid);
    #   2 Mar: c2 10,000; 3 Apr: c1 7,000. Per customer: 48,000/3, 25,000/3 = 8,333.3, 10,000/3, 7,000/3.
    # Feb: c4 — 0 Feb 16,000; 1 Mar 6,000; 2 Apr nothing; 3 May not started on 15 Apr.
    # Mar: c6 — 0 Mar 15,000; 1 Apr nothing; 2 and 3 not started.
    assert _rows(result) == [
        (
            "2025-01-01",
            3,
            [3, 1, 1, 1],
            [1.0, 0.3333, 0.3333, 0.3333],
            [48_000, 25_000, 10_000, 7_000],
            [16_000, 8_333, 3_333, 2_333],
        ),
        ("2025-02-01", 1, [1, 1, 0, None], [1.0, 1.0, 0.0, None], [16_000, 6_000, 0, None], [16_000, 6_000, 0, None]),
        ("2025-03-01", 1, [1, 0, None, None], [1.0, 0.0, None, None], [15_000, 0, None, None], [15_000, 0, None, None]),
    ]
    assert [c.revenue_retention_rate for c in result.cohorts] == [
        [1.0, 0.5208, 0.2083, 0.1458],  # 25,000 / 48,000 etc.
        [1.0, 0.375, 0.0, None],
        [1.0, 0.0, None, None],
    ]
    # Per period, retained / size over the cohorts that reached it: 5/5, 2/5, 1/4, 1/3.
    assert result.average_retention_rate == [1.0, 0.4, 0.25, 0.3333]
    assert (result.start, result.end, result.periods) == (date(2025, 1, 1), date(2025, 3, 31), 3)


def test_periods_stop_at_today(shop: TenantFixture) -> None:
    with schema_context(shop.tenant.schema_name):
        result = retention(
            basis="first_purchase",
            period="month",
            first=date(2025, 1, 15),  # snapped to whole months
            last=date(2025, 2, 3),
            periods=12,
            today=date(2025, 3, 5),
        )
    assert (result.start, result.end, result.periods) == (date(2025, 1, 1), date(2025, 2, 28), 2)
    assert [(str(c.start), c.customers) for c in result.cohorts] == [
        ("2025-01-01", [3, 1, 1]),
        ("2025-02-01", [1, 1, None]),
    ]
    assert result.average_retention_rate == [1.0, 0.5, 0.3333]


def test_weekly_cohorts_by_signup(shop: TenantFixture) -> None:
    with schema_context(shop.tenant.schema_name):
        result = retention(
            basis="signup",
            period="week",
            first=date(2025, 1, 1),
            last=date(2025, 1, 12),
            periods=4,
            today=date(2025, 4, 15),
        )
    # Weeks start on Monday: 30 Dec 2024 (c4) and 6 Jan 2025 (c1, c2, c3; c3 signed up on the Sunday).
    # c4's order at 00:00 on Saturday 1 Feb is in the week of 27 Jan: week 4 of its cohort.
    # c1's 5 Jan order is before its sign-up (period -1, left out) and 10 Feb is week 5. c2's 20 Jan order is
    # week 2 (its cancelled one of 3 Feb would be week 4); c3's Friday 31 Jan is in the week of 27 Jan: 3.
    assert _rows(result) == [
        ("2024-12-30", 1, [0, 0, 0, 0, 1], [0.0, 0.0, 0.0, 0.0, 1.0], [0, 0, 0, 0, 12_000], [0, 0, 0, 0, 12_000]),
        (
            "2025-01-06",
            3,
            [0, 0, 1, 1, 0],
            [0.0, 0.0, 0.3333, 0.3333, 0.0],
            [0, 0, 30_000, 8_000, 0],
            [0, 0, 10_000, 2_667, 0],
        ),
    ]
    assert [c.revenue_retention_rate for c in result.cohorts] == [[None] * 5, [None] * 5]  # period 0 earned nothing
    assert result.average_retention_rate == [0.0, 0.0, 0.25, 0.25, 0.25]
    assert (result.start, result.end) == (date(2024, 12, 30), date(2025, 1, 12))


def test_no_cohorts(shop: TenantFixture) -> None:
    with schema_context(shop.tenant.schema_name):
        result = retention(basis="signup", period="month", first=date(2023, 1, 1), last=date(2023, 6, 30), periods=3)
    assert asdict(result) == {
        "basis": "signup",
        "period": "month",
        "start": date(2023, 1, 1),
        "end": date(2023, 6, 30),
        "periods": 0,
        "cohorts": [],
        "average_retention_rate": [None],
    }


def test_retention_csv(shop: TenantFixture) -> None:
    with schema_context(shop.tenant.schema_name):
        result = retention(
            basis="first_purchase",
            period="month",
            first=date(2025, 2, 1),
            last=date(2025, 3, 31),
            periods=3,
            today=date(2025, 4, 15),
        )
    assert retention_csv(result).splitlines() == [
        '"cohort_start","cohort_size","period","customers","retention_rate","revenue_inr",'
        '"revenue_per_customer_inr","revenue_retention_rate"',
        '"2025-02-01",1,0,1,1.0,160.00,160.00,1.0',
        '"2025-02-01",1,1,1,1.0,60.00,60.00,0.375',
        '"2025-02-01",1,2,0,0.0,0.00,0.00,0.0',
        '"2025-03-01",1,0,1,1.0,150.00,150.00,1.0',
        '"2025-03-01",1,1,0,0.0,0.00,0.00,0.0',
    ]


def test_retention_api(shop: TenantFixture) -> None:
    client = shop.key_client()
    body = client.get(
        "/api/v1/analytics/retention/?basis=first_purchase&period=month&start=2025-01-01&end=2025-03-31&periods=3"
    ).json()
    # Today (after May 2025) every period of these cohorts has started; the later ones are empty.
    assert body == {
        "basis": "first_purchase",
        "period": "month",
        "start": "2025-01-01",
        "end": "2025-03-31",
        "periods": 3,
        "cohorts": [
            {
                "start": "2025-01-01",
                "size": 3,
                "customers": [3, 1, 1, 1],
                "retention_rate": [1.0, 0.3333, 0.3333, 0.3333],
                "revenue_paise": [48_000, 25_000, 10_000, 7_000],
                "revenue_per_customer_paise": [16_000, 8_333, 3_333, 2_333],
                "revenue_retention_rate": [1.0, 0.5208, 0.2083, 0.1458],
            },
            {
                "start": "2025-02-01",
                "size": 1,
                "customers": [1, 1, 0, 0],
                "retention_rate": [1.0, 1.0, 0.0, 0.0],
                "revenue_paise": [16_000, 6_000, 0, 0],
                "revenue_per_customer_paise": [16_000, 6_000, 0, 0],
                "revenue_retention_rate": [1.0, 0.375, 0.0, 0.0],
            },
            {
                "start": "2025-03-01",
                "size": 1,
                "customers": [1, 0, 0, 0],
                "retention_rate": [1.0, 0.0, 0.0, 0.0],
                "revenue_paise": [15_000, 0, 0, 0],
                "revenue_per_customer_paise": [15_000, 0, 0, 0],
                "revenue_retention_rate": [1.0, 0.0, 0.0, 0.0],
            },
        ],
        "average_retention_rate": [1.0, 0.4, 0.2, 0.2],
    }
    # Without start: the last `periods` periods before end.
    default = client.get("/api/v1/analytics/retention/?period=month&end=2025-03-31&periods=3").json()
    assert (default["basis"], default["start"], default["end"]) == ("first_purchase", "2024-12-01", "2025-03-31")
    assert [(c["start"], c["size"]) for c in default["cohorts"]] == [
        ("2024-12-01", 1),
        ("2025-01-01", 3),
        ("2025-02-01", 1),
        ("2025-03-01", 1),
    ]
    csv_response = client.get("/api/v1/analytics/retention.csv?period=month&start=2025-03-01&end=2025-03-31&periods=1")
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response.content.decode().splitlines()[1:] == [
        '"2025-03-01",1,0,1,1.0,150.00,150.00,1.0',
        '"2025-03-01",1,1,0,0.0,0.00,0.00,0.0',
    ]
    for query, field, message in [
        ("basis=first_order", "basis", "Choose one of: first_purchase, signup."),
        ("period=day", "period", "Choose one of: week, month."),
        ("periods=0", "periods", "A whole number from 1 to 24."),
        ("periods=25", "periods", "A whole number from 1 to 24."),
        ("start=2025-04-01&end=2025-03-31", "start", "On or before end."),
    ]:
        for path in ("/api/v1/analytics/retention/", "/api/v1/analytics/retention.csv"):
            response = client.get(f"{path}?{query}")
            assert response.status_code == 400, (path, query)
            assert response.json()["detail"] == {field: [message]}


def test_retention_page(shop: TenantFixture) -> None:
    page = login_client(shop, shop.owner)
    html = page.get("/analytics/retention/?period=month&start=2025-01-01&end=2025-03-31&periods=3").content.decode()
    assert "pygal-chart" in html
    assert 'aria-current="page">Retention' in html
    assert 'value="2025-01-01"' in html
    assert '<option value="month" selected>' in html
    # The January cohort's period-1 cell: a third of the cohort, coloured by that rate, value in the text.
    assert '<td style="background-color: rgba(37, 99, 235, 0.25)">33.3%<br><small>1</small></td>' in html
    assert "₹250.00<br><small>₹83.33 each</small>" in html
    bad = page.get("/analytics/retention/?periods=99")
    assert bad.status_code == 200
    assert "A whole number from 1 to 24." in bad.content.decode()
    csv_text = page.get("/analytics/retention/export.csv?period=month&start=2025-03-01&end=2025-03-31&periods=1")
    assert csv_text.content.decode().splitlines()[1] == '"2025-03-01",1,0,1,1.0,150.00,150.00,1.0'
    assert page.get("/analytics/retention/export.csv?period=day").status_code == 400
