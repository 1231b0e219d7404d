"""CSV imports: a Celery task with progress, per-row errors with line numbers, idempotent reruns."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from intelligence.models import Customer, ImportJob, Order, OrderItem
from suresh_ai.testing import TenantFixture, login_client

ORDERS_CSV = (
    b"external_id,customer_id,status,total_paise,created_at,paid_at,items\n"
    b"o-1,c-1,paid,49900,2026-11-01T10:00:00Z,2026-11-01T10:05:00Z,MANGO-500:2:24950\n"
    b"\n"
    b"o-2,c-2,paid,lots,2026-11-02T10:00:00Z,,\n"
    b"o-3,c-1,created,10000,2026-11-03T10:00:00Z,,LIME:1:10000;SALT:x:5\n"
    b"o-4,c-3,paid,5000,2026-11-04T10:00:00Z,2026-11-04T10:01:00Z,\n"
    b"o-5,c-3,paid,5000,2026-11-05T10:00:00Z,,MANGO-500 x 2\n"
)


def _upload(fixture: TenantFixture, data: bytes, kind: str = "orders") -> Any:
    return fixture.key_client().post(
        "/api/v1/data/imports/", {"kind": kind, "file": SimpleUploadedFile("orders.csv", data, "text/csv")}
    )


def test_an_import_reports_rows_with_errors_and_lands_the_rest(
    alpha: TenantFixture, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(alpha, ORDERS_CSV)
    assert response.status_code == 202, response.content
    assert (response.json()["total_rows"], response.json()["status"]) == (5, "queued")
    job = alpha.key_client().get(f"/api/v1/data/imports/{response.json()['id']}/").json()
    assert (job["status"], job["processed_rows"], job["progress"]) == ("done", 5, 1.0)
    assert (job["created"], job["error_count"]) == (2, 3)
    report = alpha.key_client().get(f"/api/v1/data/imports/{job['id']}/errors.csv").content.decode()
    assert report.splitlines() == [
        '"row","field","reason"',
        '4,"total_paise","A valid integer is required."',  # line 4 of the file (a blank line 3 is skipped)
        '5,"items.1.quantity","A valid integer is required."',
        '7,"items","Write items as SKU:QUANTITY:UNIT_PRICE_PAISE, entries separated by \';\' (e.g. MP-500:2:24950)."',
    ]
    with schema_context(alpha.tenant.schema_name):
        assert sorted(Order.objects.values_list("external_id", flat=True)) == ["o-1", "o-4"]
        assert list(OrderItem.objects.values_list("sku", "quantity", "unit_price_paise")) == [("MANGO-500", 2, 24950)]
        assert Customer.objects.count() == 2
        assert ImportJob.objects.get().data == b""  # the file is not kept once imported
    # The same file again: nothing changes.
    with django_capture_on_commit_callbacks(execute=True):
        again = _upload(alpha, ORDERS_CSV).json()
    again = alpha.key_client().get(f"/api/v1/data/imports/{again['id']}/").json()
    assert (again["created"], again["updated"], again["unchanged"], again["error_count"]) == (0, 0, 2, 3)


def test_bad_files_are_refused_before_anything_is_queued(alpha: TenantFixture) -> None:
    unknown = _upload(alpha, b"external_id,colour\nx,red\n", kind="customers")
    assert unknown.status_code == 400
    assert unknown.json()["detail"]["file"][0].startswith("Unknown column(s): colour.")
    assert _upload(alpha, b"", kind="customers").json()["detail"]["file"] == ["The submitted file is empty."]
    assert _upload(alpha, b"\n\n", kind="customers").json()["detail"]["file"] == [
        "The file is empty: a header row of field names comes first."
    ]
    assert _upload(alpha, b"external_id\n", kind="customers").json()["detail"]["file"] == [
        "The file has a header row but no rows."
    ]
    assert _upload(alpha, b"\xff\xfe", kind="customers").json()["detail"]["file"] == [
        "Save the CSV as UTF-8 and upload it again."
    ]
    assert list(_upload(alpha, b"a\n1\n", kind="widgets").json()["detail"]) == ["kind"]
    with schema_context(alpha.tenant.schema_name):
        assert not ImportJob.objects.exists()


def test_the_data_page_imports_and_shows_progress(
    alpha: TenantFixture, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    page = login_client(alpha, alpha.owner)
    csv_file = SimpleUploadedFile("c.csv", b"External ID,Email\nc-9,Nine@Shop.in\n", "text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post("/analytics/data/", {"kind": "customers", "file": csv_file})
    assert response.status_code == 302
    html = page.get("/analytics/data/").content.decode()
    assert "queued: 1 rows" in html
    assert "1 new, 0 changed, 0 unchanged" in html
    with schema_context(alpha.tenant.schema_name):
        assert Customer.objects.get().email == "nine@shop.in"


def test_export_links_with_bad_dates_are_400_pages_not_500(alpha: TenantFixture) -> None:
    page = login_client(alpha, alpha.owner)
    for path in (
        "/analytics/export.csv?start=2026-13-01",
        "/analytics/payments/export.csv?start=2026-11-20&end=2026-11-01",
        "/analytics/export.csv?end=9999-12-31",
    ):
        response = page.get(path)
        assert response.status_code == 400, path
    assert alpha.key_client().get("/api/v1/analytics/kpis/?end=9999-12-31").json()["detail"] == {
        "end": ["A date between 2000 and 2100."]
    }


def test_semicolon_files_and_impossible_event_times_are_named(alpha: TenantFixture) -> None:
    refused = _upload(alpha, b"external_id;email\nc1;a@b.in\n", kind="customers")
    assert refused.json()["detail"]["file"] == ["The columns are separated by ';': save the file with commas."]
    event = {"event_id": "y1", "name": "x", "anonymous_id": "a", "occurred_at": "0001-01-01T00:00:00Z"}
    body = alpha.key_client().post("/api/v1/data/events/", {"records": [event]}, content_type="application/json")
    assert body.json()["detail"]["errors"] == [
        {"index": 0, "field": "occurred_at", "reason": "A time between the years 2000 and 2100."}
    ]


def test_an_events_import_names_the_format_of_a_bad_properties_cell(
    alpha: TenantFixture, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    data = b"event_id,name,customer_id,occurred_at,properties\nie-1,page_view,c1,2026-12-01T10:00:00Z,sku=MP-500\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(alpha, data, kind="events")
    job = alpha.key_client().get(f"/api/v1/data/imports/{response.json()['id']}/").json()
    report = alpha.key_client().get(f"/api/v1/data/imports/{job['id']}/errors.csv").content.decode()
    assert report.splitlines()[1] == '2,"properties","Write a JSON object, e.g. {""sku"": ""MP-500""}."'
