"""Plan features come from one registry of features that exist (billing.features): the billing page
shows only those, and a page a plan lacks explains itself inside the normal layout."""

from __future__ import annotations

import pytest
from django.utils import timezone

from ai_engine.quota import quota_reserve
from billing.features import FEATURES, features_existing
from billing.models import Plan
from billing.selectors import entitlements_cache, require_feature
from suresh_ai.testing import TenantFixture, login_client, make_member
from tenants.models import Role
from tenants.selectors import tenancy_cache

PLANNED = ("A/B testing", "Journey orchestration", "White-label branding")


def test_billing_page_lists_only_features_that_exist_and_counts_ai_usage(alpha: TenantFixture) -> None:
    for _ in range(3):
        quota_reserve(schema_name=alpha.tenant.schema_name, limit=10_000, now=timezone.now())
    html = login_client(alpha, alpha.owner).get("/billing/").content.decode()
    assert '<th scope="row">Features</th><td colspan="2">AI content generator, AI chatbot</td>' in html
    assert '<th scope="row">AI requests this month</th><td>3</td><td>10,000</td>' in html
    assert "once it ships" not in html
    for planned in PLANNED:
        assert planned not in html
    assert "<li>Multi-touch attribution</li>" in html  # on the Premium and Platinum cards


def test_stored_plans_may_name_planned_features_but_only_registered_ones_are_shown(db: None) -> None:
    platinum = Plan.objects.get(code="platinum", is_current=True)
    assert "experiments" in platinum.features  # seeded with the launch plans, not built yet
    assert [f.code for f in features_existing(platinum.features)] == ["ai_content", "chatbot", "attribution"]
    assert len({f.code for f in FEATURES}) == len(FEATURES)


def test_requiring_a_feature_that_does_not_exist_is_a_programming_error(alpha: TenantFixture) -> None:
    with pytest.raises(LookupError, match="experiments"):
        require_feature(alpha.tenant, "experiments")


def test_plan_gated_page_explains_the_feature_inside_the_layout(alpha: TenantFixture) -> None:
    """alpha is on Pro, which has no attribution."""
    tenancy_cache.clear()
    owner = login_client(alpha, alpha.owner).get("/analytics/attribution/")
    assert owner.status_code == 403
    html = owner.content.decode()
    assert '<nav aria-label="Main">' in html  # the normal layout, with navigation
    assert '<h1 id="locked-h">Multi-touch attribution</h1>' in html
    assert "seven models side by side" in html
    assert "Multi-touch attribution is not in your plan (Pro).</strong>\n  It comes with Premium and Platinum." in html
    assert 'href="/billing/#plans-h">See plans and upgrade</a>' in html
    analyst = login_client(alpha, make_member(alpha.tenant, Role.ANALYST)).get("/analytics/attribution/")
    assert analyst.status_code == 403
    assert "Ask an owner or admin of this workspace to upgrade its plan." in analyst.content.decode()
    # The API keeps its machine-readable refusal.
    refused = alpha.key_client().get("/api/v1/analytics/attribution/")
    assert (refused.status_code, refused.json()["code"]) == (403, "feature_not_in_plan")
    assert refused.json()["detail"] == {"feature": "attribution", "plans": ["Premium", "Platinum"]}


def test_chatbot_pages_explain_themselves_on_a_plan_without_it(alpha: TenantFixture) -> None:
    Plan.objects.filter(code="pro", is_current=True).update(features=["ai_content"])
    entitlements_cache.clear()
    try:
        page = login_client(alpha, alpha.owner).get("/ai/chat/")
    finally:
        entitlements_cache.clear()  # the test's transaction rolls the plan back; no stale copy here
    assert page.status_code == 403
    assert '<h1 id="locked-h">AI chatbot</h1>' in page.content.decode()
