"""Plans, versions and entitlements."""

from __future__ import annotations

import pytest
from django.db import connection

from billing.models import PLAN_TERMS, Plan
from billing.selectors import entitlements_cache, entitlements_for, plans_current
from billing.services import plan_publish
from suresh_ai.errors import Conflict, ValidationFailed
from suresh_ai.testing import PASSWORD, TenantFixture, staff_client
from tenants import services
from tenants.models import Role, Tenant


def test_launch_plans_and_prices(db: None) -> None:
    plans = {p.code: p for p in plans_current()}
    assert [(p.code, p.price_monthly_paise, p.price_yearly_paise) for p in plans.values()] == [
        ("starter", 9_900, 99_000),
        ("pro", 49_900, 499_000),
        ("premium", 99_900, 999_000),
        ("platinum", 299_900, 2_999_000),
    ]
    assert plans["premium"].rate_limit_bypass is True
    assert plans["starter"].rate_limit_bypass is False


def test_price_change_publishes_a_new_version_and_keeps_the_old(db: None) -> None:
    old = Plan.objects.get(code="pro", is_current=True)
    new = plan_publish(code="pro", changes={"price_monthly_paise": 59_900})
    assert (new.version, new.price_monthly_paise, new.price_yearly_paise) == (old.version + 1, 59_900, 599_000)
    old.refresh_from_db()
    assert (old.is_current, old.price_monthly_paise) == (False, 49_900)  # untouched for its subscribers
    entitlements_cache.clear()  # the bump runs on commit; the test transaction never commits
    assert entitlements_for(plan_code="pro").plan_version == new.version
    with pytest.raises(ValidationFailed):
        plan_publish(code="pro", changes={"price": 1})


def test_unknown_plan_falls_back_to_starter(db: None) -> None:
    assert entitlements_for(plan_code="no-such-plan").plan_code == "starter"


def test_seats_limit_invitations(db: None) -> None:
    connection.set_schema_to_public()
    created = services.tenant_create(name="Seats", slug="seats", owner_email="o@seats.in", owner_password=PASSWORD)
    assert (created.tenant.plan, created.tenant.subscription.status) == ("pro", "trialing")  # the sign-up trial
    Tenant.objects.filter(pk=created.tenant.pk).update(plan="starter")
    created.tenant.refresh_from_db()
    seats = entitlements_for(plan_code="starter").seats
    for i in range(seats - 1):  # the owner takes one seat
        services.invitation_create(
            tenant=created.tenant, email=f"m{i}@seats.in", role=Role.VIEWER, invited_by=None, actor_role=Role.OWNER
        )
    with pytest.raises(Conflict) as excinfo:
        services.invitation_create(
            tenant=created.tenant, email="late@seats.in", role=Role.VIEWER, invited_by=None, actor_role=Role.OWNER
        )
    assert excinfo.value.code == "seat_limit"
    Tenant.objects.filter(pk=created.tenant.pk).update(plan="pro")
    tenant = Tenant.objects.get(pk=created.tenant.pk)
    services.invitation_create(
        tenant=tenant, email="late@seats.in", role=Role.VIEWER, invited_by=None, actor_role=Role.OWNER
    )


def test_seat_limit_over_the_api_is_409(alpha: TenantFixture) -> None:
    Tenant.objects.filter(pk=alpha.tenant.pk).update(plan="starter")
    client = alpha.key_client()
    first = client.post("/api/v1/invitations/", {"email": "a@x.in", "role": "viewer"}, content_type="application/json")
    assert first.status_code == 201
    second = client.post("/api/v1/invitations/", {"email": "b@x.in", "role": "viewer"}, content_type="application/json")
    assert second.status_code == 409
    assert second.json()["code"] == "seat_limit"
    assert second.json()["detail"] == {"seats": 2, "taken": 2}


def test_plans_and_entitlements_endpoints(alpha: TenantFixture, beta: TenantFixture) -> None:
    plans = alpha.key_client().get("/api/v1/billing/plans/").json()
    assert [p["code"] for p in plans] == ["starter", "pro", "premium", "platinum"]
    assert plans[0]["price_monthly_paise"] == 9_900
    Tenant.objects.filter(pk=beta.tenant.pk).update(plan="platinum")
    mine = alpha.key_client().get("/api/v1/billing/entitlements/").json()
    theirs = beta.key_client().get("/api/v1/billing/entitlements/").json()
    assert (mine["plan_code"], theirs["plan_code"]) == ("pro", "platinum")  # each sees its own
    assert mine["seats_used"] == 1
    assert "white_label" in theirs["features"]
    assert alpha.client().get("/api/v1/billing/entitlements/").status_code == 401


def test_admin_edit_publishes_a_new_version(db: None) -> None:
    client = staff_client()
    starter = Plan.objects.get(code="starter", is_current=True)
    form = {term: getattr(starter, term) for term in PLAN_TERMS if term not in ("features", "rate_limit_bypass")}
    form.update(price_monthly_paise=12_900, price_yearly_paise=129_000, features='["ai_content"]')
    response = client.post(f"/admin/billing/plan/{starter.pk}/change/", form)
    assert response.status_code == 302
    assert Plan.objects.get(pk=starter.pk).price_monthly_paise == 9_900  # the old version is untouched
    current = Plan.objects.get(code="starter", is_current=True)
    assert (current.version, current.price_monthly_paise) == (starter.version + 1, 12_900)
