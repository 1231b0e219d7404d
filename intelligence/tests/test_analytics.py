"""KPIs, top lists and series on small hand-computed data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django_tenants.utils import schema_context

from intelligence import analytics
from intelligence.services import records_ingest
from suresh_ai.testing import TenantFixture

T0 = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday


def _at(days: float, hours: float = 0) -> str:
    return (T0 + timedelta(days=days, hours=hours)).isoformat()


def _event(i: int, visitor: str, session: str, day: float, **extra: str) -> dict[str, object]:
    return {
        "event_id": f"e{i}",
        "name": "page_view",
        "anonymous_id": visitor,
        "session_id": session,
        "occurred_at": _at(day),
        **extra,
    }


@pytest.fixture
def shop(alpha: TenantFixture) -> TenantFixture:
    """Week 1 (2-9 Nov): visitors a, b, c in sessions s1-s4; two paid orders (one by a returning
    customer); a cancelled one. The week before: visitor d in s0, one paid order by cust-1."""
    with schema_context(alpha.tenant.schema_name):
        records_ingest(
            kind="events",
            records=[
                _event(0, "d", "s0", -3),
                _event(1, "a", "s1", 0, url="https://shop.in/", referrer="https://www.google.com/"),
                _event(2, "a", "s1", 0.01, url="https://shop.in/p/mango"),
                _event(3, "b", "s2", 1, url="https://shop.in/p/mango", utm_source="instagram"),
                _event(4, "c", "s3", 2, url="https://shop.in/"),
                _event(5, "a", "s4", 3, url="https://shop.in/p/lime", utm_medium="email", utm_source="newsletter"),
            ],
        )
        records_ingest(
            kind="orders",
            records=[
                {
                    "external_id": "o0",
                    "customer_id": "cust-1",
                    "status": "paid",
                    "total_paise": 30_000,
                    "created_at": _at(-3),
                    "paid_at": _at(-3),
                },
                {
                    "external_id": "o1",
                    "customer_id": "cust-1",
                    "status": "paid",
                    "total_paise": 50_000,
                    "created_at": _at(0),
                    "paid_at": _at(0, 1),
                },
                {
                    "external_id": "o2",
                    "customer_id": "cust-2",
                    "status": "paid",
                    "total_paise": 25_000,
                    "created_at": _at(3),
                    "paid_at": _at(3, 1),
                },
                {
                    "external_id": "o3",
                    "customer_id": "cust-3",
                    "status": "cancelled",
                    "total_paise": 99_000,
                    "created_at": _at(4),
                    "paid_at": _at(4),
                },
            ],
        )
    return alpha


def test_kpis_with_the_previous_period(shop: TenantFixture) -> None:
    with schema_context(shop.tenant.schema_name):
        result = analytics.kpis_compared(T0, T0 + timedelta(days=7))
    assert result["current"] == {
        "visitors": 3,
        "sessions": 4,
        "orders": 2,
        "revenue_paise": 75_000,
        "aov_paise": 37_500,
        "conversion_rate": 0.5,
        "new_customers": 1,
        "returning_customers": 1,
    }
    assert result["previous"] == {
        "visitors": 1,
        "sessions": 1,
        "orders": 1,
        "revenue_paise": 30_000,
        "aov_paise": 30_000,
        "conversion_rate": 1.0,
        "new_customers": 1,
        "returning_customers": 0,
    }


def test_top_pages_sources_and_channels(shop: TenantFixture) -> None:
    with schema_context(shop.tenant.schema_name):
        result = analytics.top(T0, T0 + timedelta(days=7))
    assert result["pages"] == [
        {"path": "/", "views": 2, "visitors": 2},
        {"path": "/p/mango", "views": 2, "visitors": 2},
        {"path": "/p/lime", "views": 1, "visitors": 1},
    ]
    # Per visit, from its first event: a's second page view (no referrer) is not a direct visit.
    assert result["sources"] == [
        {"source": "(direct)", "visitors": 1},
        {"source": "google.com", "visitors": 1},
        {"source": "instagram", "visitors": 1},
        {"source": "newsletter", "visitors": 1},
    ]
    assert result["channels"] == [
        {"channel": "direct", "visitors": 1},
        {"channel": "email", "visitors": 1},
        {"channel": "organic_search", "visitors": 1},
        {"channel": "organic_social", "visitors": 1},
    ]


def test_daily_series_with_empty_days(shop: TenantFixture) -> None:
    with schema_context(shop.tenant.schema_name):
        rows = analytics.series(T0, T0 + timedelta(days=5), grain="day")
    assert [(r["bucket"].day, r["visitors"], r["orders"], r["revenue_paise"]) for r in rows] == [
        (2, 1, 1, 50_000),
        (3, 1, 0, 0),
        (4, 1, 0, 0),
        (5, 1, 1, 25_000),
        (6, 0, 0, 0),
    ]


def test_live_visitors(shop: TenantFixture) -> None:
    with schema_context(shop.tenant.schema_name):
        assert analytics.live_visitors(now=T0 + timedelta(days=3, minutes=4)) == 1
        assert analytics.live_visitors(now=T0 + timedelta(days=3, minutes=6)) == 0


def test_analytics_api_and_page(shop: TenantFixture) -> None:
    from suresh_ai.testing import login_client

    client = shop.key_client()
    kpis = client.get("/api/v1/analytics/kpis/?start=2026-11-02&end=2026-11-08").json()
    assert (kpis["current"]["orders"], kpis["previous"]["orders"]) == (2, 1)
    assert kpis["previous_start"] == "2026-10-26T00:00:00Z"
    assert client.get("/api/v1/analytics/top/?start=2026-11-02&end=2026-11-08").json()["pages"][0]["path"] == "/"
    series = client.get("/api/v1/analytics/series/?start=2026-11-02&end=2026-11-03&grain=day").json()
    assert [(p["visitors"], p["orders"]) for p in series] == [(1, 1), (1, 0)]
    bad = client.get("/api/v1/analytics/kpis/?start=2026-11-09&end=2026-11-08")
    assert bad.status_code == 400
    assert bad.json()["detail"] == {"start": ["On or before end."]}
    assert client.get("/api/v1/analytics/series/?grain=minute").json()["detail"] == {
        "grain": ["Choose one of: hour, day, week."]
    }
    page = login_client(shop, shop.owner)
    html = page.get("/analytics/?start=2026-11-02&end=2026-11-08&grain=day").content.decode()
    assert "₹750.00" in html  # revenue of the week
    assert 'value="2026-11-02"' in html  # the range stays in the URL and the form
    assert "pygal-chart" in html
    csv_text = page.get("/analytics/export.csv?start=2026-11-02&end=2026-11-03&grain=day").content.decode()
    assert csv_text.splitlines() == [
        '"bucket_utc","visitors","orders","revenue_inr"',
        '"2026-11-02T00:00:00+00:00",1,1,500.00',
        '"2026-11-03T00:00:00+00:00",1,0,0.00',
    ]
