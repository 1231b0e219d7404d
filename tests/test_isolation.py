"""Isolation matrix: every tenancy endpoint, two tenants, keys and sessions, with positive controls."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from ai_engine.chat.models import Conversation, KnowledgeSource
from ai_engine.chat.tests.helpers import chat_objects, widget_client, widget_setup
from billing.models import BillingProfile
from billing.services import invoice_issue_for_payment
from billing.tests.helpers import captured_payment
from suresh_ai.testing import TenantFixture, login_client, make_member
from tenants.models import ApiKey, Invitation, Membership, Role
from tenants.services import api_key_create, invitation_create


def _objects(fixture: TenantFixture) -> dict[str, int]:
    """One member (not the owner), one pending invitation and one key, for object-level calls."""
    analyst = make_member(fixture.tenant, Role.ANALYST)
    invitation = invitation_create(
        tenant=fixture.tenant,
        email=f"new@{fixture.tenant.slug}.in",
        role=Role.VIEWER,
        invited_by=None,
        actor_role=Role.OWNER,
    ).invitation
    key = api_key_create(tenant=fixture.tenant, name="other", scopes=["read"], created_by=None).api_key
    member = Membership.objects.get(tenant=fixture.tenant, user=analyst)
    return {
        "member": member.pk,
        "invitation": invitation.pk,
        "key": key.pk,
        "invoice": _invoice(fixture),
        **_generation(fixture),
        **chat_objects(fixture),  # a knowledge source and a conversation, ids unused in other tenants
    }


def _generation(fixture: TenantFixture) -> dict[str, int]:
    """A stored generation and a finished batch in the tenant's own schema. Ids are per schema,
    so each tenant's rows get their own ids: the other tenant has no row with them."""
    from decimal import Decimal

    from django_tenants.utils import schema_context

    from ai_engine.models import Generation, GenerationBatch, PromptTemplate
    from ai_engine.services import prompt_library_ensure

    with schema_context(fixture.tenant.schema_name):
        prompt_library_ensure()
        template = PromptTemplate.objects.get(key="summary")
        own_id = 100 + ord(fixture.tenant.slug[0])
        batch = GenerationBatch.objects.create(pk=own_id, template=template, items=[], total=0, status="done")
        generation = Generation.objects.create(
            pk=own_id,
            template=template,
            version=template.versions.get(number=1),
            assignment="production",
            variables={"text": "t"},
            output=f"{fixture.tenant.slug} summary",
            provider="groq",
            model="llama-3.1-8b-instant",
            quality_score=Decimal("5.00"),
        )
    return {"generation": generation.pk, "batch": batch.pk}


def _chat_ids(fixture: TenantFixture) -> dict[str, list[int]]:
    with schema_context(fixture.tenant.schema_name):
        return {
            "conversations": list(Conversation.objects.order_by("-created_at", "-id").values_list("id", flat=True)),
            "sources": list(KnowledgeSource.objects.order_by("-created_at", "-id").values_list("id", flat=True)),
        }


def _invoice(fixture: TenantFixture) -> int:
    """A captured subscription charge and its GST invoice."""
    payment = captured_payment(fixture.tenant, pid=f"pay_{fixture.tenant.slug}")
    invoice = invoice_issue_for_payment(payment=payment)
    assert invoice is not None
    return invoice.pk


def _object_calls(ids: dict[str, int]) -> list[tuple[str, str, dict[str, str] | None]]:
    return [
        ("get", f"/api/v1/members/{ids['member']}/", None),
        ("patch", f"/api/v1/members/{ids['member']}/", {"role": "viewer"}),
        ("get", f"/api/v1/invitations/{ids['invitation']}/", None),
        ("get", f"/api/v1/api-keys/{ids['key']}/", None),
        ("get", f"/api/v1/billing/invoices/{ids['invoice']}/", None),
        ("get", f"/api/v1/billing/invoices/{ids['invoice']}/pdf/", None),
        ("get", f"/api/v1/ai/generations/{ids['generation']}/", None),
        ("patch", f"/api/v1/ai/generations/{ids['generation']}/", {"rating": 3}),
        ("get", f"/api/v1/ai/generation-batches/{ids['batch']}/", None),
        ("get", f"/api/v1/ai/chat/knowledge/{ids['chat_source']}/", None),
        ("patch", f"/api/v1/ai/chat/knowledge/{ids['chat_source']}/", {"title": "renamed"}),
        ("get", f"/api/v1/ai/chat/conversations/{ids['chat_conversation']}/", None),
        ("post", f"/api/v1/ai/chat/conversations/{ids['chat_conversation']}/reply/", {"content": "hi"}),
        ("post", f"/api/v1/ai/chat/conversations/{ids['chat_conversation']}/handoff/", {}),
        ("post", f"/api/v1/ai/chat/conversations/{ids['chat_conversation']}/close/", {}),
        ("post", f"/api/v1/ai/chat/conversations/{ids['chat_conversation']}/reopen/", {}),
        ("delete", f"/api/v1/invitations/{ids['invitation']}/", None),
        ("delete", f"/api/v1/api-keys/{ids['key']}/", None),
        ("delete", f"/api/v1/members/{ids['member']}/", None),
        ("delete", f"/api/v1/ai/chat/knowledge/{ids['chat_source']}/", None),
    ]


def _call(client: Client, method: str, path: str, body: dict[str, str] | None) -> int:
    if body is None:
        return getattr(client, method)(path).status_code
    return getattr(client, method)(path, body, content_type="application/json").status_code


COLLECTIONS = [
    "/api/v1/me/",
    "/api/v1/tenant/",
    "/api/v1/members/",
    "/api/v1/invitations/",
    "/api/v1/api-keys/",
    "/api/v1/billing/plans/",
    "/api/v1/billing/entitlements/",
    "/api/v1/billing/subscription/",
    "/api/v1/billing/profile/",
    "/api/v1/billing/invoices/",
    "/api/v1/billing/referral/",
    "/api/v1/billing/payments/",
    "/api/v1/export/",
    "/api/v1/ai/requests/",
    "/api/v1/ai/settings/",
    "/api/v1/ai/prompts/",
    "/api/v1/ai/prompts/summary/",
    "/api/v1/ai/brand-voice/",
    "/api/v1/ai/generations/",
    "/api/v1/ai/generation-batches/",
    "/api/v1/ai/quality/",
    "/api/v1/ai/chat/knowledge/",
    "/api/v1/ai/chat/conversations/",
    "/api/v1/ai/chat/settings/",
    "/api/v1/data/imports/",
    "/api/v1/data/settings/",
    "/api/v1/analytics/kpis/",
    "/api/v1/analytics/payments/",
    "/api/v1/analytics/top/",
    "/api/v1/analytics/series/",
    "/api/v1/analytics/funnel/",
    "/api/v1/analytics/funnel.csv",
    "/api/v1/analytics/retention/",
    "/api/v1/analytics/retention.csv",
    "/api/v1/analytics/segments/",
    "/api/v1/analytics/segments/movement/",
    "/api/v1/analytics/segments/champions/customers/",
    "/api/v1/analytics/segments/champions/customers.csv",
]


@pytest.mark.parametrize("auth", ["key", "session"])
def test_tenant_a_gets_404_on_b_objects_and_2xx_on_its_own(
    alpha: TenantFixture, beta: TenantFixture, auth: str
) -> None:
    alpha_ids, beta_ids = _objects(alpha), _objects(beta)
    client = alpha.key_client() if auth == "key" else login_client(alpha, alpha.owner)
    if auth == "session":
        client.defaults["HTTP_X_CSRFTOKEN"] = ""  # test client skips CSRF checks unless enforce_csrf_checks
    for method, path, body in _object_calls(beta_ids):
        assert _call(client, method, path, body) == 404, (method, path)
    # Nothing of beta's was touched by the refused calls.
    assert Membership.objects.filter(pk=beta_ids["member"], role=Role.ANALYST).exists()
    assert Invitation.objects.get(pk=beta_ids["invitation"]).status == Invitation.Status.PENDING
    assert ApiKey.objects.get(pk=beta_ids["key"]).revoked_at is None
    with schema_context(beta.tenant.schema_name):
        assert KnowledgeSource.objects.get(pk=beta_ids["chat_source"]).title == "Do you gift-wrap?"
        assert Conversation.objects.get(pk=beta_ids["chat_conversation"]).status == Conversation.Status.OPEN
    # Positive control: the same calls on alpha's own objects succeed.
    for method, path, body in _object_calls(alpha_ids):
        assert _call(client, method, path, body) in (200, 201, 204), (method, path)


@pytest.mark.parametrize("auth", ["key", "session"])
def test_lists_show_only_own_tenant(alpha: TenantFixture, beta: TenantFixture, auth: str) -> None:
    _objects(alpha)
    _objects(beta)
    client = alpha.key_client() if auth == "key" else login_client(alpha, alpha.owner)
    members = client.get("/api/v1/members/").json()["results"]
    assert members
    assert all(m["user"]["email"].endswith("@alpha.in") for m in members)
    invitations = client.get("/api/v1/invitations/").json()["results"]
    assert [i["email"] for i in invitations] == ["new@alpha.in"]
    generations = client.get("/api/v1/ai/generations/").json()["results"]
    assert [g["output"] for g in generations] == ["alpha summary"]
    alpha_chat = _chat_ids(alpha)
    conversations = client.get("/api/v1/ai/chat/conversations/").json()["results"]
    assert [c["id"] for c in conversations] == alpha_chat["conversations"]
    sources = client.get("/api/v1/ai/chat/knowledge/").json()["results"]
    assert [s["id"] for s in sources] == alpha_chat["sources"]
    payments = client.get("/api/v1/billing/payments/").json()["results"]
    assert [p["razorpay_payment_id"] for p in payments] == ["pay_alpha"]
    invoices = client.get("/api/v1/billing/invoices/").json()["results"]
    assert [i["buyer"]["name"] for i in invoices] == ["Alpha Traders"]
    assert client.get("/api/v1/billing/subscription/").json()["plan"]["code"] == alpha.tenant.plan
    keys = client.get("/api/v1/api-keys/").json()["results"]
    assert keys
    assert {k["id"] for k in keys} == set(ApiKey.objects.filter(tenant=alpha.tenant).values_list("id", flat=True))
    assert client.get("/api/v1/tenant/").json()["slug"] == "alpha"


@pytest.mark.parametrize("path", COLLECTIONS)
def test_a_key_on_b_domain_is_401(alpha: TenantFixture, beta: TenantFixture, path: str) -> None:
    wrong_domain = Client(HTTP_HOST=beta.host, HTTP_AUTHORIZATION=f"Bearer {alpha.admin_key}")
    response = wrong_domain.get(path)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"
    assert alpha.key_client().get(path).status_code == 200  # positive control


@pytest.mark.parametrize("path", COLLECTIONS)
def test_a_session_on_b_domain_is_anonymous(alpha: TenantFixture, beta: TenantFixture, path: str) -> None:
    client = login_client(alpha, alpha.owner)
    assert client.get(path).status_code == 200  # positive control on its own domain
    response = client.get(path, HTTP_HOST=beta.host)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_key_cannot_write_to_b_through_create_endpoints(alpha: TenantFixture, beta: TenantFixture) -> None:
    client = Client(HTTP_HOST=beta.host, HTTP_AUTHORIZATION=f"Bearer {alpha.admin_key}")
    before = (Invitation.objects.filter(tenant=beta.tenant).count(), ApiKey.objects.filter(tenant=beta.tenant).count())
    assert (
        client.post(
            "/api/v1/invitations/", {"email": "x@y.in", "role": "viewer"}, content_type="application/json"
        ).status_code
        == 401
    )
    assert (
        client.post("/api/v1/api-keys/", {"name": "x", "scopes": ["read"]}, content_type="application/json").status_code
        == 401
    )
    assert (
        client.patch("/api/v1/tenant/", {"display_name": "pwned"}, content_type="application/json").status_code == 401
    )
    for path, body in (
        ("/api/v1/ai/complete/", {"task": "short", "messages": [{"role": "user", "content": "x"}]}),
        ("/api/v1/ai/sentiment/", {"texts": ["fine"]}),
        ("/api/v1/ai/generations/", {"template": "summary", "variables": {"text": "x"}}),
        ("/api/v1/data/customers/", {"records": [{"external_id": "pwned"}]}),
        ("/api/v1/ai/generation-batches/", {"template": "summary", "items": [{"text": "x"}]}),
        ("/api/v1/ai/prompts/summary/versions/", {"system": "s", "user": "$text"}),
        ("/api/v1/ai/prompts/summary/labels/", {"label": "production", "version": 1}),
        ("/api/v1/billing/subscription/change/", {"plan": "premium"}),
        ("/api/v1/billing/subscription/cancel/", {}),
        ("/api/v1/billing/subscription/pause/", {}),
        ("/api/v1/billing/checkout/", {"plan": "pro"}),
        ("/api/v1/billing/checkout/complete/", {"razorpay_payment_id": "p", "razorpay_subscription_id": "s"}),
        ("/api/v1/ai/chat/knowledge/faqs/", {"question": "q?", "answer": "a"}),
        ("/api/v1/ai/chat/knowledge/products/", {"name": "p"}),
        ("/api/v1/ai/chat/conversations/", {}),
        ("/api/v1/ai/chat/settings/rotate-key/", {}),
    ):
        assert client.post(path, body, content_type="application/json").status_code == 401, path
    assert (
        client.patch("/api/v1/billing/profile/", {"legal_name": "pwned"}, content_type="application/json").status_code
        == 401
    )
    assert not BillingProfile.objects.filter(tenant=beta.tenant).exists()
    assert (
        client.patch("/api/v1/ai/brand-voice/", {"tone": "pwned"}, content_type="application/json").status_code == 401
    )
    after = (Invitation.objects.filter(tenant=beta.tenant).count(), ApiKey.objects.filter(tenant=beta.tenant).count())
    assert before == after
    beta.tenant.refresh_from_db()
    assert beta.tenant.display_name == "Beta Traders"


def test_web_pages_refuse_other_tenants_objects(alpha: TenantFixture, beta: TenantFixture) -> None:
    alpha_ids, beta_ids = _objects(alpha), _objects(beta)
    client = login_client(alpha, alpha.owner)
    pages = [
        ("/team/{member}/role/", {"role": "viewer"}),
        ("/team/invitations/{invitation}/revoke/", {}),
        ("/api-keys/{key}/revoke/", {}),
        ("/ai/chat/{chat_conversation}/", {"action": "close"}),
        ("/ai/chat/knowledge/{chat_source}/", {"question": "Gift-wrap?", "answer": "Yes.", "status": "disabled"}),
        ("/ai/chat/knowledge/{chat_source}/delete/", {}),
        ("/team/{member}/remove/", {}),
    ]
    for template, data in pages:
        assert client.post(template.format(**beta_ids), data).status_code == 404, template
    assert client.get("/billing/invoices/{invoice}.pdf".format(**beta_ids)).status_code == 404
    assert client.get("/billing/invoices/{invoice}.pdf".format(**alpha_ids)).status_code == 200  # positive control
    assert Membership.objects.filter(pk=beta_ids["member"], role=Role.ANALYST).exists()
    assert Invitation.objects.get(pk=beta_ids["invitation"]).status == Invitation.Status.PENDING
    assert ApiKey.objects.get(pk=beta_ids["key"]).revoked_at is None
    for template, data in pages:  # positive control
        assert client.post(template.format(**alpha_ids), data).status_code == 302, template
    assert not Membership.objects.filter(pk=alpha_ids["member"]).exists()
    assert ApiKey.objects.get(pk=alpha_ids["key"]).revoked_at is not None


def test_custom_domain_reaches_its_tenant_only(alpha: TenantFixture, beta: TenantFixture) -> None:
    from tenants.models import Domain

    Domain.objects.create(domain="shop.alpha.in", tenant=alpha.tenant, is_primary=False)
    via_custom = Client(HTTP_HOST="shop.alpha.in", HTTP_AUTHORIZATION=f"Bearer {alpha.admin_key}")
    assert via_custom.get("/api/v1/tenant/").json()["slug"] == "alpha"
    via_www = Client(HTTP_HOST="www.shop.alpha.in:443", HTTP_AUTHORIZATION=f"Bearer {alpha.admin_key}")
    assert via_www.get("/api/v1/tenant/").json()["slug"] == "alpha"
    other = Client(HTTP_HOST="shop.alpha.in", HTTP_AUTHORIZATION=f"Bearer {beta.admin_key}")
    assert other.get("/api/v1/tenant/").status_code == 401


def test_the_chat_widget_site_key_refuses_other_origins_and_other_workspaces(
    alpha: TenantFixture, beta: TenantFixture
) -> None:
    start = "/api/v1/public/chat/conversations/"
    alpha_key, beta_key = widget_setup(alpha), widget_setup(beta)  # both allow https://shop.alpha.in
    for client, code in (
        (widget_client(alpha, alpha_key, origin="https://other.example"), "origin_not_allowed"),
        (widget_client(alpha, alpha_key, origin=None), "origin_not_allowed"),
        (widget_client(beta, alpha_key), "site_key_invalid"),  # alpha's key on beta's domain
        (widget_client(alpha, beta_key), "site_key_invalid"),
    ):
        response = client.post(start, {}, content_type="application/json")
        assert (response.status_code, response.json()["code"]) == (403, code)
    with schema_context(beta.tenant.schema_name):
        assert not Conversation.objects.exists()
    # Positive control: each key on its own domain from the allowed origin.
    assert widget_client(alpha, alpha_key).post(start, {}, content_type="application/json").status_code == 201
    assert widget_client(beta, beta_key).post(start, {}, content_type="application/json").status_code == 201


# Plan-gated collections (the fixtures' Pro plan lacks them): the same checks, with alpha moved to
# Premium inside the test and the per-process tenant cache emptied on the way in and out.
PREMIUM_COLLECTIONS = ["/api/v1/analytics/attribution/", "/api/v1/analytics/attribution.csv"]


@pytest.fixture
def alpha_premium(alpha: TenantFixture) -> Iterator[TenantFixture]:
    from tenants.models import Tenant
    from tenants.selectors import tenancy_cache

    Tenant.objects.filter(pk=alpha.tenant.pk).update(plan="premium")
    alpha.tenant.refresh_from_db()
    tenancy_cache.clear()
    yield alpha
    tenancy_cache.clear()  # the rolled-back plan must not outlive the test in the cache


@pytest.mark.parametrize("path", PREMIUM_COLLECTIONS)
def test_plan_gated_collections_refuse_other_domains(
    alpha_premium: TenantFixture, beta: TenantFixture, path: str
) -> None:
    wrong_domain = Client(HTTP_HOST=beta.host, HTTP_AUTHORIZATION=f"Bearer {alpha_premium.admin_key}")
    refused = wrong_domain.get(path)
    assert (refused.status_code, refused.json()["code"]) == (401, "invalid_api_key")
    assert alpha_premium.key_client().get(path).status_code == 200  # positive control
    session = login_client(alpha_premium, alpha_premium.owner)
    assert session.get(path).status_code == 200  # positive control on its own domain
    response = session.get(path, HTTP_HOST=beta.host)
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


def test_tracking_keys_and_webhook_urls_work_only_on_their_own_workspace(
    alpha: TenantFixture, beta: TenantFixture
) -> None:
    """The tracking snippet's public key and the Razorpay webhook URL of one workspace are refused
    on another's domain (positive control: they work on their own)."""
    import json

    from django_tenants.utils import schema_context

    from intelligence.models import Event
    from intelligence.services import data_settings_update

    shop = "https://shop.example.in"
    with schema_context(alpha.tenant.schema_name):
        alpha_row = data_settings_update(data={"tracking_origins": [shop], "razorpay_webhook_secret": "s"})
    with schema_context(beta.tenant.schema_name):
        data_settings_update(data={"tracking_origins": [shop]})
    body = json.dumps({"k": alpha_row.tracking_key, "events": [{"type": "page", "id": "iso-1", "anonymous_id": "a"}]})
    browser = {"HTTP_ORIGIN": shop, "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0"}
    on_beta = Client(HTTP_HOST=beta.host, **browser).post("/api/v1/public/track/", body, content_type="text/plain")
    assert (on_beta.status_code, on_beta.json()["code"]) == (403, "tracking_key_invalid")
    on_alpha = Client(HTTP_HOST=alpha.host, **browser).post("/api/v1/public/track/", body, content_type="text/plain")
    assert on_alpha.status_code == 202  # positive control
    webhook = f"/api/v1/public/razorpay/{alpha_row.webhook_token}/"
    assert Client(HTTP_HOST=beta.host).post(webhook, b"{}", content_type="application/json").status_code == 404
    assert Client(HTTP_HOST=alpha.host).post(webhook, b"{}", content_type="application/json").status_code == 400
    with schema_context(beta.tenant.schema_name):
        assert not Event.objects.exists()
    with schema_context(alpha.tenant.schema_name):
        assert Event.objects.filter(event_id="iso-1").exists()
