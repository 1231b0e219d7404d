"""Billing details (GSTIN), invoices over the API, and the billing page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.utils import timezone

from billing.models import BillingProfile, Subscription
from billing.services import invoice_issue_for_payment
from billing.testing.fake_razorpay import FakeRazorpay
from billing.tests.helpers import captured_payment
from suresh_ai.testing import TenantFixture, key_with, login_client, make_member
from tenants.models import Role

JSON = "application/json"


def _invoice(alpha: TenantFixture) -> int:
    payment = captured_payment(alpha.tenant, pid="pay_page")
    invoice = invoice_issue_for_payment(payment=payment)
    assert invoice is not None
    return invoice.pk


def test_profile_accepts_a_valid_gstin_and_derives_the_state(alpha: TenantFixture) -> None:
    client = alpha.key_client()
    body = {"legal_name": "Alpha Traders LLP", "gstin": " 27aapfu0939f1zv ", "billing_email": "accounts@alpha.in"}
    response = client.patch("/api/v1/billing/profile/", body, content_type=JSON)
    assert response.status_code == 200, response.content
    assert response.json() | {} == {
        "legal_name": "Alpha Traders LLP",
        "gstin": "27AAPFU0939F1ZV",
        "state_code": "27",
        "state_name": "Maharashtra",
        "address": "",
        "billing_email": "accounts@alpha.in",
    }
    assert client.get("/api/v1/billing/profile/").json()["gstin"] == "27AAPFU0939F1ZV"


def test_bad_billing_details_are_400_per_field_and_save_nothing(alpha: TenantFixture) -> None:
    client = alpha.key_client()
    for body, field in (
        ({"legal_name": "A", "gstin": "27AAPFU0939F1ZX"}, "gstin"),  # wrong check digit
        ({"legal_name": "A", "gstin": "27AAPFU0939F1ZV", "state_code": "29"}, "state_code"),  # not its state
        ({"gstin": "27AAPFU0939F1ZV"}, "legal_name"),
        ({"state_code": "99"}, "state_code"),
        ({"billing_email": "not-an-email"}, "billing_email"),
        ({"legal_name": "A", "discount": "100"}, "discount"),
    ):
        response = client.patch("/api/v1/billing/profile/", body, content_type=JSON)
        assert response.status_code == 400, body
        assert field in response.json()["detail"], (body, response.json())
    assert not BillingProfile.objects.filter(tenant=alpha.tenant).exists()


def test_invoices_over_the_api_and_as_pdf(alpha: TenantFixture) -> None:
    pk = _invoice(alpha)
    client = alpha.key_client(key_with(alpha.tenant, ["read"]))  # accounting tools read with a read key
    listed = client.get("/api/v1/billing/invoices/").json()["results"]
    assert [(i["number"], i["total_paise"], i["cgst_paise"], i["sgst_paise"]) for i in listed] == [
        ("SAI/2627/000001", 58_882, 4_491, 4_491)
    ]
    pdf = client.get(f"/api/v1/billing/invoices/{pk}/pdf/", HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert client.get("/api/v1/billing/invoices/999999/").status_code == 404


def test_members_below_admin_cannot_read_invoices(alpha: TenantFixture) -> None:
    _invoice(alpha)
    viewer = login_client(alpha, make_member(alpha.tenant, Role.VIEWER))
    assert viewer.get("/api/v1/billing/invoices/").status_code == 403
    assert viewer.get("/billing/").status_code == 403


def test_billing_page_shows_plan_usage_plans_and_invoices(alpha: TenantFixture, razorpay: FakeRazorpay) -> None:
    _invoice(alpha)
    page = login_client(alpha, alpha.owner).get("/billing/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Your plan: Pro" in html
    assert "Status: <strong>Trial</strong>" in html
    assert "₹588.82</strong>/month" in html  # ₹499 + 18% GST
    assert "SAI/2627/000001" in html
    assert "checkout.razorpay.com/v1/checkout.js" in html  # payments configured: Checkout offered
    assert 'data-plan="platinum"' in html


def test_owner_saves_details_on_the_page_and_errors_show_on_the_field(alpha: TenantFixture) -> None:
    client = login_client(alpha, alpha.owner)
    bad = client.post("/billing/", {"legal_name": "Alpha", "gstin": "27AAPFU0939F1ZX", "state_code": ""})
    assert bad.status_code == 200
    assert "Not a valid GSTIN" in bad.content.decode()
    good = client.post("/billing/", {"legal_name": "Alpha", "gstin": "27AAPFU0939F1ZV", "state_code": "27"})
    assert good.status_code == 302
    assert BillingProfile.objects.get(tenant=alpha.tenant).gstin == "27AAPFU0939F1ZV"
    admin = login_client(alpha, make_member(alpha.tenant, Role.ADMIN))
    assert admin.get("/billing/").status_code == 200
    assert admin.post("/billing/", {"legal_name": "x"}).status_code == 403


def test_restricted_workspace_can_still_pay_and_export(alpha: TenantFixture, razorpay: FakeRazorpay) -> None:
    _invoice(alpha)
    client = alpha.key_client()
    with time_machine.travel(timezone.now() + timedelta(days=20), tick=False):
        assert client.get("/api/v1/billing/subscription/").json()["restricted"] is True
        for path in ("/api/v1/members/", "/api/v1/invitations/", "/api/v1/api-keys/", "/api/v1/billing/invoices/"):
            assert client.get(path).status_code == 200, path
        checkout = client.post("/api/v1/billing/checkout/", {"plan": "starter"}, content_type=JSON)
        assert checkout.status_code == 201  # paying stays open
        assert (
            "start_at" not in razorpay.subscriptions[checkout.json()["subscription_id"]]
            or not razorpay.subscriptions[checkout.json()["subscription_id"]]["start_at"]
        )  # the trial is over: charged at once
        page = login_client(alpha, alpha.owner).get("/billing/")
        assert "This workspace is read-only" in page.content.decode()


def test_export_has_everything_and_stays_open_when_read_only(alpha: TenantFixture, beta: TenantFixture) -> None:
    _invoice(alpha)
    client = alpha.key_client()
    with time_machine.travel(timezone.now() + timedelta(days=20), tick=False):
        response = client.get("/api/v1/export/")
        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="alpha-export.json"'
        data = response.json()
    assert data["tenant"]["slug"] == "alpha"
    assert {m["user"]["email"] for m in data["members"]} == {"owner@alpha.in"}
    assert [i["number"] for i in data["billing"]["invoices"]] == ["SAI/2627/000001"]
    assert data["billing"]["subscription"]["plan"] == "pro"
    assert "beta" not in response.content.decode()  # nothing of another tenant
    viewer = login_client(alpha, make_member(alpha.tenant, Role.VIEWER))
    assert viewer.get("/api/v1/export/").status_code == 403


def test_page_plan_change_shows_the_price_then_confirms(
    alpha: TenantFixture, razorpay: FakeRazorpay, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    client = alpha.key_client()
    t0 = (timezone.now() + timedelta(days=20)).replace(microsecond=0)
    with time_machine.travel(t0, tick=False):
        razorpay.clock = int(t0.timestamp())
        sub_id = client.post("/api/v1/billing/checkout/", {"plan": "pro"}, content_type=JSON).json()["subscription_id"]
        payment_id, signature = razorpay.authorise(sub_id)
        body = {"razorpay_payment_id": payment_id, "razorpay_subscription_id": sub_id, "razorpay_signature": signature}
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/api/v1/billing/checkout/complete/", body, content_type=JSON).status_code == 200
    with time_machine.travel(t0 + timedelta(days=10), tick=False):
        page = login_client(alpha, alpha.owner)  # signed in now: sessions expire after 15 idle minutes
        html = page.get("/billing/").content.decode()
        assert "/billing/change/?plan=premium" in html
        assert "checkout.razorpay.com" not in html  # already paying: no second checkout
        quote = page.get("/billing/change/?plan=premium").content.decode()
        assert "₹393.33" in quote  # 33,333 + 6,000 GST, shown before confirming
        assert Subscription.objects.get(tenant=alpha.tenant).plan.code == "pro"
        assert page.post("/billing/change/", {"plan": "premium"}).status_code == 302
        assert Subscription.objects.get(tenant=alpha.tenant).plan.code == "premium"
        assert page.post("/billing/pause/").status_code == 302
        assert Subscription.objects.get(tenant=alpha.tenant).status == "paused"
        assert page.post("/billing/resume/").status_code == 302
        assert page.post("/billing/cancel/").status_code == 302
        assert Subscription.objects.get(tenant=alpha.tenant).cancel_at_period_end is True
        admin = login_client(alpha, make_member(alpha.tenant, Role.ADMIN))
        assert admin.post("/billing/resume/").status_code == 403
