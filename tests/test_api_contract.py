"""The API and its OpenAPI schema agree, finding by finding from the schemathesis run of issue 13
(the seeded run itself is tests/test_schemathesis.py): NUL in a query string, undeclared methods,
wrong JSON types, page sizes, and what the schema says about nulls, blanks, errors and streams."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from suresh_ai.testing import TenantFixture

JSON = "application/json"


def _assert_error(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == JSON
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "message", "detail"}
    assert body["code"] == code
    if field is not None:
        assert field in body["detail"], body
    return body


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = Path(tmp_path_factory.mktemp("schema")) / "openapi.json"
    call_command("spectacular", "--urlconf", "suresh_ai.urls_api", "--format", "openapi-json", "--file", str(out))
    loaded: dict[str, Any] = json.loads(out.read_text())
    return loaded


# --- Behaviour ------------------------------------------------------------------------------------


def test_nul_in_any_query_string_is_a_400_naming_the_parameter(alpha: TenantFixture) -> None:
    client = alpha.key_client()
    body = _assert_error(client.get("/api/v1/ai/generations/?template=%00"), 400, "bad_request", "template")
    assert body["detail"] == {"template": ["A NUL character is not allowed."]}
    _assert_error(client.get("/api/v1/members/?page_size=2&x%00y=1"), 400, "bad_request", "x\x00y")
    _assert_error(alpha.client().get("/login/?next=/%00"), 400, "bad_request", "next")
    # Positive control: the same parameter without NUL works, and "%2500" is the text "%00", not NUL.
    assert client.get("/api/v1/ai/generations/?template=product_description").status_code == 200
    assert client.get("/api/v1/ai/generations/?template=%2500").status_code == 200


@pytest.mark.parametrize("credentials", ["none", "admin key"])
def test_an_undeclared_method_is_405_whoever_asks(alpha: TenantFixture, credentials: str) -> None:
    client = alpha.key_client() if credentials == "admin key" else alpha.client()
    for path in ("/api/v1/members/", "/api/v1/public/chat/conversations/", "/api/v1/public/chat/conversations/1/"):
        response = client.generic("TRACE", path)
        _assert_error(response, 405, "method_not_allowed")
        allowed = {method.strip() for method in response["Allow"].split(",")}
        assert "TRACE" not in allowed
        assert allowed & {"GET", "POST"}, allowed
    # Positive control: the declared methods still check credentials first.
    assert client.get("/api/v1/members/").status_code == (200 if credentials == "admin key" else 401)


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("patch", "/api/v1/tenant/", {"require_2fa": 0}, "require_2fa"),
        ("patch", "/api/v1/ai/settings/", {"judge_enabled": 0}, "judge_enabled"),
        ("patch", "/api/v1/ai/settings/", {"judge_enabled": "true"}, "judge_enabled"),
        ("post", "/api/v1/ai/sentiment/", {"texts": [0], "engine": "local"}, "texts"),
        ("post", "/api/v1/ai/sentiment/", {"texts": ["fine", True], "engine": "local"}, "texts"),
        ("patch", "/api/v1/ai/chat/settings/", {"history_messages": "5"}, "history_messages"),
    ],
)
def test_json_values_of_the_wrong_type_are_refused(
    alpha: TenantFixture, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    response = getattr(alpha.key_client(), method)(path, body, content_type=JSON)
    _assert_error(response, 400, "validation_error", field)


def test_json_values_of_the_right_type_are_taken(alpha: TenantFixture) -> None:
    client = alpha.key_client()
    assert client.patch("/api/v1/tenant/", {"require_2fa": False}, content_type=JSON).json()["require_2fa"] is False
    assert client.patch("/api/v1/ai/settings/", {"judge_enabled": True}, content_type=JSON).json()["judge_enabled"]
    texts = client.post("/api/v1/ai/sentiment/", {"texts": ["great"], "engine": "local"}, content_type=JSON)
    assert texts.json()["results"][0]["label"] == "positive"
    history = client.patch("/api/v1/ai/chat/settings/", {"history_messages": 5}, content_type=JSON)
    assert history.json()["history_messages"] == 5


@pytest.mark.parametrize("value", ["null", "0", "-1", "201", "1.5", "", "%EF%BC%91"])
def test_page_size_outside_one_to_two_hundred_is_refused(alpha: TenantFixture, value: str) -> None:
    _assert_error(alpha.key_client().get(f"/api/v1/members/?page_size={value}"), 400, "validation_error", "page_size")


def test_page_size_inside_the_range_pages(alpha: TenantFixture) -> None:
    client = alpha.key_client()
    assert len(client.get("/api/v1/api-keys/?page_size=1").json()["results"]) == 1
    assert client.get("/api/v1/api-keys/?page_size=200").status_code == 200


def test_a_pdf_endpoint_answers_its_errors_as_json(alpha: TenantFixture) -> None:
    response = alpha.key_client().get("/api/v1/billing/invoices/999999/pdf/", HTTP_ACCEPT="application/pdf")
    _assert_error(response, 404, "not_found")


# --- What the schema says -------------------------------------------------------------------------


def test_optional_relations_are_nullable_in_the_schema_as_they_are_in_answers(
    alpha: TenantFixture, schema: dict[str, Any]
) -> None:
    components = schema["components"]["schemas"]
    # Made with an API key, so nobody invited or created them: null, as the schema now allows.
    client = alpha.key_client()
    invited = client.post("/api/v1/invitations/", {"email": "new@alpha.in", "role": "viewer"}, content_type=JSON)
    assert invited.json()["invited_by"] is None
    assert components["Invitation"]["properties"]["invited_by"]["nullable"] is True
    created = client.post("/api/v1/api-keys/", {"name": "k", "scopes": ["read"]}, content_type=JSON)
    assert created.json()["created_by"] is None
    assert components["ApiKey"]["properties"]["created_by"]["nullable"] is True
    assert components["PlatformTenant"]["properties"]["partner"]["nullable"] is True
    assert components["BrandVoice"]["properties"]["updated_at"]["nullable"] is True
    assert client.get("/api/v1/ai/brand-voice/").json()["updated_at"] is None


def test_emails_and_urls_that_may_be_blank_say_so(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    blank_or = {"anyOf": [{"format": "email"}, {"maxLength": 0}]}
    for component, field in [("Tenant", "support_email"), ("ChatSettings", "handoff_email")]:
        documented = components[component]["properties"][field]
        assert documented["anyOf"] == blank_or["anyOf"], (component, documented)
        assert "format" not in documented
    assert components["KnowledgeSourceDetail"]["properties"]["url"]["anyOf"] == [{"format": "uri"}, {"maxLength": 0}]
    # A handoff reason is empty until a hand-off: the enum or "".
    reason = components["ConversationDetail"]["properties"]["handoff_reason"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in reason["oneOf"]


def test_every_operation_documents_400_and_every_write_409(schema: dict[str, Any]) -> None:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert "400" in codes, (method, path)  # a NUL in the query string, at least
            if method != "get":
                assert "409" in codes, (method, path)
            for code, response in operation["responses"].items():
                if code >= "400":
                    assert set(response["content"]) == {JSON}, (method, path, code)


def test_streams_and_identifiers_are_documented(schema: dict[str, Any]) -> None:
    paths = schema["paths"]
    for path in ("/api/v1/ai/chat/conversations/{id}/messages/", "/api/v1/public/chat/conversations/{id}/messages/"):
        assert set(paths[path]["post"]["responses"]["200"]["content"]) == {"text/event-stream"}, path
        event = paths[path]["post"]["responses"]["200"]["content"]["text/event-stream"]["schema"]
        assert event["properties"]["event"]["enum"] == ["message", "done", "error"]  # one event, as read
    assert set(paths["/api/v1/ai/complete/"]["post"]["responses"]["200"]["content"]) == {JSON, "text/event-stream"}
    product = schema["components"]["schemas"]["ProductCreateRequest"]
    assert product["additionalProperties"] is False
    assert product["properties"]["sku"]["oneOf"][1] == {"type": "integer"}  # numeric SKUs are taken as text
    page_size = next(p for p in paths["/api/v1/members/"]["get"]["parameters"] if p["name"] == "page_size")
    assert page_size["schema"] == {"type": "integer", "minimum": 1, "maximum": 200}


def test_trace_on_an_unknown_api_path_stays_404(alpha: TenantFixture) -> None:
    # The platform API does not exist on a tenant's domain, whatever the method.
    _assert_error(alpha.key_client().generic("TRACE", "/api/v1/platform/tenants/"), 404, "not_found")
    _assert_error(Client(HTTP_HOST="localhost").generic("TRACE", "/api/v1/nothing-here/"), 404, "not_found")
