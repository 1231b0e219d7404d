"""Audit entries record what a request changed (before/after, redacted, capped), the chain covers
it, and staff export the log as CSV or JSON lines that can be verified offline."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from ops import audit_changes
from ops.audit import EXPORT_COLUMNS, audit_verify
from ops.audit_changes import REDACTED, ChangeSet, audit_capture, audit_change
from ops.models import AuditEntry
from suresh_ai.testing import PASSWORD, TenantFixture, make_member, otp_client, staff_client
from tenants.models import Membership, Role, Tenant, User

JSON = "application/json"


def _form_data(response: Any) -> dict[str, Any]:
    """What the admin change form would post back unchanged: the main form and every inline."""
    data: dict[str, Any] = {}

    def add(form: Any) -> None:
        for name, bound in form.fields.items():
            if name in form.initial or bound.initial is not None:
                value = form[name].value()
                key = form.add_prefix(name)
                if value is None:
                    continue
                if hasattr(bound.widget, "widgets"):  # split date and time: name_0, name_1
                    for i, part in enumerate(bound.widget.decompress(value)):
                        data[f"{key}_{i}"] = "" if part is None else str(part)
                elif isinstance(value, bool):
                    if value:
                        data[key] = "on"
                elif isinstance(value, list | tuple):
                    data[key] = [str(v) for v in value]
                else:
                    data[key] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            value = management[name].value()
            data[management.add_prefix(name)] = "" if value is None else value
        for form in formset.forms:
            add(form)
            if form.instance.pk:
                data[form.add_prefix("id")] = form.instance.pk
    return data


# --- What a request changed -----------------------------------------------------------------------


def test_an_api_role_change_records_the_role_before_and_after(alpha: TenantFixture) -> None:
    member = make_member(alpha.tenant, Role.ANALYST)
    membership = Membership.objects.get(user=member)
    response = alpha.key_client().patch(f"/api/v1/members/{membership.pk}/", {"role": "admin"}, content_type=JSON)
    assert response.status_code == 200
    entry = AuditEntry.objects.get()
    key = f"tenants.membership:{membership.pk}"
    assert (entry.tenant_schema, entry.method, entry.before, entry.after) == (
        alpha.tenant.schema_name,
        "PATCH",
        {key: {"role": "analyst"}},
        {key: {"role": "admin"}},
    )
    assert audit_verify().intact


def test_revoked_api_keys_are_recorded_also_when_a_role_change_revokes_them(alpha: TenantFixture) -> None:
    """Revoking a key, and the keys of a person demoted below admin, change rows the log must show."""
    from tenants.models import ApiKey
    from tenants.services import api_key_create

    target = api_key_create(tenant=alpha.tenant, name="ci", scopes=["read"], created_by=alpha.owner).api_key
    assert alpha.key_client().delete(f"/api/v1/api-keys/{target.pk}/").status_code in (200, 204)
    key = f"tenants.apikey:{target.pk}"
    entry = AuditEntry.objects.get()
    target.refresh_from_db()
    assert entry.before == {key: {"revoked_at": None}}
    assert entry.after == {key: {"revoked_at": DjangoJSONEncoder().default(target.revoked_at)}}

    member = make_member(alpha.tenant, Role.ADMIN)
    theirs = api_key_create(tenant=alpha.tenant, name="theirs", scopes=["read"], created_by=member).api_key
    membership = Membership.objects.get(user=member)
    alpha.key_client().patch(f"/api/v1/members/{membership.pk}/", {"role": "viewer"}, content_type=JSON)
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry is not None
    assert set(entry.after) == {f"tenants.membership:{membership.pk}", f"tenants.apikey:{theirs.pk}"}
    assert entry.before[f"tenants.apikey:{theirs.pk}"] == {"revoked_at": None}
    assert ApiKey.objects.get(pk=theirs.pk).revoked_at is not None
    assert audit_verify().intact


def test_a_deletion_records_the_row_before_and_nothing_after(alpha: TenantFixture) -> None:
    member = make_member(alpha.tenant, Role.VIEWER)
    membership = Membership.objects.get(user=member)
    assert alpha.key_client().delete(f"/api/v1/members/{membership.pk}/").status_code == 204
    entry = AuditEntry.objects.get()
    key = f"tenants.membership:{membership.pk}"
    assert entry.after == {key: None}
    assert entry.before == {
        key: {
            "tenant": alpha.tenant.pk,
            "user": member.pk,
            "role": "viewer",
            "created_at": DjangoJSONEncoder().default(membership.created_at),
        }
    }


def test_a_creation_records_after_with_secrets_redacted(alpha: TenantFixture) -> None:
    response = alpha.key_client().post("/api/v1/api-keys/", {"name": "ci", "scopes": ["read"]}, content_type=JSON)
    assert response.status_code == 201
    body = response.json()
    entry = AuditEntry.objects.get()
    key = f"tenants.apikey:{body['id']}"
    assert entry.before == {key: None}
    created = entry.after[key]
    assert (created["name"], created["prefix"], created["scopes"], created["key_hash"]) == (
        "ci",
        body["prefix"],
        ["read"],
        REDACTED,
    )
    assert body["key"] not in json.dumps(entry.after)


def test_reads_and_refused_writes_are_not_recorded_and_cost_no_query(
    alpha: TenantFixture, django_assert_num_queries: Any
) -> None:
    member = make_member(alpha.tenant, Role.ANALYST)
    membership = Membership.objects.get(user=member)
    alpha.key_client().get("/api/v1/members/")
    alpha.key_client().patch(f"/api/v1/members/{membership.pk}/", {"role": "nonsense"}, content_type=JSON)
    assert not AuditEntry.objects.exists()
    membership.role = Role.VIEWER
    with django_assert_num_queries(1):  # outside an audited request: the UPDATE only
        membership.save(update_fields=["role"])
    with audit_capture() as changes, django_assert_num_queries(2):  # inside one: the old row too
        membership.role = Role.ADMIN
        membership.save(update_fields=["role"])
    assert changes.entry_values() == (
        {f"tenants.membership:{membership.pk}": {"role": "viewer"}},
        {f"tenants.membership:{membership.pk}": {"role": "admin"}},
    )


def test_end_customer_personal_data_and_totp_keys_are_redacted(alpha: TenantFixture) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from intelligence.models import Customer

    with tenant_context(alpha.tenant), audit_capture() as changes:
        customer = Customer.objects.create(external_id="c-1", email="asha@example.in", phone="+919800000000")
        customer.email = "asha.k@example.in"
        customer.save()
        device = TOTPDevice.objects.create(user=alpha.owner, name="phone")
    before, after = changes.entry_values()
    assert after is not None
    assert before is not None
    created = after[f"intelligence.customer:{customer.pk}"]
    assert (created["external_id"], created["email"], created["phone"], created["name"]) == (
        "c-1",
        REDACTED,
        REDACTED,
        "",
    )
    assert after[f"otp_totp.totpdevice:{device.pk}"]["key"] == REDACTED
    assert "asha" not in json.dumps([before, after])
    assert device.key not in json.dumps(after)


def test_a_password_change_in_the_admin_shows_only_that_it_changed(alpha: TenantFixture) -> None:
    staff = staff_client("root@platform.in")
    target = User.objects.get(email="owner@alpha.in")
    old_hash = target.password
    response = staff.post(
        f"/admin/tenants/user/{target.pk}/password/",
        {"password1": "another-long-passphrase-7", "password2": "another-long-passphrase-7"},
    )
    assert response.status_code == 302, response.content
    entry = AuditEntry.objects.get(path=f"/admin/tenants/user/{target.pk}/password/")
    key = f"tenants.user:{target.pk}"
    assert (entry.before[key]["password"], entry.after[key]["password"]) == (REDACTED, REDACTED)
    assert old_hash not in json.dumps(entry.before)


def test_an_admin_change_of_a_tenants_name_records_it(alpha: TenantFixture) -> None:
    staff = staff_client("ops@platform.in")
    url = f"/admin/tenants/tenant/{alpha.tenant.pk}/change/"
    data = _form_data(staff.get(url))
    data["name"] = "Alpha Traders Renamed"
    response = staff.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    entry = AuditEntry.objects.get(path=url)
    key = f"tenants.tenant:{alpha.tenant.pk}"
    assert (entry.tenant_schema, entry.before, entry.after) == (
        "public",
        {key: {"name": "Alpha Traders"}},
        {key: {"name": "Alpha Traders Renamed"}},
    )
    assert audit_verify().intact


def test_a_form_shown_again_or_a_refused_sign_in_is_not_an_action(alpha: TenantFixture) -> None:
    """A page that answers a POST with 200 and changed nothing showed its form again (invalid input,
    a wrong password): not recorded. The API's answers are recorded whatever they changed."""
    staff = staff_client("ops@platform.in")
    url = f"/admin/tenants/tenant/{alpha.tenant.pk}/change/"
    data = {**_form_data(staff.get(url)), "name": ""}
    assert staff.post(url, data).status_code == 200  # "This field is required."
    refused = Client(HTTP_HOST="localhost").post("/admin/login/", {"username": "root@platform.in", "password": "no"})
    assert refused.status_code == 200
    assert not AuditEntry.objects.exists()
    staff.post(url, {**data, "name": "Alpha Renamed"})  # now valid: recorded
    assert list(AuditEntry.objects.values_list("path", flat=True)) == [url]


def test_saving_a_user_unchanged_in_the_admin_changes_nothing(alpha: TenantFixture) -> None:
    """Sign-in and sign-up times are read-only there (the form's widgets would cut their microseconds)."""
    staff = staff_client("ops@platform.in")
    User.objects.filter(pk=alpha.owner.pk).update(last_login=timezone.now())
    url = f"/admin/tenants/user/{alpha.owner.pk}/change/"
    before = User.objects.filter(pk=alpha.owner.pk).values("last_login", "date_joined").get()
    assert staff.post(url, _form_data(staff.get(url))).status_code == 302
    assert User.objects.filter(pk=alpha.owner.pk).values("last_login", "date_joined").get() == before
    assert AuditEntry.objects.get(path=url).before is None


def test_an_admin_plan_edit_records_the_new_version(db: None) -> None:
    from billing.models import Plan

    staff = staff_client("plans@platform.in")
    plan = Plan.objects.get(code="pro", is_current=True)
    url = f"/admin/billing/plan/{plan.pk}/change/"
    data = _form_data(staff.get(url))
    data["seats"] = plan.seats + 3
    assert staff.post(url, data).status_code == 302
    entry = AuditEntry.objects.get(path=url)
    new = Plan.objects.get(code="pro", is_current=True)
    assert entry.before[f"billing.plan:{new.pk}"] is None
    assert entry.after[f"billing.plan:{new.pk}"]["seats"] == plan.seats + 3
    assert (entry.before[f"billing.plan:{plan.pk}"], entry.after[f"billing.plan:{plan.pk}"]) == (
        {"is_current": True},
        {"is_current": False},
    )


# --- The change set itself ------------------------------------------------------------------------


def test_changes_merge_per_object_within_a_request(alpha: TenantFixture) -> None:
    member = make_member(alpha.tenant, Role.ANALYST)
    membership = Membership.objects.get(user=member)
    loner = User.objects.create_user(email="loner@alpha.in", password=PASSWORD)
    with audit_capture() as changes:
        membership.role = Role.ADMIN
        membership.save()
        membership.role = Role.ANALYST
        membership.save()  # changed back: nothing to record
        temporary = Membership.objects.create(tenant=alpha.tenant, user=loner, role=Role.VIEWER)
        temporary.delete()  # created and deleted: nothing either
        member.full_name = "Asha"
        member.save(update_fields=["full_name"])
        member.full_name = "Asha K"
        member.save(update_fields=["full_name"])
    assert changes.entry_values() == (
        {f"tenants.user:{member.pk}": {"full_name": ""}},
        {f"tenants.user:{member.pk}": {"full_name": "Asha K"}},
    )


def test_many_to_many_changes_list_ids_before_and_after(alpha: TenantFixture) -> None:
    from django.contrib.auth.models import Group

    first, second = Group.objects.create(name="auditors"), Group.objects.create(name="support")
    with audit_capture() as changes:
        alpha.owner.groups.add(first, second)
        alpha.owner.groups.remove(first)
    _, after = changes.entry_values()
    assert after is not None
    assert after[f"tenants.user:{alpha.owner.pk}"] == {"groups": [second.pk]}


def test_an_entry_is_capped_and_counts_what_it_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_changes, "MAX_ENTRY_BYTES", 300)
    changes = ChangeSet()
    for i in range(10):
        changes.add(f"tests.thing:{i}", None, {"text": "x" * 40})
    changes.add("tests.thing:big", None, {"text": "y" * 2000})
    before, after = changes.entry_values()
    assert after is not None
    assert before is not None
    kept = [k for k in after if k != "_omitted"]
    assert 0 < len(kept) < 10
    assert after["_omitted"] == before["_omitted"] == 11 - len(kept)
    assert len(json.dumps(after)) < 600
    long = audit_changes._plain("z" * 5000)
    assert long.startswith("z" * 100)
    assert "[5000 chars, sha256 " in long


def test_changes_made_without_signals_can_be_added_by_the_service(alpha: TenantFixture) -> None:
    with audit_capture() as changes:
        audit_change(model=Tenant, pk=alpha.tenant.pk, before={"plan": "starter"}, after={"plan": "pro"})
    assert changes.entry_values() == (
        {f"tenants.tenant:{alpha.tenant.pk}": {"plan": "starter"}},
        {f"tenants.tenant:{alpha.tenant.pk}": {"plan": "pro"}},
    )
    audit_change(model=Tenant, pk=1, before=None, after={"plan": "pro"})  # no request open: ignored


# --- The chain ------------------------------------------------------------------------------------


def test_the_chain_detects_a_modified_before_or_after(alpha: TenantFixture) -> None:
    for role in ("admin", "viewer", "analyst"):
        membership = Membership.objects.get(
            user=make_member(alpha.tenant, Role.ANALYST if role != "analyst" else Role.VIEWER)
        )
        alpha.key_client().patch(f"/api/v1/members/{membership.pk}/", {"role": role}, content_type=JSON)
    entries = list(AuditEntry.objects.order_by("id"))
    assert len(entries) == 3
    assert all(e.before and e.after for e in entries)
    assert audit_verify().intact
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ops_auditentry DISABLE TRIGGER ops_audit_no_change")
        cursor.execute(
            "UPDATE ops_auditentry SET after = jsonb_set(after, %s, '\"owner\"') WHERE id = %s",
            [[next(iter(entries[1].after)), "role"], entries[1].pk],
        )
        cursor.execute("ALTER TABLE ops_auditentry ENABLE TRIGGER ops_audit_no_change")
    result = audit_verify()
    assert (result.intact, result.first_broken_id, result.reason) == (
        False,
        entries[1].pk,
        "its content does not match its hash",
    )


def test_entries_without_before_and_after_still_verify(alpha: TenantFixture) -> None:
    from ops.audit import audit_record

    audit_record(method="POST", path="/old/", status_code=201, action="old")  # as rows were before
    alpha.key_client().post("/api/v1/api-keys/", {"name": "ci", "scopes": ["read"]}, content_type=JSON)
    result = audit_verify()
    assert (result.intact, result.entries) == (True, 2)
    assert result.last_hash == AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()


# --- Export ---------------------------------------------------------------------------------------


def _two_tenants_of_entries(alpha: TenantFixture, beta: TenantFixture) -> None:
    for fixture in (alpha, beta):
        fixture.key_client().post(
            "/api/v1/invitations/", {"email": f"x@{fixture.tenant.slug}.in", "role": "viewer"}, content_type=JSON
        )
    membership = Membership.objects.get(user=make_member(alpha.tenant, Role.ANALYST))
    alpha.key_client().patch(f"/api/v1/members/{membership.pk}/", {"role": "viewer"}, content_type=JSON)


def _content(response: Any) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode()


def test_staff_export_csv_filtered_by_tenant_with_hash_columns(alpha: TenantFixture, beta: TenantFixture) -> None:
    _two_tenants_of_entries(alpha, beta)
    staff = staff_client("auditor@platform.in")
    response = staff.get(f"/api/v1/platform/audit/export.csv?tenant={alpha.tenant.schema_name}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(_content(response))))
    expected = AuditEntry.objects.filter(tenant_schema=alpha.tenant.schema_name).order_by("id")
    assert [int(r["id"]) for r in rows] == [e.pk for e in expected]
    assert len(rows) == 2
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert [(r["path"], r["hash"], r["prev_hash"]) for r in rows] == [(e.path, e.hash, e.prev_hash) for e in expected]
    assert [json.loads(r["after"]) for r in rows] == [e.after for e in expected]
    assert [json.loads(r["before"]) for r in rows] == [e.before for e in expected]
    assert list(expected[0].before.values()) == [None]  # a creation
    # The export itself is in the log, with what was asked for.
    export = AuditEntry.objects.get(method="GET")
    assert (export.path, export.user_email, export.status_code) == (
        f"/api/v1/platform/audit/export.csv?tenant={alpha.tenant.schema_name}",
        "auditor@platform.in",
        200,
    )


def test_staff_export_jsonl_filtered_by_path_user_and_dates(alpha: TenantFixture, beta: TenantFixture) -> None:
    _two_tenants_of_entries(alpha, beta)
    staff = staff_client("auditor@platform.in")
    lines = _content(staff.get("/api/v1/platform/audit/export.jsonl?path=/api/v1/invitations/")).splitlines()
    rows = [json.loads(line) for line in lines]
    assert sorted(r["tenant_schema"] for r in rows) == sorted([alpha.tenant.schema_name, beta.tenant.schema_name])
    assert all(set(r) == set(EXPORT_COLUMNS) for r in rows)
    first = AuditEntry.objects.order_by("id").first()
    assert first is not None
    assert rows[0]["at"] == first.at.isoformat(timespec="microseconds")
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    assert _content(staff.get(f"/api/v1/platform/audit/export.jsonl?since={tomorrow}")) == ""
    yesterday = (timezone.now() - timedelta(days=1)).date().isoformat()
    ranged = _content(staff.get(f"/api/v1/platform/audit/export.jsonl?since={yesterday}&until={tomorrow}"))
    # Three actions, the two exports before, and this one: recorded before the file streams.
    assert len(ranged.splitlines()) == 6
    assert _content(staff.get(f"/api/v1/platform/audit/export.jsonl?user_id={alpha.owner.pk}")) == ""
    bad = staff.get("/api/v1/platform/audit/export.jsonl?since=last-tuesday")
    assert bad.status_code == 400
    assert "since" in bad.json()["detail"]
    backwards = staff.get(f"/api/v1/platform/audit/export.csv?since={tomorrow}&until={yesterday}")
    assert backwards.status_code == 400
    assert "until" in backwards.json()["detail"]


@pytest.mark.parametrize("kind", ["export.csv", "export.jsonl"])
def test_only_platform_staff_may_export(alpha: TenantFixture, kind: str) -> None:
    alpha.key_client().post("/api/v1/invitations/", {"email": "s@alpha.in", "role": "viewer"}, content_type=JSON)
    url = f"/api/v1/platform/audit/{kind}"
    member = make_member(alpha.tenant, Role.OWNER, email="member@alpha.in")
    assert Client(HTTP_HOST="localhost").get(url).status_code in (401, 403)  # anonymous
    assert otp_client(member).get(url).status_code == 403  # signed in with 2FA, but not staff
    on_platform = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {alpha.admin_key}")
    assert on_platform.get(url).status_code in (401, 403)  # an API key, even an admin one
    assert alpha.key_client().get(url).status_code == 404  # on a tenant's domain there is no such path
    assert not AuditEntry.objects.filter(method="GET").exists()
    assert staff_client("auditor@platform.in").get(url).status_code == 200  # positive control


def test_an_exported_file_verifies_offline_and_tampering_is_found(
    alpha: TenantFixture, beta: TenantFixture, tmp_path: Path
) -> None:
    _two_tenants_of_entries(alpha, beta)
    staff = staff_client("auditor@platform.in")
    head = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
    for kind in ("csv", "jsonl"):
        whole = tmp_path / f"all.{kind}"
        whole.write_text(_content(staff.get(f"/api/v1/platform/audit/export.{kind}")))
        out = io.StringIO()
        call_command("audit_verify", file=whole, complete=True, anchor=head, stdout=out, stderr=io.StringIO())
        assert json.loads(out.getvalue())["intact"] is True
    part = tmp_path / "alpha.jsonl"
    part.write_text(_content(staff.get(f"/api/v1/platform/audit/export.jsonl?tenant={alpha.tenant.schema_name}")))
    out = io.StringIO()
    call_command("audit_verify", file=part, stdout=out, stderr=io.StringIO())
    assert json.loads(out.getvalue())["gaps"] == 1  # beta's entry sits between alpha's two
    with pytest.raises(CommandError, match="link to the previous entry"):
        call_command("audit_verify", file=part, complete=True, stdout=io.StringIO(), stderr=io.StringIO())
    # Change the recorded role in the file: that row's hash no longer matches.
    changed = AuditEntry.objects.get(method="PATCH")
    recorded = f'{{""{next(iter(changed.after))}"":{{""role"":""viewer""}}}}'
    tampered = tmp_path / "tampered.csv"
    text = (tmp_path / "all.csv").read_text()
    assert text.count(recorded) == 1
    tampered.write_text(text.replace(recorded, recorded.replace("viewer", "owner")))
    with pytest.raises(CommandError, match=f"broken at entry {changed.pk}: its content does not match"):
        call_command("audit_verify", file=tampered, stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="--anchor"):
        call_command("audit_verify", anchor="f" * 64, stdout=io.StringIO(), stderr=io.StringIO())
    out = io.StringIO()
    call_command("audit_verify", stdout=out, stderr=io.StringIO())  # the live table
    assert json.loads(out.getvalue())["intact"] is True


def test_a_formula_in_a_csv_cell_is_defused_and_still_verifies(alpha: TenantFixture, tmp_path: Path) -> None:
    alpha.key_client().post(
        "/api/v1/invitations/",
        {"email": "f@alpha.in", "role": "viewer"},
        content_type=JSON,
        HTTP_USER_AGENT="=HYPERLINK(1)",
    )
    text = _content(staff_client("auditor@platform.in").get("/api/v1/platform/audit/export.csv"))
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["user_agent"] == "'=HYPERLINK(1)"
    path = tmp_path / "formula.csv"
    path.write_text(text)
    call_command("audit_verify", file=path, complete=True, stdout=io.StringIO(), stderr=io.StringIO())


def test_admin_exports_the_filtered_list_and_selected_entries(alpha: TenantFixture, beta: TenantFixture) -> None:
    _two_tenants_of_entries(alpha, beta)
    staff = staff_client("auditor@platform.in")
    changelist = staff.get("/admin/ops/auditentry/")
    assert b"/admin/ops/auditentry/export.csv?" in changelist.content
    schema = beta.tenant.schema_name
    rows = list(
        csv.DictReader(io.StringIO(_content(staff.get(f"/admin/ops/auditentry/export.csv?tenant_schema={schema}"))))
    )
    assert [r["tenant_schema"] for r in rows] == [schema]
    assert AuditEntry.objects.filter(
        method="GET", path=f"/admin/ops/auditentry/export.csv?tenant_schema={schema}"
    ).exists()
    chosen = list(AuditEntry.objects.filter(tenant_schema=alpha.tenant.schema_name).values_list("pk", flat=True))
    before = AuditEntry.objects.count()
    response = staff.post(
        "/admin/ops/auditentry/", {"action": "export_selected_jsonl", "_selected_action": [str(pk) for pk in chosen]}
    )
    assert sorted(json.loads(line)["id"] for line in _content(response).splitlines()) == sorted(chosen)
    assert AuditEntry.objects.count() == before + 1  # the export, once (not again by the middleware)
    assert Client(HTTP_HOST="localhost").get("/admin/ops/auditentry/export.csv").status_code == 302  # to sign-in
    tenant_admin = otp_client(alpha.owner, host=alpha.host)
    assert tenant_admin.get("/admin/ops/auditentry/export.csv").status_code in (302, 403, 404)


def test_the_standalone_check_in_the_docs_verifies_an_export(alpha: TenantFixture, tmp_path: Path) -> None:
    import re
    import subprocess
    import sys

    from django.conf import settings

    docs = (Path(settings.BASE_DIR) / "docs" / "operations.md").read_text()
    script = re.search(r"```python\n(.*?)```", docs[docs.index("## Audit log") :], re.DOTALL)
    assert script is not None
    (tmp_path / "check.py").write_text(script.group(1))
    membership = Membership.objects.get(user=make_member(alpha.tenant, Role.ANALYST))
    alpha.key_client().patch(f"/api/v1/members/{membership.pk}/", {"role": "viewer"}, content_type=JSON)
    export = tmp_path / "audit.jsonl"
    export.write_text(_content(staff_client("auditor@platform.in").get("/api/v1/platform/audit/export.jsonl")))
    run = subprocess.run([sys.executable, "check.py", "audit.jsonl"], cwd=tmp_path, capture_output=True, text=True)
    assert (run.returncode, run.stdout) == (0, "every row matches its hash\n")
    export.write_text(export.read_text().replace('"role":"viewer"', '"role":"owner"'))
    run = subprocess.run([sys.executable, "check.py", "audit.jsonl"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 1
    assert "its content does not match its hash" in run.stderr
