"""The audit log: state-changing requests recorded in a hash chain that detects a modified row."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from ops.audit import audit_verify
from ops.models import AuditEntry
from suresh_ai.testing import TenantFixture, staff_client

JSON = "application/json"


def test_state_changing_requests_are_recorded_with_who_and_where(alpha: TenantFixture) -> None:
    client = alpha.key_client()
    client.get("/api/v1/members/")  # a read: not recorded
    response = client.post(
        "/api/v1/invitations/", {"email": "new@alpha.in", "role": "viewer"}, content_type=JSON, HTTP_USER_AGENT="curl/8"
    )
    assert response.status_code == 201
    client.post("/api/v1/invitations/", {"email": "not-an-email", "role": "viewer"}, content_type=JSON)  # a 400
    entry = AuditEntry.objects.get()
    assert (entry.method, entry.path, entry.status_code, entry.tenant_schema) == (
        "POST",
        "/api/v1/invitations/",
        201,
        alpha.tenant.schema_name,
    )
    assert entry.api_key_id is not None
    assert (entry.user_agent, entry.request_id == response["X-Request-ID"]) == ("curl/8", True)
    assert audit_verify().intact


def test_the_chain_detects_a_modified_row(alpha: TenantFixture) -> None:
    client = alpha.key_client()
    for i in range(3):
        client.post("/api/v1/invitations/", {"email": f"p{i}@alpha.in", "role": "viewer"}, content_type=JSON)
    entries = list(AuditEntry.objects.order_by("id"))
    assert len(entries) == 3
    assert audit_verify().intact
    # The table refuses changes...
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entries[1].pk).update(path="/api/v1/nothing-to-see/")
    # ...so tampering needs the owner's rights to switch the trigger off; the chain still shows it.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ops_auditentry DISABLE TRIGGER ops_audit_no_change")
        cursor.execute("UPDATE ops_auditentry SET path = '/api/v1/nothing-to-see/' WHERE id = %s", [entries[1].pk])
        cursor.execute("ALTER TABLE ops_auditentry ENABLE TRIGGER ops_audit_no_change")
    result = audit_verify()
    assert (result.intact, result.first_broken_id, result.reason) == (
        False,
        entries[1].pk,
        "its content does not match its hash",
    )


def test_staff_read_and_verify_the_log_tenants_cannot(alpha: TenantFixture) -> None:
    alpha.key_client().post("/api/v1/invitations/", {"email": "s@alpha.in", "role": "viewer"}, content_type=JSON)
    staff = staff_client("auditor@platform.in")
    listed = staff.get(f"/api/v1/platform/audit/?tenant={alpha.tenant.schema_name}").json()["results"]
    assert [e["path"] for e in listed][-1] == "/api/v1/invitations/"
    verified = staff.get("/api/v1/platform/audit/verify/").json()
    assert verified["intact"] is True
    assert alpha.key_client().get("/api/v1/platform/audit/").status_code in (401, 403, 404)
