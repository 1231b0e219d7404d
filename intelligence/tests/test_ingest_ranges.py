"""Numbers out of range in ingestion: every integer field of every kind has a range that fits its
column, on the batch API, in CSV imports and on the events fast path (pydantic); a number out of
range is a row error naming the field while the valid rows land (never a 500, never a failed import)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import annotated_types
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context
from rest_framework import serializers

from intelligence.ingest.records import KINDS, EventIn
from intelligence.models import Event, ImportJob, Order, Payment
from suresh_ai.api.serializers import MAX_PAISE
from suresh_ai.testing import TenantFixture

JSON = "application/json"
BIGINT_MAX = 2**63 - 1
TOO_BIG = 2**63  # the first value PostgreSQL's bigint cannot hold
DRF_TOO_BIG = f"Ensure this value is less than or equal to {MAX_PAISE}."
AT = "2026-11-05T10:00:00Z"


def _integer_fields(schema: serializers.Serializer[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(path, field) of every integer field, nested ones (an order's items) as items.0.<name>."""
    for name, field in schema.fields.items():
        if isinstance(field, serializers.ListSerializer):
            yield from _integer_fields(field.child, f"{prefix}{name}.0.")  # type: ignore[arg-type]
        elif isinstance(field, serializers.Serializer):
            yield from _integer_fields(field, f"{prefix}{name}.")
        elif isinstance(field, serializers.IntegerField):
            yield f"{prefix}{name}", field


DRF_INTEGER_FIELDS = [
    (kind, path) for kind, record in KINDS.items() if kind != "events" for path, _ in _integer_fields(record())
]


def _pydantic_bounds(name: str) -> tuple[int | None, int | None]:
    metadata = EventIn.model_fields[name].metadata
    ge = next((m.ge for m in metadata if isinstance(m, annotated_types.Ge)), None)
    le = next((m.le for m in metadata if isinstance(m, annotated_types.Le)), None)
    return ge, le  # type: ignore[return-value]


def test_every_integer_field_of_every_kind_has_a_range_its_column_holds() -> None:
    assert ("orders", "discount_paise") in DRF_INTEGER_FIELDS  # the walk sees the fields (positive control)
    assert ("orders", "items.0.quantity") in DRF_INTEGER_FIELDS
    unbounded = [
        (kind, path)
        for kind, record in KINDS.items()
        for path, field in _integer_fields(record())
        if field.max_value is None
        or field.min_value is None
        or not -BIGINT_MAX <= field.min_value <= field.max_value <= BIGINT_MAX
    ]
    assert unbounded == []
    integer_events = [name for name, info in EventIn.model_fields.items() if "int" in str(info.annotation)]
    assert integer_events == ["revenue_paise"]
    assert [_pydantic_bounds(name) for name in integer_events] == [(0, MAX_PAISE)]


def _valid(kind: str, n: int) -> dict[str, Any]:
    """A valid record of ``kind`` (the n-th, with its own ids), every integer field given."""
    return {
        "products": {"sku": f"rg-{n}", "name": "Mango", "price_paise": 100},
        "orders": {
            "external_id": f"rg-o{n}",
            "customer_id": "rg-c1",
            "total_paise": 1_000,
            "subtotal_paise": 1_000,
            "discount_paise": 0,
            "tax_paise": 0,
            "shipping_paise": 0,
            "created_at": AT,
            "items": [{"sku": "rg-1", "quantity": 1, "unit_price_paise": 1_000}],
        },
        "payments": {
            "razorpay_payment_id": f"pay_rg{n}",
            "status": "captured",
            "amount_paise": 1_000,
            "fee_paise": 20,
            "created_at": AT,
        },
        "refunds": {
            "razorpay_refund_id": f"rfnd_rg{n}",
            "razorpay_payment_id": "pay_x",
            "amount_paise": 1,
            "created_at": AT,
        },
        "events": {
            "event_id": f"rg-e{n}",
            "name": "purchase",
            "anonymous_id": "v1",
            "revenue_paise": 1,
            "occurred_at": AT,
        },
        "spend": {"channel": "email", "campaign": f"rg-{n}", "date": "2026-11-05", "amount_paise": 1},
    }[kind]


def _with(record: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    target = record
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[last] = value
    return record


def _expected_reason(kind: str, path: str, value: int) -> str:
    if kind == "events":  # pydantic's words
        return f"Input should be {'less' if value > 0 else 'greater'} than or equal to {MAX_PAISE if value > 0 else 0}"
    field = dict(_integer_fields(KINDS[kind]()))[path]
    if value > field.max_value:
        return f"Ensure this value is less than or equal to {field.max_value}."
    return f"Ensure this value is greater than or equal to {field.min_value}."


@pytest.mark.parametrize(("kind", "path"), [*DRF_INTEGER_FIELDS, ("events", "revenue_paise")])
@pytest.mark.parametrize("value", [TOO_BIG, 2**64, -TOO_BIG])
def test_batch_api_reports_a_number_out_of_range_and_lands_the_rest(
    alpha: TenantFixture, kind: str, path: str, value: int
) -> None:
    records = [_valid(kind, 1), _with(_valid(kind, 2), path, value)]
    response = alpha.key_client().post(f"/api/v1/data/{kind}/", {"records": records}, content_type=JSON)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["received"], body["created"] + body["updated"] + body["unchanged"]) == (2, 1)
    assert body["errors"] == [{"index": 1, "field": path, "reason": _expected_reason(kind, path, value)}]


def test_an_order_line_whose_total_overflows_is_a_row_error(alpha: TenantFixture) -> None:
    line = {"sku": "rg-1", "quantity": 100_000, "unit_price_paise": MAX_PAISE}  # each in range, the product not
    records = [_valid("orders", 1), {**_valid("orders", 2), "items": [line]}]
    body = alpha.key_client().post("/api/v1/data/orders/", {"records": records}, content_type=JSON).json()
    assert body["created"] == 1
    assert body["errors"] == [
        {
            "index": 1,
            "field": "items.0.unit_price_paise",
            "reason": f"quantity x unit_price_paise must be at most {MAX_PAISE}.",
        }
    ]


@pytest.mark.parametrize("kind", ["customers", "events"])
def test_a_json_number_too_large_for_a_json_column_is_a_row_error(alpha: TenantFixture, kind: str) -> None:
    """1e999 reads as infinity, which JSON (and so a jsonb column) cannot hold."""
    bag = "attributes" if kind == "customers" else "properties"
    first = {"external_id": "rg-c1"} if kind == "customers" else _valid("events", 1)
    second = {"external_id": "rg-c2"} if kind == "customers" else _valid("events", 2)
    body = (
        '{"records": [' + json.dumps(first) + ", " + json.dumps(second)[:-1] + f', "{bag}": {{"rank": 1e999}}}}' + "]}"
    )
    response = alpha.key_client().post(f"/api/v1/data/{kind}/", body, content_type=JSON)
    assert response.status_code == 200, response.content
    assert response.json()["errors"] == [
        {"index": 1, "field": f"{bag}.rank", "reason": "A number too large to store (or not a number)."}
    ]
    assert response.json()["created"] == 1


def _import(fixture: TenantFixture, kind: str, data: bytes, capture: Any) -> dict[str, Any]:
    with capture(execute=True):
        response = fixture.key_client().post(
            "/api/v1/data/imports/", {"kind": kind, "file": SimpleUploadedFile(f"{kind}.csv", data, "text/csv")}
        )
    assert response.status_code == 202, response.content
    return fixture.key_client().get(f"/api/v1/data/imports/{response.json()['id']}/").json()


def test_a_csv_import_with_numbers_out_of_range_keeps_its_valid_rows(
    alpha: TenantFixture, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    huge = "9" * 5000  # past the 4,300 digits Python reads at all
    data = (
        "external_id,customer_id,total_paise,discount_paise,tax_paise,shipping_paise,created_at,items\n"
        f"ok-1,c-1,1000,0,0,0,{AT},\n"
        f"bad-2,c-1,1000,{TOO_BIG},0,0,{AT},\n"
        f"bad-3,c-1,1000,0,{TOO_BIG},0,{AT},\n"
        f"bad-4,c-1,1000,0,0,{huge},{AT},\n"
        f"bad-5,c-1,\u00b2,0,0,0,{AT},\n"  # "²" passes str.isdigit(), int() refuses it
        f"bad-6,c-1,1000,0,0,0,{AT},SKU:100000:{MAX_PAISE}\n"
        f"bad-7,c-1,1000,0,0,0,{AT},SKU:1:-{huge}\n"
        f"ok-8,c-1,2000,0,0,0,{AT},SKU:2:1000\n"
    ).encode()
    job = _import(alpha, "orders", data, django_capture_on_commit_callbacks)
    assert (job["status"], job["processed_rows"], job["created"], job["error_count"]) == ("done", 8, 2, 6)
    report = alpha.key_client().get(f"/api/v1/data/imports/{job['id']}/errors.csv").content.decode()
    assert report.splitlines()[1:] == [
        f'3,"discount_paise","{DRF_TOO_BIG}"',
        f'4,"tax_paise","{DRF_TOO_BIG}"',
        f'5,"shipping_paise","{DRF_TOO_BIG}"',
        '6,"total_paise","A valid integer is required."',
        f'7,"items.0.unit_price_paise","quantity x unit_price_paise must be at most {MAX_PAISE}."',
        '8,"items.0.unit_price_paise","Ensure this value is greater than or equal to 0."',
    ]
    with schema_context(alpha.tenant.schema_name):
        assert sorted(Order.objects.values_list("external_id", flat=True)) == ["ok-1", "ok-8"]


def test_a_csv_import_of_events_checks_numbers_like_the_batch_api(
    alpha: TenantFixture, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    data = (
        "event_id,name,anonymous_id,occurred_at,revenue_paise,properties\n"
        f"e-1,purchase,v1,{AT},100,\n"
        f"e-2,purchase,v1,{AT},{TOO_BIG},\n"
        f'e-3,purchase,v1,{AT},1,"{{""rank"": 1e999}}"\n'
        f"e-4,purchase,v1,{AT},200,\n"
    ).encode()
    job = _import(alpha, "events", data, django_capture_on_commit_callbacks)
    assert (job["status"], job["created"], job["error_count"]) == ("done", 2, 2)
    with schema_context(alpha.tenant.schema_name):
        assert ImportJob.objects.get(pk=job["id"]).errors == [
            {"row": 3, "field": "revenue_paise", "reason": f"Input should be less than or equal to {MAX_PAISE}"},
            {"row": 4, "field": "properties.rank", "reason": "A number too large to store (or not a number)."},
        ]
        assert sorted(Event.objects.values_list("event_id", flat=True)) == ["e-1", "e-4"]


def test_fee_out_of_range_is_refused_and_an_in_range_fee_is_stored(alpha: TenantFixture) -> None:
    records = [_with(_valid("payments", 1), "fee_paise", MAX_PAISE), _with(_valid("payments", 2), "fee_paise", TOO_BIG)]
    body = alpha.key_client().post("/api/v1/data/payments/", {"records": records}, content_type=JSON).json()
    assert body["errors"] == [{"index": 1, "field": "fee_paise", "reason": DRF_TOO_BIG}]
    with schema_context(alpha.tenant.schema_name):
        assert Payment.objects.get(razorpay_payment_id="pay_rg1").fee_paise == MAX_PAISE
