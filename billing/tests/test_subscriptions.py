"""Trial, checkout through the real razorpay SDK against the local fake, restricted mode."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import Client
from django.utils import timezone

from billing.models import Payment, Subscription, SubscriptionChange
from billing.testing.fake_razorpay import FakeRazorpay
from suresh_ai.testing import TenantFixture
from tenants.models import Tenant

JSON = "application/json"


def _checkout(client: Client, plan: str = "pro", interval: str = "monthly") -> dict:
    response = client.post("/api/v1/billing/checkout/", {"plan": plan, "interval": interval}, content_type=JSON)
    assert response.status_code == 201, response.content
    return response.json()


def test_sign_up_starts_a_14_day_trial_of_pro(alpha: TenantFixture) -> None:
    data = alpha.key_client().get("/api/v1/billing/subscription/").json()
    assert (data["status"], data["plan"]["code"], data["restricted"]) == ("trialing", "pro", False)
    subscription = Subscription.objects.get(tenant=alpha.tenant)
    assert subscription.trial_ends_at is not None
    assert abs((subscription.trial_ends_at - subscription.created_at) - timedelta(days=14)) < timedelta(seconds=5)
    assert alpha.tenant.restricted_after == subscription.trial_ends_at
    assert subscription.changes.get().source == SubscriptionChange.Source.TRIAL


def test_after_the_trial_the_workspace_is_read_only_but_readable(alpha: TenantFixture) -> None:
    client = alpha.key_client()
    invite = {"email": "late@alpha.in", "role": "viewer"}
    with time_machine.travel(timezone.now() + timedelta(days=15), tick=False):
        refused = client.post("/api/v1/invitations/", invite, content_type=JSON)
        assert refused.status_code == 402
        assert refused.json()["code"] == "billing_restricted"
        assert client.get("/api/v1/members/").status_code == 200  # reads and exports stay open
        assert client.get("/api/v1/billing/subscription/").json()["restricted"] is True
        page = alpha.client()
        page.force_login(alpha.owner)
        assert page.post("/branding/", {"display_name": "x"}).status_code == 402
        assert page.get("/team/").status_code == 200
    assert client.post("/api/v1/invitations/", invite, content_type=JSON).status_code == 201  # in the trial


def test_checkout_needs_a_configured_provider(alpha: TenantFixture) -> None:
    response = alpha.key_client().post("/api/v1/billing/checkout/", {"plan": "pro"}, content_type=JSON)
    assert response.status_code == 503
    assert response.json()["code"] == "payments_not_configured"


def test_checkout_completion_refuses_what_razorpay_never_sends(alpha: TenantFixture, razorpay: FakeRazorpay) -> None:
    """Non-ASCII text in the signature was a 500 (the SDK's compare_digest raises TypeError)."""
    client = alpha.key_client()
    checkout = _checkout(client)
    payment_id, signature = razorpay.authorise(checkout["subscription_id"])
    body = {
        "razorpay_payment_id": payment_id,
        "razorpay_subscription_id": checkout["subscription_id"],
        "razorpay_signature": signature,
    }
    for field, value in [
        ("razorpay_signature", "\u00e0" * 64),
        ("razorpay_signature", signature[:-1]),
        ("razorpay_payment_id", "pay_\u00e9"),
        ("razorpay_subscription_id", "sub/../x"),
    ]:
        response = client.post("/api/v1/billing/checkout/complete/", {**body, field: value}, content_type=JSON)
        assert response.status_code == 400, (field, value, response.content)
        assert list(response.json()["detail"]) == [field]
    assert Subscription.objects.get(tenant=alpha.tenant).status == "created"  # nothing granted
    assert client.post("/api/v1/billing/checkout/complete/", body, content_type=JSON).status_code == 200


def test_checkout_then_verified_signature_authorises(alpha: TenantFixture, razorpay: FakeRazorpay) -> None:
    client = alpha.key_client()
    checkout = _checkout(client, "premium")
    assert checkout["amount_paise"] == 117_882  # ₹999 + 18% GST, decided by the server
    assert _checkout(client, "premium")["subscription_id"] == checkout["subscription_id"]  # a retry reuses it
    assert len(razorpay.subscriptions) == 1
    payment_id, signature = razorpay.authorise(checkout["subscription_id"])
    body = {
        "razorpay_payment_id": payment_id,
        "razorpay_subscription_id": checkout["subscription_id"],
        "razorpay_signature": signature,
    }
    forged = client.post(
        "/api/v1/billing/checkout/complete/", {**body, "razorpay_signature": "0" * 64}, content_type=JSON
    )
    assert forged.status_code == 400
    assert "razorpay_signature" in forged.json()["detail"]
    assert Subscription.objects.get(tenant=alpha.tenant).status == "created"  # nothing granted
    done = client.post("/api/v1/billing/checkout/complete/", body, content_type=JSON)
    assert done.status_code == 200, done.content
    # The trial still runs, so Razorpay starts charging at its end: the mandate is authorised.
    assert (done.json()["status"], done.json()["plan"]["code"], done.json()["restricted_after"]) == (
        "authenticated",
        "premium",
        None,
    )
    tenant = Tenant.objects.get(pk=alpha.tenant.pk)
    assert (tenant.plan, tenant.restricted_after) == ("premium", None)
    assert Payment.objects.get(razorpay_payment_id=payment_id).subscription.tenant_id == alpha.tenant.pk


def test_checkout_refuses_bad_input_and_changes_nothing(alpha: TenantFixture, razorpay: FakeRazorpay) -> None:
    client = alpha.key_client()
    for body, field in (
        ({"plan": "gold"}, "plan"),
        ({"plan": "pro", "interval": "weekly"}, "interval"),
        ({"plan": "pro", "amount": 1}, "amount"),
    ):
        response = client.post("/api/v1/billing/checkout/", body, content_type=JSON)
        assert response.status_code == 400, body
        assert field in response.json()["detail"]
    assert razorpay.subscriptions == {}
    assert Subscription.objects.get(tenant=alpha.tenant).status == "trialing"


def test_provider_outage_is_a_503_and_changes_nothing(alpha: TenantFixture, razorpay: FakeRazorpay) -> None:
    razorpay.fail_next = 5
    response = alpha.key_client().post("/api/v1/billing/checkout/", {"plan": "pro"}, content_type=JSON)
    assert response.status_code == 503
    assert response.json()["code"] == "payment_provider_error"
    assert Subscription.objects.get(tenant=alpha.tenant).razorpay_subscription_id is None


def test_only_owners_and_admin_keys_pay(alpha: TenantFixture, razorpay: FakeRazorpay) -> None:
    from suresh_ai.testing import key_with

    read_key = alpha.key_client(key_with(alpha.tenant, ["read", "write"]))
    response = read_key.post("/api/v1/billing/checkout/", {"plan": "pro"}, content_type=JSON)
    assert response.status_code == 403
    assert razorpay.subscriptions == {}
