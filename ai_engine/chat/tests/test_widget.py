"""The site widget's public API: site key, allowed origins, CORS, visitor tokens, rate limits."""

from __future__ import annotations

from typing import Any

from django.test import Client, override_settings
from django_tenants.utils import schema_context

from ai_engine.chat import services
from ai_engine.chat.models import Conversation, Message
from ai_engine.chat.tests.helpers import BOT_MODEL, JSON, SHOP, events, kb, streamed_text, widget_client, widget_setup
from ai_engine.testing.fake_llm import FakeLLM
from suresh_ai.testing import TenantFixture
from tenants.models import Tenant

START = "/api/v1/public/chat/conversations/"


def _start(client: Client) -> dict[str, Any]:
    response = client.post(START, {}, content_type=JSON)
    assert response.status_code == 201, response.content
    assert response["Access-Control-Allow-Origin"] == SHOP
    return response.json()  # type: ignore[no-any-return]


def test_a_visitor_chats_through_the_widget(alpha: TenantFixture, llm: FakeLLM) -> None:
    sources = kb(alpha)
    key = widget_setup(alpha)
    assert key.startswith("cs_pub_")
    client = widget_client(alpha, key)
    started = _start(client)
    assert (started["status"], started["greeting"]) == (
        "open",
        "Hello! Ask me anything about our products and policies.",
    )
    assert len(started["visitor_token"]) >= 40
    llm.replies[BOT_MODEL] = "Our mango pickle costs ₹250 [1]."
    token = {"HTTP_X_VISITOR_TOKEN": started["visitor_token"]}
    response = client.post(
        f"{START}{started['id']}/messages/", {"content": "How much is the mango pickle?"}, content_type=JSON, **token
    )
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert "Origin" in response["Vary"]
    pairs = events(response)
    assert streamed_text(pairs) == "Our mango pickle costs ₹250 [1]."
    name, done = pairs[-1]
    assert name == "done"
    assert set(done) == {"user_message", "message", "conversation"}  # no model, tokens or cost for visitors
    assert set(done["message"]) == {"id", "role", "content", "citations", "interrupted", "created_at"}
    assert done["message"]["citations"] == [
        {
            "n": 1,
            "source_id": sources["pickle"].pk,
            "title": "Mango pickle",
            "kind": "product",
            "url": "https://shop.alpha.in/p/mango-pickle",
        }
    ]
    history = client.get(f"{START}{started['id']}/", **token)
    assert history.status_code == 200
    assert [(m["role"], m["content"]) for m in history.json()["messages"]] == [
        ("user", "How much is the mango pickle?"),
        ("assistant", "Our mango pickle costs ₹250 [1]."),
    ]
    with schema_context(alpha.tenant.schema_name):
        conversation = Conversation.objects.get(pk=started["id"])
        assert (conversation.channel, conversation.origin) == ("widget", SHOP)
        assert started["visitor_token"] not in conversation.visitor_token_hash  # only its hash is kept


def test_when_the_assistant_cannot_answer_a_visitor_gets_a_person_not_our_error(
    alpha: TenantFixture, llm: FakeLLM
) -> None:
    kb(alpha)
    client = widget_client(alpha, widget_setup(alpha))
    started = _start(client)
    token = {"HTTP_X_VISITOR_TOKEN": started["visitor_token"]}
    llm.script = {m: ["503"] * 4 for m in ("llama-3.1-8b-instant", "llama-3.3-70b-versatile", "local-fallback")}
    response = client.post(
        f"{START}{started['id']}/messages/", {"content": "What is your refund policy?"}, content_type=JSON, **token
    )
    pairs = events(response)
    name, done = pairs[-1]
    assert name == "done"
    assert done["conversation"]["status"] == "handoff"
    assert done["message"]["content"].startswith("Our assistant cannot answer right now")
    assert "attempts" not in str(pairs)  # no provider details for visitors
    with schema_context(alpha.tenant.schema_name):
        conversation = Conversation.objects.get(pk=started["id"])
        assert conversation.handoff_reason == "assistant_unavailable"
        assert conversation.messages.filter(role="user", content="What is your refund policy?").exists()


def test_the_visitor_asks_for_a_person(alpha: TenantFixture, llm: FakeLLM) -> None:
    key = widget_setup(alpha)
    client = widget_client(alpha, key)
    started = _start(client)
    token = {"HTTP_X_VISITOR_TOKEN": started["visitor_token"]}
    number = client.post(f"{START}{started['id']}/messages/", {"content": 42}, content_type=JSON, **token)
    assert (number.status_code, number.json()["detail"]) == (400, {"content": ["Not a valid string."]})
    response = client.post(f"{START}{started['id']}/handoff/", {}, content_type=JSON, **token)
    assert response.status_code == 200
    assert response.json()["status"] == "handoff"
    assert [m["role"] for m in response.json()["messages"]] == ["system"]
    with schema_context(alpha.tenant.schema_name):
        assert Conversation.objects.get(pk=started["id"]).handoff_reason == "customer_request"
    assert sum(llm.calls.values()) == 0


def test_the_site_key_refuses_other_origins_a_missing_origin_and_wrong_keys(alpha: TenantFixture) -> None:
    key = widget_setup(alpha)
    cases = [
        (widget_client(alpha, key, origin="https://evil.example"), "origin_not_allowed"),
        (widget_client(alpha, key, origin="http://shop.alpha.in"), "origin_not_allowed"),  # scheme differs
        (widget_client(alpha, key, origin="https://shop.alpha.in.evil.example"), "origin_not_allowed"),
        (widget_client(alpha, key, origin=None), "origin_not_allowed"),
        (widget_client(alpha, "cs_pub_guessed", origin=SHOP), "site_key_invalid"),
        (Client(HTTP_HOST=alpha.host, HTTP_ORIGIN=SHOP), "site_key_invalid"),
    ]
    for client, code in cases:
        response = client.post(START, {}, content_type=JSON)
        assert (response.status_code, response.json()["code"]) == (403, code)
        if code == "origin_not_allowed":
            assert "Access-Control-Allow-Origin" not in response
    with schema_context(alpha.tenant.schema_name):
        assert not Conversation.objects.exists()
    assert widget_client(alpha, key).post(START, {}, content_type=JSON).status_code == 201  # positive control


def test_a_site_key_works_only_on_its_own_workspace(alpha: TenantFixture, beta: TenantFixture) -> None:
    alpha_key = widget_setup(alpha)
    beta_key = widget_setup(beta)  # beta allows the same origin
    response = widget_client(beta, alpha_key).post(START, {}, content_type=JSON)
    assert (response.status_code, response.json()["code"]) == (403, "site_key_invalid")
    assert widget_client(beta, beta_key).post(START, {}, content_type=JSON).status_code == 201
    # A rotated key stops working at once.
    with schema_context(alpha.tenant.schema_name):
        services.chat_settings_rotate_key()
    response = widget_client(alpha, alpha_key).post(START, {}, content_type=JSON)
    assert (response.status_code, response.json()["code"]) == (403, "site_key_invalid")


def test_a_conversation_needs_its_own_visitor_token(alpha: TenantFixture, beta: TenantFixture) -> None:
    key = widget_setup(alpha)
    client = widget_client(alpha, key)
    mine, theirs = _start(client), _start(client)
    missing = client.get(f"{START}{theirs['id']}/")
    assert (missing.status_code, missing.json()["code"]) == (403, "visitor_token_required")
    for method, path in (("get", ""), ("post", "messages/"), ("post", "handoff/")):
        url = f"{START}{theirs['id']}/{path}"
        body = {"content": "hi"} if path == "messages/" else {}
        response = getattr(client, method)(url, body, content_type=JSON, HTTP_X_VISITOR_TOKEN=mine["visitor_token"])
        assert response.status_code == 404, (method, path)
    with schema_context(alpha.tenant.schema_name):
        assert not Message.objects.exists()
        services.conversation_start(channel="staff")
    staff_id = mine["id"] + 2  # a staff conversation is never reachable from the widget
    response = client.get(f"{START}{staff_id}/", HTTP_X_VISITOR_TOKEN=mine["visitor_token"])
    assert response.status_code == 404
    assert client.get(f"{START}{mine['id']}/", HTTP_X_VISITOR_TOKEN=mine["visitor_token"]).status_code == 200
    # Alpha's conversation and token on beta's domain: beta's key does not fit alpha, and alpha's id is not beta's.
    beta_key = widget_setup(beta)
    other = widget_client(beta, beta_key).get(f"{START}{mine['id']}/", HTTP_X_VISITOR_TOKEN=mine["visitor_token"])
    assert other.status_code == 404


def test_cors_preflight_answers_allowed_origins_only(alpha: TenantFixture) -> None:
    widget_setup(alpha)
    preflight = Client(HTTP_HOST=alpha.host).options(
        START,
        HTTP_ORIGIN=SHOP,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,x-site-key",
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == SHOP
    assert preflight["Access-Control-Allow-Headers"] == "Content-Type, X-Site-Key, X-Visitor-Token"
    assert preflight["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
    refused = Client(HTTP_HOST=alpha.host).options(
        START, HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused


def test_the_widget_is_rate_limited_per_key_and_ip(alpha: TenantFixture) -> None:
    key = widget_setup(alpha)
    with override_settings(CHAT_WIDGET_RATE_PER_MINUTE=1, CHAT_WIDGET_RATE_BURST=2):
        client = widget_client(alpha, key)
        statuses = [client.post(START, {}, content_type=JSON).status_code for _ in range(3)]
        assert statuses == [201, 201, 429]
        refused = client.post(START, {}, content_type=JSON)
        assert refused.json()["code"] == "throttled"
        assert int(refused["Retry-After"]) >= 1
        assert refused["Access-Control-Allow-Origin"] == SHOP  # so the widget can read why
        other_ip = widget_client(alpha, key)
        assert other_ip.post(START, {}, content_type=JSON, REMOTE_ADDR="10.0.0.9").status_code == 201


def test_the_widget_needs_a_plan_with_the_chatbot(alpha: TenantFixture) -> None:
    key = widget_setup(alpha)
    Tenant.objects.filter(pk=alpha.tenant.pk).update(plan="starter")
    response = widget_client(alpha, key).post(START, {}, content_type=JSON)
    assert (response.status_code, response.json()["code"]) == (403, "feature_not_in_plan")


def test_the_widget_script_is_served(alpha: TenantFixture) -> None:
    response = Client(HTTP_HOST=alpha.host).get("/chat/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    body = response.content.decode()
    assert '"X-Site-Key": siteKey' in body
    assert "/api/v1/public/chat/conversations/" in body
    assert "innerHTML" not in body.replace("root.innerHTML =", "")  # messages are set as text only
