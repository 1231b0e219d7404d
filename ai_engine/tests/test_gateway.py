"""The AI gateway through the real groq and openai SDKs against a local fake provider."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connection, connections
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from ai_engine.models import AIRequest
from ai_engine.quota import quota_key, quota_used
from ai_engine.services import Actor, QuotaExceeded, ai_complete
from ai_engine.testing.fake_llm import FakeLLM
from ai_engine.testing.sse import sse_events
from suresh_ai.redisclient import redis_client
from suresh_ai.testing import TenantFixture, otp_client, staff_client

JSON = "application/json"
ASK = {"task": "long_form", "messages": [{"role": "user", "content": "Describe our mango pickle"}]}


def test_without_a_provider_the_api_says_which_setting_to_set(alpha: TenantFixture) -> None:
    with override_settings(GROQ_API_KEY="", AI_OPENAI_BASE_URL=""):
        response = alpha.key_client().post("/api/v1/ai/complete/", ASK, content_type=JSON)
    assert response.status_code == 503
    assert response.json()["code"] == "ai_provider_not_configured"
    assert "GROQ_API_KEY" in response.json()["message"]


def test_a_completion_is_metered(alpha: TenantFixture, llm: FakeLLM) -> None:
    response = alpha.key_client().post("/api/v1/ai/complete/", ASK, content_type=JSON)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["text"] == "[fake llama-3.3-70b-versatile] reply to: Describe our mango pickle"
    assert (data["model"], data["provider"], data["cached"]) == ("llama-3.3-70b-versatile", "groq", False)
    # The fake counts words as tokens: 4 in, 8 out; at $0.59 and $0.79 per million tokens that is
    # 4 x 0.59 + 8 x 0.79 = 8.68 micro-USD, rounded to 9.
    assert (data["prompt_tokens"], data["completion_tokens"], data["cost_usd_micros"]) == (4, 8, 9)
    with schema_context(alpha.tenant.schema_name):
        record = AIRequest.objects.get()
    assert (record.outcome, record.model, record.cost_usd_micros, record.api_key_id is not None) == (
        "ok",
        "llama-3.3-70b-versatile",
        9,
        True,
    )
    assert quota_used(schema_name=alpha.tenant.schema_name, now=timezone.now()) == 1


def test_identical_requests_are_cached_per_tenant(alpha: TenantFixture, beta: TenantFixture, llm: FakeLLM) -> None:
    first = alpha.key_client().post("/api/v1/ai/complete/", ASK, content_type=JSON).json()
    again = alpha.key_client().post("/api/v1/ai/complete/", ASK, content_type=JSON).json()
    assert (again["cached"], again["text"]) == (True, first["text"])
    assert sum(llm.calls.values()) == 1  # the provider saw one call
    bypass = alpha.key_client().post("/api/v1/ai/complete/", {**ASK, "cache": False}, content_type=JSON).json()
    assert bypass["cached"] is False
    other = beta.key_client().post("/api/v1/ai/complete/", ASK, content_type=JSON).json()
    assert other["cached"] is False  # never another tenant's entry
    assert sum(llm.calls.values()) == 3
    with schema_context(alpha.tenant.schema_name):
        hit = AIRequest.objects.get(cache_hit=True)
    assert (hit.outcome, hit.cost_saved_usd_micros, hit.cost_usd_micros) == ("cached", 9, 0)
    assert quota_used(schema_name=alpha.tenant.schema_name, now=timezone.now()) == 2  # hits are free


def test_5xx_retries_then_falls_back_and_records_every_attempt(alpha: TenantFixture, llm: FakeLLM) -> None:
    llm.script = {"llama-3.3-70b-versatile": ["500", "503"]}
    data = alpha.key_client().post("/api/v1/ai/complete/", ASK, content_type=JSON).json()
    assert data["model"] == "llama-3.1-8b-instant"
    assert [(a["model"], a["status"]) for a in data["attempts"]] == [
        ("llama-3.3-70b-versatile", "server_error"),
        ("llama-3.3-70b-versatile", "server_error"),
        ("llama-3.1-8b-instant", "ok"),
    ]


def test_429_waits_for_retry_after_then_retries(alpha: TenantFixture, llm: FakeLLM) -> None:
    llm.script = {"llama-3.3-70b-versatile": ["429"]}
    data = alpha.key_client().post("/api/v1/ai/complete/", ASK, content_type=JSON).json()
    assert data["model"] == "llama-3.3-70b-versatile"
    assert [a["status"] for a in data["attempts"]] == ["rate_limited", "ok"]


def test_a_retry_after_longer_than_we_wait_moves_to_the_next_model(alpha: TenantFixture, llm: FakeLLM) -> None:
    llm.retry_after = "60"
    llm.script = {"llama-3.3-70b-versatile": ["429"]}
    data = alpha.key_client().post("/api/v1/ai/complete/", ASK, content_type=JSON).json()
    assert [(a["model"], a["status"]) for a in data["attempts"]] == [
        ("llama-3.3-70b-versatile", "rate_limited"),
        ("llama-3.1-8b-instant", "ok"),
    ]


def test_a_slow_provider_times_out_and_the_openai_compatible_one_answers(alpha: TenantFixture, llm: FakeLLM) -> None:
    llm.script = {
        "llama-3.3-70b-versatile": ["slow", "slow"],
        "llama-3.1-8b-instant": ["503", "503"],
    }
    data = alpha.key_client().post("/api/v1/ai/complete/", ASK, content_type=JSON).json()
    assert (data["model"], data["provider"]) == ("local-fallback", "openai_compatible")  # through the openai SDK
    assert [a["status"] for a in data["attempts"]] == ["timeout", "timeout", "server_error", "server_error", "ok"]


def test_when_every_provider_fails_the_quota_is_given_back(alpha: TenantFixture, llm: FakeLLM) -> None:
    llm.script = {
        name: ["500", "500"] for name in ("llama-3.3-70b-versatile", "llama-3.1-8b-instant", "local-fallback")
    }
    response = alpha.key_client().post("/api/v1/ai/complete/", ASK, content_type=JSON)
    assert response.status_code == 503
    assert response.json()["code"] == "ai_provider_unavailable"
    assert len(response.json()["detail"]["attempts"]) == 6
    assert quota_used(schema_name=alpha.tenant.schema_name, now=timezone.now()) == 0
    with schema_context(alpha.tenant.schema_name):
        assert AIRequest.objects.get().outcome == "failed"


def test_bad_input_is_a_400_naming_the_field(alpha: TenantFixture, llm: FakeLLM) -> None:
    client = alpha.key_client()
    for body, field in (
        ({**ASK, "task": "poem"}, "task"),
        ({**ASK, "messages": [{"role": "robot", "content": "x"}]}, "messages"),
        ({**ASK, "messages": []}, "messages"),
        ({**ASK, "temperature": 5}, "temperature"),
        ({**ASK, "model": "gpt-9"}, "model"),
    ):
        response = client.post("/api/v1/ai/complete/", body, content_type=JSON)
        assert response.status_code == 400, body
        assert field in str(response.json()["detail"]), (body, response.json())
    assert sum(llm.calls.values()) == 0


def test_1000_parallel_requests_against_100_left_reach_the_provider_100_times(
    django_db_setup: None, django_db_blocker: Any, llm: FakeLLM
) -> None:
    """Committed data, 40 threads with their own connections, 1,000 requests, no cache; the quota
    has exactly 100 requests left (the plan's 10,000 less 9,900 already used this month)."""
    from tenants.models import Tenant

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        tenant = Tenant.objects.get(slug="alpha")
        key = quota_key(tenant.schema_name, timezone.now())
        redis_client().set(key, 9_900)
        outcomes: list[str] = []

        def generate(i: int) -> None:
            try:
                with schema_context(tenant.schema_name):
                    ai_complete(
                        tenant=tenant,
                        task="short",
                        messages=[{"role": "user", "content": f"question {i}"}],
                        actor=Actor(),
                        use_cache=False,
                    )
                outcomes.append("ok")
            except QuotaExceeded:
                outcomes.append("ai_quota_exceeded")
            finally:
                connections.close_all()

        try:
            with ThreadPoolExecutor(max_workers=40) as pool:
                list(pool.map(generate, range(1_000)))
            assert outcomes.count("ok") == 100
            assert outcomes.count("ai_quota_exceeded") == 900
            # Exactly 100 requests reached the provider. On a busy machine a first attempt can pass its
            # timeout and fall back to the next model: that is a second call for the same request.
            asked = {r["messages"][-1]["content"] for r in llm.requests}
            assert len(asked) == 100
            assert int(redis_client().get(key) or 0) == 10_000
        finally:
            with schema_context(tenant.schema_name):
                AIRequest.objects.all().delete()
            redis_client().delete(key)


def test_quota_exceeded_over_the_api_names_the_reset(alpha: TenantFixture, llm: FakeLLM) -> None:
    redis_client().set(quota_key(alpha.tenant.schema_name, timezone.now()), 10_000)  # Pro: 10,000 a month
    response = alpha.key_client().post("/api/v1/ai/complete/", ASK, content_type=JSON)
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "ai_quota_exceeded"
    assert body["detail"]["limit"] == 10_000
    assert body["detail"]["resets_at"].endswith("T00:00:00+00:00")
    assert sum(llm.calls.values()) == 0


def test_streaming_over_sse_then_replayed_from_the_cache(alpha: TenantFixture, llm: FakeLLM) -> None:
    body = {**ASK, "stream": True}
    response = alpha.key_client().post("/api/v1/ai/complete/", body, content_type=JSON)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    events = sse_events(response)
    text = "".join(data["delta"] for name, data in events if name == "message")
    assert text == "[fake llama-3.3-70b-versatile] reply to: Describe our mango pickle"
    name, done = events[-1]
    assert name == "done"
    assert (done["model"], done["completion_tokens"], done["cost_usd_micros"], done["cached"]) == (
        "llama-3.3-70b-versatile",
        8,
        9,
        False,
    )
    again = sse_events(alpha.key_client().post("/api/v1/ai/complete/", body, content_type=JSON))
    assert "".join(d["delta"] for n, d in again if n == "message") == text
    assert again[-1][1]["cached"] is True
    assert sum(llm.calls.values()) == 1  # the replay came from the cache


def test_streaming_falls_back_before_the_first_piece(alpha: TenantFixture, llm: FakeLLM) -> None:
    llm.script = {"llama-3.3-70b-versatile": ["503", "503"]}
    events = sse_events(alpha.key_client().post("/api/v1/ai/complete/", {**ASK, "stream": True}, content_type=JSON))
    assert events[-1][1]["model"] == "llama-3.1-8b-instant"
    assert [a["status"] for a in events[-1][1]["attempts"]] == ["server_error", "server_error", "ok"]


def test_streaming_quota_and_input_errors_are_still_http_errors(alpha: TenantFixture, llm: FakeLLM) -> None:
    client = alpha.key_client()
    assert (
        client.post("/api/v1/ai/complete/", {**ASK, "stream": True, "task": "x"}, content_type=JSON).status_code == 400
    )
    redis_client().set(quota_key(alpha.tenant.schema_name, timezone.now()), 10_000)
    refused = client.post("/api/v1/ai/complete/", {**ASK, "stream": True}, content_type=JSON)
    assert (refused.status_code, refused.json()["code"]) == (429, "ai_quota_exceeded")


def test_metering_in_the_tenant_admin_for_its_owners_only(alpha: TenantFixture, llm: FakeLLM) -> None:
    alpha.key_client().post("/api/v1/ai/complete/", ASK, content_type=JSON)
    owner = otp_client(alpha.owner, alpha.host)
    page = owner.get("/admin/ai_engine/airequest/")
    assert page.status_code == 200
    assert "llama-3.3-70b-versatile" in page.content.decode()
    staff_view = staff_client()
    assert staff_view.get("/admin/").status_code == 200  # the public admin lists no AI tables it cannot read
    assert staff_view.get("/admin/ai_engine/airequest/").status_code in (403, 404)


def test_nonsense_retry_after_falls_back_to_our_back_off(alpha: TenantFixture, llm: FakeLLM) -> None:
    for value in ("-1", "nan"):
        llm.retry_after = value
        llm.script = {"llama-3.3-70b-versatile": ["429"]}
        response = alpha.key_client().post("/api/v1/ai/complete/", {**ASK, "cache": False}, content_type=JSON)
        assert response.status_code == 200, (value, response.content)
        assert [a["status"] for a in response.json()["attempts"]] == ["rate_limited", "ok"]


def test_a_rejected_request_is_a_422_and_costs_no_quota(alpha: TenantFixture, llm: FakeLLM) -> None:
    llm.script = {"llama-3.3-70b-versatile": ["400"]}
    response = alpha.key_client().post("/api/v1/ai/complete/", ASK, content_type=JSON)
    assert (response.status_code, response.json()["code"]) == (422, "ai_request_rejected")
    assert sum(llm.calls.values()) == 1  # no other model was bothered with it
    assert quota_used(schema_name=alpha.tenant.schema_name, now=timezone.now()) == 0


def test_unreadable_answers_and_refused_keys_fall_back(alpha: TenantFixture, llm: FakeLLM) -> None:
    llm.script = {"llama-3.3-70b-versatile": ["garbage", "401"], "llama-3.1-8b-instant": ["401"]}
    data = alpha.key_client().post("/api/v1/ai/complete/", ASK, content_type=JSON).json()
    # garbage is retried; a refused key skips the rest of Groq; the OpenAI-compatible server answers.
    assert [(a["model"], a["status"]) for a in data["attempts"]] == [
        ("llama-3.3-70b-versatile", "bad_response"),
        ("llama-3.3-70b-versatile", "unauthorized"),
        ("local-fallback", "ok"),
    ]


def test_a_stream_cut_part_way_is_not_ok_and_not_cached(alpha: TenantFixture, llm: FakeLLM) -> None:
    llm.script = {"llama-3.3-70b-versatile": ["cut"]}
    events = sse_events(alpha.key_client().post("/api/v1/ai/complete/", {**ASK, "stream": True}, content_type=JSON))
    assert events[-1] == ("error", {"code": "ai_stream_interrupted", "message": "The answer stopped part-way."})
    with schema_context(alpha.tenant.schema_name):
        assert AIRequest.objects.get().outcome == "interrupted"
    again = alpha.key_client().post("/api/v1/ai/complete/", ASK, content_type=JSON).json()
    assert again["cached"] is False  # the partial answer was never cached


def test_a_client_leaving_mid_stream_is_still_metered(alpha: TenantFixture, llm: FakeLLM) -> None:
    from ai_engine.services import ai_stream

    started = ai_stream(tenant=alpha.tenant, task="long_form", messages=ASK["messages"], actor=Actor())
    assert "delta" in next(started.events)
    started.events.close()  # what WSGI does when the client goes away
    with schema_context(alpha.tenant.schema_name):
        assert AIRequest.objects.get().outcome == "interrupted"
    assert quota_used(schema_name=alpha.tenant.schema_name, now=timezone.now()) == 1  # the provider was used


def test_cancelling_a_stream_hangs_up_on_the_provider_at_once(alpha: TenantFixture, llm: FakeLLM) -> None:
    """Cancellation: the client goes away after the first piece; we close the provider's stream
    straight away (the fake sees the broken connection while it still has words to send), and the
    request is metered as interrupted, never cached."""
    import time

    from ai_engine.services import ai_stream

    llm.stream_pause = 0.05
    llm.replies["llama-3.3-70b-versatile"] = " ".join(f"word{i}" for i in range(200))
    with schema_context(alpha.tenant.schema_name):
        started = ai_stream(tenant=alpha.tenant, task="long_form", messages=ASK["messages"], actor=Actor())
        assert next(started.events) == {"delta": "word0 "}
        cancelled_at = time.perf_counter()
        started.events.close()
        # The fake counts a hang-up only when the connection breaks while it still has words to send
        # (the whole answer takes 10 s), so this waits on that condition, not on a clock.
        while llm.hangups == 0 and time.perf_counter() - cancelled_at < 9:
            time.sleep(0.01)
        assert llm.hangups == 1
        record = AIRequest.objects.get()
        assert (record.outcome, record.attempts[-1]["status"]) == ("interrupted", "interrupted")
        again = ai_complete(tenant=alpha.tenant, task="long_form", messages=ASK["messages"], actor=Actor())
        assert again.cached is False


def test_streaming_when_every_provider_fails_is_a_503_before_the_stream(alpha: TenantFixture, llm: FakeLLM) -> None:
    models = ("llama-3.3-70b-versatile", "llama-3.1-8b-instant", "local-fallback")
    llm.script = {name: ["500", "500"] for name in models}
    response = alpha.key_client().post("/api/v1/ai/complete/", {**ASK, "stream": True}, content_type=JSON)
    assert (response.status_code, response.json()["code"]) == (503, "ai_provider_unavailable")
    assert quota_used(schema_name=alpha.tenant.schema_name, now=timezone.now()) == 0


def test_booleans_are_not_numbers(alpha: TenantFixture, llm: FakeLLM) -> None:
    for field in ("temperature", "max_tokens"):
        response = alpha.key_client().post("/api/v1/ai/complete/", {**ASK, field: True}, content_type=JSON)
        assert response.status_code == 400, field


def test_a_workspace_routes_its_own_models(alpha: TenantFixture, beta: TenantFixture, llm: FakeLLM) -> None:
    admin = alpha.key_client()
    shown = admin.get("/api/v1/ai/settings/").json()
    assert {m["name"] for m in shown["models"]} >= {"llama-3.3-70b-versatile", "local-fallback"}
    bad = admin.patch("/api/v1/ai/settings/", {"route_long_form": ["gpt-99"]}, content_type=JSON)
    assert bad.status_code == 400
    assert "route_long_form" in bad.json()["detail"]
    ok = admin.patch("/api/v1/ai/settings/", {"route_long_form": ["local-fallback"]}, content_type=JSON)
    assert ok.json()["route_long_form"] == ["local-fallback"]
    mine = admin.post("/api/v1/ai/complete/", ASK, content_type=JSON).json()
    assert (mine["model"], mine["provider"]) == ("local-fallback", "openai_compatible")
    theirs = beta.key_client().post("/api/v1/ai/complete/", ASK, content_type=JSON).json()
    assert theirs["model"] == "llama-3.3-70b-versatile"  # beta keeps the platform's route


def test_a_model_whose_context_window_is_too_small_is_skipped(alpha: TenantFixture, llm: FakeLLM) -> None:
    """About 10,000 tokens: over local-fallback's 8,192-token window, within Groq's 131,072."""
    long_ask = {"task": "short", "messages": [{"role": "user", "content": "word " * 8_000}], "cache": False}
    llm.script = {"llama-3.1-8b-instant": ["500", "500"], "llama-3.3-70b-versatile": ["500", "500"]}
    response = alpha.key_client().post("/api/v1/ai/complete/", long_ask, content_type=JSON)
    assert response.status_code == 503  # both Groq models failed; the small local model was not tried
    assert llm.calls["local-fallback"] == 0
    with override_settings(GROQ_API_KEY=""):
        response = alpha.key_client().post("/api/v1/ai/complete/", long_ask, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["code"] == "ai_request_too_long"
    assert response.json()["detail"] == {"estimated_tokens": 10_000 + 4 + 1024, "largest_context_window": 8192}
    assert llm.calls["local-fallback"] == 0
