"""Sentiment: VADER locally (no model call), the LLM on request (through the gateway)."""

from __future__ import annotations

from django.utils import timezone
from django_tenants.utils import schema_context

from ai_engine.models import AIRequest
from ai_engine.quota import quota_used
from ai_engine.testing.fake_llm import FakeLLM
from suresh_ai.testing import TenantFixture

JSON = "application/json"
TEXTS = ["The delivery was quick and the pickle is delicious!", "Terrible packaging, the jar broke.", "Order 42."]


def test_local_sentiment_needs_no_provider_and_no_quota(alpha: TenantFixture) -> None:
    response = alpha.key_client().post("/api/v1/ai/sentiment/", {"texts": TEXTS}, content_type=JSON)
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [(r["label"], r["score"], r["engine"]) for r in results] == [
        ("positive", 0.6114, "vader"),
        ("negative", -0.7096, "vader"),
        ("neutral", 0.0, "vader"),
    ]
    assert quota_used(schema_name=alpha.tenant.schema_name, now=timezone.now()) == 0


def test_llm_sentiment_returns_the_reason_and_says_when_it_cannot_read_the_answer(
    alpha: TenantFixture, llm: FakeLLM
) -> None:
    llm.replies = {"llama-3.1-8b-instant": '{"label": "negative", "score": -0.8, "reason": "The jar broke."}'}
    body = {"texts": [TEXTS[1]], "engine": "llm"}
    result = alpha.key_client().post("/api/v1/ai/sentiment/", body, content_type=JSON).json()["results"][0]
    assert result == {
        "label": "negative",
        "score": -0.8,
        "engine": "llm:llama-3.1-8b-instant",
        "reason": "The jar broke.",
        "error": "",
    }
    sent = llm.requests[-1]
    assert (sent["model"], sent["temperature"], sent["messages"][-1]["content"]) == (
        "llama-3.1-8b-instant",
        0,
        TEXTS[1],
    )
    # The prompt is the library's sentiment template (production version 1), metered as such.
    assert sent["messages"][0]["content"].startswith("You classify the sentiment of customer messages for Alpha")
    with schema_context(alpha.tenant.schema_name):
        assert AIRequest.objects.values_list("template", "template_version").get() == ("sentiment", 1)
    llm.replies = {"llama-3.1-8b-instant": "I think it is rather sad."}
    unread = (
        alpha.key_client()
        .post("/api/v1/ai/sentiment/", {"texts": [TEXTS[0]], "engine": "llm"}, content_type=JSON)
        .json()["results"][0]
    )
    assert (unread["label"], unread["error"]) == (None, "The model's answer could not be read.")


def test_sentiment_input_limits(alpha: TenantFixture) -> None:
    client = alpha.key_client()
    for body in ({"texts": []}, {"texts": ["x"] * 1001}, {"texts": [""]}, {"texts": ["ok"], "engine": "magic"}):
        response = client.post("/api/v1/ai/sentiment/", body, content_type=JSON)
        assert response.status_code == 400, body
    too_many = client.post("/api/v1/ai/sentiment/", {"texts": ["ok"] * 21, "engine": "llm"}, content_type=JSON)
    assert too_many.status_code == 400  # at most 20 texts through the LLM, checked before any call
