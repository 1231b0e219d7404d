"""Funnels on small hand-computed data: counts, conversion, drop-off, medians, channels, API, page, CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django_tenants.utils import schema_context

from intelligence.engines.funnels import StepSpec, funnel, funnel_csv, steps_from
from intelligence.services import records_ingest
from suresh_ai.errors import ValidationFailed
from suresh_ai.testing import TenantFixture, login_client

T0 = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday; the range is 2-8 Nov (7 days)
END = T0 + timedelta(days=7)
STEPS = [StepSpec("page_view"), StepSpec("add_to_cart"), StepSpec("purchase")]
H = 3600


def _e(i: int, visitor: str, name: str, hours: float, channel: str = "direct", path: str = "/") -> dict[str, object]:
    return {
        "event_id": f"f{i}",
        "name": name,
        "anonymous_id": visitor,
        "occurred_at": (T0 + timedelta(hours=hours)).isoformat(),
        "channel": channel,
        "url": f"https://shop.in{path}",
    }


@pytest.fixture
def visits(alpha: TenantFixture) -> TenantFixture:
    """Times in hours from T0. Per visitor (entry = first page_view in the range):
    a  organic_search  view 0 (/p/mango), cart 1, buy 3         -> 3 steps: +1h, +2h (3h from entry)
    b  direct          view 24, cart 26, buy 54                 -> 3 steps: +2h, +28h (30h from entry)
    c  direct          view 48, buy 49, cart 50                 -> 2 steps (the purchase came before the cart)
    d  email           cart 72, view 73, cart 73, view 77 (/p/lime), buy 74, cart 76, buy 78
                                                                -> entry 73; cart at 73 is not after it; cart 76
                                                                   (+3h), buy 78 (+2h; 5h from entry); 3 steps
    e  direct          view -24 (before the range), cart 1, buy 2  -> never enters
    f  direct          view 167 (last hour of the range), cart 169 (after the range, in the window) -> 2 steps
    g  direct          view 169 (after the range)               -> never enters
    h  direct          view 96                                  -> 1 step
    """
    events = [
        _e(1, "a", "page_view", 0, "organic_search", "/p/mango"),
        _e(2, "a", "add_to_cart", 1, "organic_search"),
        _e(3, "a", "purchase", 3, "organic_search"),
        _e(4, "b", "page_view", 24),
        _e(5, "b", "add_to_cart", 26),
        _e(6, "b", "purchase", 54),
        _e(7, "c", "page_view", 48),
        _e(8, "c", "purchase", 49),
        _e(9, "c", "add_to_cart", 50),
        _e(10, "d", "add_to_cart", 72, "paid_search"),
        _e(11, "d", "page_view", 73, "email"),
        _e(12, "d", "add_to_cart", 73, "email"),
        _e(13, "d", "page_view", 77, "email", "/p/lime"),
        _e(14, "d", "purchase", 74, "email"),
        _e(15, "d", "add_to_cart", 76, "email"),
        _e(16, "d", "purchase", 78, "email"),
        _e(17, "e", "page_view", -24),
        _e(18, "e", "add_to_cart", 1),
        _e(19, "e", "purchase", 2),
        _e(20, "f", "page_view", 167),
        _e(21, "f", "add_to_cart", 169),
        _e(22, "g", "page_view", 169),
        _e(23, "h", "page_view", 96),
    ]
    with schema_context(alpha.tenant.schema_name):
        result = records_ingest(kind="events", records=events)
    assert result.errors == []
    return alpha


def _step(
    step: int, name: str, visitors: int, prev: Any, start: Any, drop: int, drop_rate: Any, mp: Any, ms: Any
) -> Any:
    return {
        "step": step,
        "name": name,
        "path": "",
        "visitors": visitors,
        "conversion_from_previous": prev,
        "conversion_from_start": start,
        "drop_off": drop,
        "drop_off_rate": drop_rate,
        "median_seconds_from_previous": mp,
        "median_seconds_from_start": ms,
    }


def _counts(segment: Any) -> tuple[str, list[int]]:
    return segment.channel, [s.visitors for s in segment.steps]


def test_funnel_counts_conversion_drop_off_and_medians(visits: TenantFixture) -> None:
    with schema_context(visits.tenant.schema_name):
        result = funnel(steps=STEPS, start=T0, end=END, window_hours=168)
    total = result.total
    # Entered: a, b, c, d, f, h = 6. Cart: a, b, c, d, f = 5. Purchase: a, b, d = 3.
    # Cart times from entry: a 1h, b 2h, c 2h, d 3h, f 2h -> median 2h.
    # Purchase from cart: a 2h, b 28h, d 2h -> median 2h; from entry: a 3h, b 30h, d 5h -> median 5h.
    assert [vars(s) for s in total.steps] == [
        _step(1, "page_view", 6, None, 1.0, 0, None, None, None),
        _step(2, "add_to_cart", 5, 0.8333, 0.8333, 1, 0.1667, 2 * H, 2 * H),
        _step(3, "purchase", 3, 0.6, 0.5, 2, 0.4, 2 * H, 5 * H),
    ]
    assert (total.channel, total.entered, total.converted, total.conversion_rate) == ("all", 6, 3, 0.5)
    assert total.median_seconds_to_convert == 5 * H


def test_funnel_by_channel_of_the_entering_event(visits: TenantFixture) -> None:
    with schema_context(visits.tenant.schema_name):
        result = funnel(steps=STEPS, start=T0, end=END, window_hours=168)
    # direct: b, c, f, h enter; b, c, f cart; b buys. d counts as email (its entry), not paid_search.
    assert [_counts(c) for c in result.channels] == [
        ("direct", [4, 3, 1]),
        ("email", [1, 1, 1]),
        ("organic_search", [1, 1, 1]),
    ]
    direct = result.channels[0]
    assert (direct.conversion_rate, direct.median_seconds_to_convert) == (0.25, 30 * H)
    assert [(s.conversion_from_previous, s.drop_off, s.drop_off_rate) for s in direct.steps] == [
        (None, 0, None),
        (0.75, 1, 0.25),
        (0.3333, 2, 0.6667),
    ]
    assert [s.median_seconds_from_previous for s in direct.steps] == [None, 2 * H, 28 * H]
    email = result.channels[1]
    assert [(s.median_seconds_from_previous, s.median_seconds_from_start) for s in email.steps] == [
        (None, None),
        (3 * H, 3 * H),
        (2 * H, 5 * H),
    ]


def test_a_shorter_window(visits: TenantFixture) -> None:
    with schema_context(visits.tenant.schema_name):
        result = funnel(steps=STEPS, start=T0, end=END, window_hours=24)
    # b's purchase is 30h after entry: outside 24h. Buyers a (3h) and d (5h): median 4h; from cart 2h and 2h.
    assert [s.visitors for s in result.total.steps] == [6, 5, 2]
    assert result.total.median_seconds_to_convert == 4 * H
    assert result.total.steps[2].median_seconds_from_previous == 2 * H
    with schema_context(visits.tenant.schema_name):
        hour = funnel(steps=STEPS, start=T0, end=END, window_hours=1)
    # Only a's cart (1h after entry) is within the hour; nobody buys within it.
    assert [s.visitors for s in hour.total.steps] == [6, 1, 0]
    assert hour.total.median_seconds_to_convert is None


def test_path_filters_repeated_and_unknown_steps(visits: TenantFixture) -> None:
    with schema_context(visits.tenant.schema_name):
        prefix = funnel(steps=steps_from("page_view@/p/*,purchase"), start=T0, end=END, window_hours=168)
        exact = funnel(steps=steps_from("page_view@/p/mango,purchase"), start=T0, end=END, window_hours=168)
        repeated = funnel(steps=steps_from("page_view,page_view"), start=T0, end=END, window_hours=168)
        unknown = funnel(steps=steps_from("page_view,no_such_event"), start=T0, end=END, window_hours=168)
        empty = funnel(steps=STEPS, start=END + timedelta(days=30), end=END + timedelta(days=31), window_hours=168)
    # /p/* entries: a at 0h (buys at 3h) and d at 77h (buys at 78h): 3h and 1h, median 2h.
    assert [s.visitors for s in prefix.total.steps] == [2, 2]
    assert prefix.total.median_seconds_to_convert == 2 * H
    assert prefix.total.steps[0].path == "/p/*"
    assert [s.visitors for s in exact.total.steps] == [1, 1]
    # A second page view after the first: only d (73h, then 77h).
    assert [s.visitors for s in repeated.total.steps] == [6, 1]
    assert [s.visitors for s in unknown.total.steps] == [6, 0]
    assert (unknown.total.conversion_rate, unknown.total.median_seconds_to_convert) == (0.0, None)
    assert [s.visitors for s in empty.total.steps] == [0, 0, 0]
    assert (empty.total.conversion_rate, empty.channels) == (None, [])


def test_step_parsing() -> None:
    assert steps_from("page_view, add_to_cart@/cart ,purchase") == [
        StepSpec("page_view"),
        StepSpec("add_to_cart", "/cart"),
        StepSpec("purchase"),
    ]
    assert steps_from(None) == STEPS
    for raw, message in [
        ("page_view", "Give 2 to 8 steps, separated by commas."),
        (",".join(["a"] * 9), "Give 2 to 8 steps, separated by commas."),
        ("page_view,,purchase", "'' is not an event name (letters, digits, _ . : - space)."),
        ("page_view@cart,purchase", "The path in 'page_view@cart' must start with / (at most 500 characters)."),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            steps_from(raw)
        assert caught.value.detail == {"steps": [message]}


def test_funnel_csv(visits: TenantFixture) -> None:
    with schema_context(visits.tenant.schema_name):
        text = funnel_csv(funnel(steps=STEPS[:2], start=T0, end=END, window_hours=1))
    assert text.splitlines() == [
        '"segment","step","name","path","visitors","conversion_from_previous","conversion_from_start",'
        '"drop_off","drop_off_rate","median_seconds_from_previous","median_seconds_from_start"',
        '"all",1,"page_view","",6,"",1.0,0,"","",""',
        '"all",2,"add_to_cart","",1,0.1667,0.1667,5,0.8333,3600.0,3600.0',
        '"direct",1,"page_view","",4,"",1.0,0,"","",""',
        '"direct",2,"add_to_cart","",0,0.0,0.0,4,1.0,"",""',
        '"email",1,"page_view","",1,"",1.0,0,"","",""',
        '"email",2,"add_to_cart","",0,0.0,0.0,1,1.0,"",""',
        '"organic_search",1,"page_view","",1,"",1.0,0,"","",""',
        '"organic_search",2,"add_to_cart","",1,1.0,1.0,0,0.0,3600.0,3600.0',
    ]


def test_funnel_api(visits: TenantFixture) -> None:
    client = visits.key_client()
    body = client.get("/api/v1/analytics/funnel/?start=2026-11-02&end=2026-11-08&window_hours=24").json()
    assert (body["start"], body["end"], body["window_hours"]) == ("2026-11-02T00:00:00Z", "2026-11-09T00:00:00Z", 24)
    assert [s["visitors"] for s in body["total"]["steps"]] == [6, 5, 2]
    assert body["total"]["steps"][1] == _step(2, "add_to_cart", 5, 0.8333, 0.8333, 1, 0.1667, 7200.0, 7200.0)
    assert [(c["channel"], c["converted"]) for c in body["channels"]] == [
        ("direct", 0),
        ("email", 1),
        ("organic_search", 1),
    ]
    csv_response = client.get("/api/v1/analytics/funnel.csv?start=2026-11-02&end=2026-11-08&steps=page_view,purchase")
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    # Without the cart step, c (49h, 1h after entering) and d (74h, 1h after) buy in order too:
    # a 3h, b 30h, c 1h, d 1h -> 4 of 6, median (1h + 3h) / 2 = 2h.
    assert csv_response.content.decode().splitlines()[1:3] == [
        '"all",1,"page_view","",6,"",1.0,0,"","",""',
        '"all",2,"purchase","",4,0.6667,0.6667,2,0.3333,7200.0,7200.0',
    ]
    for query, field, message in [
        ("steps=page_view", "steps", "Give 2 to 8 steps, separated by commas."),
        ("steps=" + ",".join(["a"] * 9), "steps", "Give 2 to 8 steps, separated by commas."),
        ("window_hours=0", "window_hours", "A whole number of hours from 1 to 2160."),
        ("window_hours=2161", "window_hours", "A whole number of hours from 1 to 2160."),
        ("window_hours=1.5", "window_hours", "A whole number of hours from 1 to 2160."),
        ("start=2026-11-09&end=2026-11-08", "start", "On or before end."),
    ]:
        for path in ("/api/v1/analytics/funnel/", "/api/v1/analytics/funnel.csv"):
            response = client.get(f"{path}?{query}")
            assert response.status_code == 400, (path, query)
            assert response.json()["detail"] == {field: [message]}


def test_funnel_page(visits: TenantFixture) -> None:
    page = login_client(visits, visits.owner)
    html = page.get("/analytics/funnels/?start=2026-11-02&end=2026-11-08&window_hours=24").content.decode()
    assert "pygal-chart" in html
    assert 'value="2026-11-02"' in html
    assert 'value="2026-11-08"' in html
    assert 'value="24"' in html
    assert 'value="page_view,add_to_cart,purchase"' in html
    assert "<strong>6</strong> visitors entered, <strong>2</strong> reached the last step (33.3%)" in html
    assert "<td>83.3%</td>" in html  # cart from page view
    assert "4.0 h" in html  # median time to convert
    assert 'aria-current="page">Funnels' in html
    bad = page.get("/analytics/funnels/?steps=page_view&window_hours=24")
    assert bad.status_code == 200
    assert "Give 2 to 8 steps, separated by commas." in bad.content.decode()
    csv_text = page.get("/analytics/funnels/export.csv?start=2026-11-02&end=2026-11-08&window_hours=24").content
    assert csv_text.decode().splitlines()[3] == '"all",3,"purchase","",2,0.4,0.3333,3,0.6,7200.0,14400.0'
    assert page.get("/analytics/funnels/export.csv?window_hours=0").status_code == 400
