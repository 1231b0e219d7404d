"""The OpenAPI schema builds without warnings and documents errors on every operation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from suresh_ai.testing import TenantFixture


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[type-arg]
    out = Path(tmp_path_factory.mktemp("schema")) / "openapi.yaml"
    # --fail-on-warn turns every drf-spectacular warning or error into a failure; --validate checks OpenAPI 3.
    call_command("spectacular", "--validate", "--fail-on-warn", "--urlconf", "suresh_ai.urls_api", "--file", str(out))
    return yaml.safe_load(out.read_text())


def test_schema_has_every_endpoint(schema: dict) -> None:  # type: ignore[type-arg]
    assert set(schema["paths"]) == {
        "/api/v1/me/",
        "/api/v1/tenant/",
        "/api/v1/members/",
        "/api/v1/members/{id}/",
        "/api/v1/invitations/",
        "/api/v1/invitations/{id}/",
        "/api/v1/api-keys/",
        "/api/v1/api-keys/{id}/",
        "/api/v1/export/",
        "/api/v1/ai/complete/",
        "/api/v1/ai/sentiment/",
        "/api/v1/ai/settings/",
        "/api/v1/ai/requests/",
        "/api/v1/data/{kind}/",
        "/api/v1/data/imports/",
        "/api/v1/data/settings/",
        "/api/v1/public/track/",
        "/api/v1/public/razorpay/{token}/",
        "/api/v1/data/imports/{id}/",
        "/api/v1/data/imports/{id}/errors.csv",
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
        "/api/v1/analytics/segments/snapshot/",
        "/api/v1/analytics/segments/clusters/",
        "/api/v1/analytics/segments/{segment}/customers/",
        "/api/v1/analytics/segments/{segment}/customers.csv",
        "/api/v1/analytics/attribution/",
        "/api/v1/analytics/attribution.csv",
        "/api/v1/ai/prompts/",
        "/api/v1/ai/prompts/{key}/",
        "/api/v1/ai/prompts/{key}/versions/",
        "/api/v1/ai/prompts/{key}/labels/",
        "/api/v1/ai/brand-voice/",
        "/api/v1/ai/generations/",
        "/api/v1/ai/generations/{id}/",
        "/api/v1/ai/generation-batches/",
        "/api/v1/ai/generation-batches/{id}/",
        "/api/v1/ai/generation-batches/{id}/resume/",
        "/api/v1/ai/quality/",
        "/api/v1/ai/chat/knowledge/",
        "/api/v1/ai/chat/knowledge/faqs/",
        "/api/v1/ai/chat/knowledge/documents/",
        "/api/v1/ai/chat/knowledge/products/",
        "/api/v1/ai/chat/knowledge/products/import/",
        "/api/v1/ai/chat/knowledge/search/",
        "/api/v1/ai/chat/knowledge/{id}/",
        "/api/v1/ai/chat/conversations/",
        "/api/v1/ai/chat/conversations/{id}/",
        "/api/v1/ai/chat/conversations/{id}/messages/",
        "/api/v1/ai/chat/conversations/{id}/reply/",
        "/api/v1/ai/chat/conversations/{id}/handoff/",
        "/api/v1/ai/chat/conversations/{id}/close/",
        "/api/v1/ai/chat/conversations/{id}/reopen/",
        "/api/v1/ai/chat/settings/",
        "/api/v1/ai/chat/settings/rotate-key/",
        "/api/v1/public/chat/conversations/",
        "/api/v1/public/chat/conversations/{id}/",
        "/api/v1/public/chat/conversations/{id}/messages/",
        "/api/v1/public/chat/conversations/{id}/handoff/",
        "/api/v1/platform/tenants/",
        "/api/v1/platform/audit/",
        "/api/v1/platform/audit/verify/",
        "/api/v1/platform/audit/export.csv",
        "/api/v1/platform/audit/export.jsonl",
        "/api/v1/platform/health/",
        "/api/v1/platform/backups/",
        "/api/v1/platform/backups/{id}/",
        "/api/v1/platform/backups/{id}/verify/",
        "/api/v1/platform/incidents/",
        "/api/v1/platform/alerts/",
        "/api/v1/platform/alerts/test/",
        "/api/v1/platform/uptime/",
        "/api/v1/platform/uptime/targets/",
        "/api/v1/platform/uptime/targets/{id}/",
        "/api/v1/platform/errors/",
        "/api/v1/platform/performance/",
        "/api/v1/platform/slow-queries/",
        "/api/v1/platform/billing/metrics/",
        "/api/v1/platform/billing/metrics.csv",
        "/api/v1/billing/plans/",
        "/api/v1/billing/entitlements/",
        "/api/v1/billing/subscription/",
        "/api/v1/billing/subscription/change/",
        "/api/v1/billing/subscription/change-quote/",
        "/api/v1/billing/subscription/cancel/",
        "/api/v1/billing/subscription/pause/",
        "/api/v1/billing/subscription/resume/",
        "/api/v1/billing/checkout/",
        "/api/v1/billing/checkout/complete/",
        "/api/v1/billing/profile/",
        "/api/v1/billing/referral/",
        "/api/v1/billing/invoices/",
        "/api/v1/billing/payments/",
        "/api/v1/billing/invoices/{id}/",
        "/api/v1/billing/invoices/{id}/pdf/",
    }


def test_every_operation_documents_its_errors(schema: dict) -> None:  # type: ignore[type-arg]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            codes = set(operation["responses"])
            assert {"401", "403", "404", "405", "429", "500"} <= codes, (method, path, codes)
            if method in ("post", "patch", "put"):
                assert "400" in codes, (method, path)
            error = operation["responses"]["401"]["content"]["application/json"]["schema"]["$ref"]
            assert error == "#/components/schemas/Error"


def test_error_component_is_our_shape(schema: dict) -> None:  # type: ignore[type-arg]
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "message", "detail"}


def test_schema_and_docs_are_served_offline(alpha: TenantFixture) -> None:
    client = alpha.client()
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"/api/v1/members/" in response.content
    docs = client.get("/api/v1/docs/").content.decode()
    # Swagger UI and ReDoc come from drf-spectacular-sidecar's static files, not a CDN.
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs
    assert "cdn" not in docs.lower()
    redoc = client.get("/api/v1/redoc/").content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/" in redoc
