"""Batch ingestion: per-record errors, idempotent upserts, derived fields."""

from __future__ import annotations

from typing import Any

from django_tenants.utils import schema_context

from intelligence.ingest.channels import channel_of
from intelligence.models import Customer, Event, Order, OrderItem, Payment
from suresh_ai.testing import TenantFixture

JSON = "application/json"


def _send(fixture: TenantFixture, kind: str, records: list[Any]) -> Any:
    return fixture.key_client().post(f"/api/v1/data/{kind}/", {"records": records}, content_type=JSON)


ORDERS = [
    {
        "external_id": "ord-1",
        "customer_id": "cust-1",
        "status": "paid",
        "total_paise": 49_900,
        "created_at": "2026-11-01T10:00:00Z",
        "paid_at": "2026-11-01T10:02:00Z",
        "items": [{"sku": "MANGO-500", "quantity": 2, "unit_price_paise": 24_950}],
    },
    {"external_id": "ord-2", "customer_id": "cust-2", "total_paise": "lots", "created_at": "2026-11-02T10:00:00Z"},
    {
        "external_id": "ord-3",
        "customer_id": "cust-1",
        "total_paise": 10_000,
        "created_at": "2026-11-03T10:00:00Z",
        "items": [{"sku": "", "unit_price_paise": 10_000}],
    },
]


def test_invalid_records_are_reported_while_valid_ones_land(alpha: TenantFixture) -> None:
    response = _send(alpha, "orders", ORDERS)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["received"], body["created"], body["updated"], body["unchanged"]) == (3, 1, 0, 0)
    assert body["errors"] == [
        {"index": 1, "field": "total_paise", "reason": "A valid integer is required."},
        {"index": 2, "field": "items.0.sku", "reason": "This field may not be blank."},
    ]
    with schema_context(alpha.tenant.schema_name):
        order = Order.objects.get()
        assert (order.external_id, order.total_paise, order.customer.external_id) == ("ord-1", 49_900, "cust-1")
        assert list(OrderItem.objects.values_list("sku", "quantity", "total_paise")) == [("MANGO-500", 2, 49_900)]
        assert Customer.objects.count() == 1  # the customer named by the valid order only


def test_the_same_batch_twice_changes_nothing(alpha: TenantFixture) -> None:
    customers = [{"external_id": f"c{i}", "email": f"C{i}@Shop.in", "name": f"C {i}"} for i in range(5)]
    first = _send(alpha, "customers", customers).json()
    assert (first["created"], first["unchanged"]) == (5, 0)
    with schema_context(alpha.tenant.schema_name):
        before = list(Customer.objects.order_by("pk").values())
    again = _send(alpha, "customers", customers).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 5)
    with schema_context(alpha.tenant.schema_name):
        assert list(Customer.objects.order_by("pk").values()) == before  # not even updated_at moved
        assert before[0]["email"] == "c0@shop.in"
    changed = _send(alpha, "customers", [{**customers[0], "name": "Renamed"}]).json()
    assert (changed["created"], changed["updated"]) == (0, 1)
    orders_twice = [_send(alpha, "orders", ORDERS[:1]).json() for _ in range(2)]
    assert [(o["created"], o["unchanged"]) for o in orders_twice] == [(1, 0), (0, 1)]
    with schema_context(alpha.tenant.schema_name):
        assert OrderItem.objects.count() == 1


def test_events_are_deduplicated_and_get_a_channel(alpha: TenantFixture) -> None:
    events = [
        {
            "event_id": "e1",
            "name": "page_view",
            "anonymous_id": "anon-1",
            "url": "https://shop.in/p/mango?x=1",
            "referrer": "https://www.google.com/",
            "occurred_at": "2026-11-01T10:00:00Z",
        },
        {
            "event_id": "e2",
            "name": "purchase",
            "customer_id": "cust-9",
            "utm_source": "newsletter",
            "utm_medium": "email",
            "occurred_at": "2026-11-01T11:00:00Z",
            "revenue_paise": 49_900,
        },
        {"event_id": "e3", "name": "page_view", "occurred_at": "2026-11-01T12:00:00Z"},
    ]
    body = _send(alpha, "events", events).json()
    assert (body["created"], body["errors"]) == (
        2,
        [{"index": 2, "field": "customer_id", "reason": "Give customer_id or anonymous_id (or both)."}],
    )
    assert _send(alpha, "events", events[:2]).json()["unchanged"] == 2
    with schema_context(alpha.tenant.schema_name):
        from intelligence.models import Visit

        # One visit each (no session ids: the visitor's day), not moved by the repeat.
        assert sorted(Visit.objects.values_list("session_key", "visitor_id", "channel")) == [
            ("anon-1@2026-11-01", "anon-1", "organic_search"),
            ("c:cust-9@2026-11-01", "c:cust-9", "email"),
        ]
    with schema_context(alpha.tenant.schema_name):
        rows = dict(Event.objects.values_list("event_id", "channel"))
        assert rows == {"e1": "organic_search", "e2": "email"}
        assert Event.objects.get(event_id="e1").path == "/p/mango"
        customer = Customer.objects.get(external_id="cust-9")
        assert customer.first_seen_at == customer.last_seen_at
        assert customer.first_seen_at.isoformat() == "2026-11-01T11:00:00+00:00"


def test_payments_link_to_their_orders(alpha: TenantFixture) -> None:
    _send(alpha, "orders", [{**ORDERS[0], "razorpay_order_id": "order_RZ1"}])
    payments = [
        {
            "razorpay_payment_id": "pay_1",
            "razorpay_order_id": "order_RZ1",
            "status": "failed",
            "method": "UPI",
            "error_code": "BAD_REQUEST_ERROR",
            "error_reason": "payment_failed",
            "amount_paise": 49_900,
            "created_at": "2026-11-01T10:00:30Z",
        },
        {
            "razorpay_payment_id": "pay_2",
            "order_id": "ord-1",
            "status": "captured",
            "method": "card",
            "card_network": "Visa",
            "amount_paise": 49_900,
            "created_at": "2026-11-01T10:01:00Z",
            "captured_at": "2026-11-01T10:02:00Z",
        },
    ]
    assert _send(alpha, "payments", payments).json()["created"] == 2
    with schema_context(alpha.tenant.schema_name):
        order = Order.objects.get(external_id="ord-1")
        assert sorted(Payment.objects.filter(order=order).values_list("razorpay_payment_id", "method")) == [
            ("pay_1", "upi"),
            ("pay_2", "card"),
        ]


def test_unknown_kinds_fields_and_empty_batches(alpha: TenantFixture) -> None:
    assert alpha.key_client().post("/api/v1/data/widgets/", {"records": [{}]}, content_type=JSON).status_code == 404
    unknown = _send(alpha, "products", [{"sku": "A", "name": "A", "colour": "red"}])
    assert unknown.status_code == 400
    assert unknown.json()["detail"]["errors"] == [{"index": 0, "field": "colour", "reason": "Unknown field."}]
    assert _send(alpha, "products", []).status_code == 400
    too_many = _send(alpha, "products", [{"sku": str(i), "name": "x"} for i in range(1001)])
    assert too_many.status_code == 400
    assert "records" in too_many.json()["detail"]


def test_channel_rules() -> None:
    assert channel_of() == "direct"
    assert channel_of(referrer="https://shop.in/a", url="https://shop.in/b") == "direct"
    assert channel_of(utm_medium="cpc", utm_source="google") == "paid_search"
    assert channel_of(utm_medium="cpc", utm_source="facebook") == "paid_social"
    assert channel_of(utm_medium="email") == "email"
    assert channel_of(utm_source="instagram") == "organic_social"
    assert channel_of(referrer="https://l.instagram.com/") == "organic_social"
    assert channel_of(referrer="https://www.bing.com/search?q=x") == "organic_search"
    assert channel_of(referrer="https://blog.example.org/post") == "referral"
    assert channel_of(utm_medium="carrier-pigeon") == "other"


def test_out_of_range_money_and_nul_characters_are_row_errors(alpha: TenantFixture) -> None:
    products = [
        {"sku": "BIG", "name": "Big", "price_paise": 10**20},
        {"sku": "NUL", "name": "Nul", "attributes": {"a": "x\x00y"}},
        {"sku": "OK", "name": "Ok", "price_paise": 100},
    ]
    body = _send(alpha, "products", products).json()
    assert body["created"] == 1
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(0, "price_paise"), (1, "attributes.a")]
    events = [
        {
            "event_id": "n1",
            "name": "x",
            "anonymous_id": "a",
            "occurred_at": "2026-11-01T00:00:00Z",
            "properties": {"k": "\x00"},
        },
        {
            "event_id": "n2",
            "name": "x",
            "anonymous_id": "a",
            "occurred_at": "2026-11-01T00:00:00Z",
            "revenue_paise": 10**20,
        },
    ]
    assert [(e["index"], e["field"]) for e in _send(alpha, "events", events).json()["detail"]["errors"]] == [
        (0, "properties.k"),
        (1, "revenue_paise"),
    ]


def test_numeric_ids_are_taken_as_text_other_numbers_for_text_are_row_errors(alpha: TenantFixture) -> None:
    """Stores send numeric ids (Shopify's 4500123): taken as their decimal text, once. A number for
    a name or a phone, or a decimal or boolean id, is a row error naming the field."""
    customers = [
        {"external_id": 4500123, "name": "Numeric id"},
        {"external_id": "c-2", "name": 42},
        {"external_id": "c-3", "phone": 9876543210},
        {"external_id": 1.5},
        {"external_id": True},
    ]
    body = _send(alpha, "customers", customers).json()
    assert body["created"] == 1
    assert [(e["index"], e["field"], e["reason"]) for e in body["errors"]] == [
        (1, "name", "Not a valid string."),
        (2, "phone", "Not a valid string."),
        (3, "external_id", "Not a valid string."),
        (4, "external_id", "Not a valid string."),
    ]
    order = {
        **ORDERS[0],
        "external_id": 77,
        "customer_id": 4500123,
        "items": [{"sku": 500, "unit_price_paise": 49_900}],
    }
    assert _send(alpha, "orders", [order]).json()["created"] == 1
    assert _send(alpha, "orders", [{**order, "external_id": "77"}]).json()["unchanged"] == 1  # the same order
    with schema_context(alpha.tenant.schema_name):
        assert list(Customer.objects.values_list("external_id", flat=True)) == ["4500123"]
        assert Order.objects.get().customer.external_id == "4500123"
        assert OrderItem.objects.get().sku == "500"
    event = {"event_id": 9001, "name": "page_view", "customer_id": 4500123, "occurred_at": "2026-11-01T00:00:00Z"}
    assert _send(alpha, "events", [event]).json()["created"] == 1
    assert _send(alpha, "events", [{**event, "event_id": "9001"}]).json()["unchanged"] == 1
    flawed = _send(alpha, "events", [{**event, "event_id": 9002, "customer_id": 1.5}]).json()
    assert [e["field"] for e in flawed["detail"]["errors"]] == ["customer_id"]  # none valid: a 400
    with schema_context(alpha.tenant.schema_name):
        assert list(Event.objects.values_list("event_id", "customer__external_id")) == [("9001", "4500123")]
    visit = {
        "event_id": "v-1",
        "name": "page_view",
        "anonymous_id": 77,
        "session_id": 78,
        "occurred_at": event["occurred_at"],
    }
    assert _send(alpha, "events", [visit]).json()["created"] == 1
    wrong = _send(alpha, "events", [{**visit, "event_id": "v-2", "utm_campaign": 2026}]).json()
    assert wrong["detail"]["errors"] == [{"index": 0, "field": "utm_campaign", "reason": "Not a valid string."}]
