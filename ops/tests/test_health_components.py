"""The optional components against real counterparts: the AI provider through the groq SDK
against the local fake server, Razorpay webhook freshness, beat's stored ticks, and Celery
workers (none run beside the suite: the check must say which queue has no worker)."""

from __future__ import annotations

import time
from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from ai_engine.testing.fake_llm import FakeLLM, fake_llm_server
from billing.models import WebhookEvent
from ops.health import BEAT_TICK_KEY, health_statuses
from suresh_ai.redisclient import redis_client


def _state(name: str) -> tuple[bool, str]:
    status = next(s for s in health_statuses() if s.name == name)
    return status.ok, status.error


def test_ai_provider_is_checked_only_when_configured(db: None) -> None:
    assert "ai" not in {s.name for s in health_statuses()}  # no key, no server: not checked
    with fake_llm_server(FakeLLM(api_key="k")) as (_, url), override_settings(GROQ_API_KEY="k", GROQ_BASE_URL=url):
        assert _state("ai") == (True, "")
        with override_settings(GROQ_API_KEY="wrong"):
            assert _state("ai") == (False, "AuthenticationError")
    with override_settings(GROQ_API_KEY="k", GROQ_BASE_URL=url):  # the server has stopped
        assert _state("ai") == (False, "APIConnectionError")


def test_razorpay_webhooks_must_keep_arriving(db: None) -> None:
    assert "webhooks" not in {s.name for s in health_statuses()}
    with override_settings(RAZORPAY_WEBHOOK_SECRET="whsec", HEALTH_WEBHOOK_MAX_SILENCE_HOURS=24):
        assert _state("webhooks") == (False, "no Razorpay webhook received yet")
        old = timezone.now() - timedelta(hours=30)
        WebhookEvent.objects.create(
            event_id="evt_1", event="payment.captured", created_at=old, received_at=old, payload={}
        )
        assert _state("webhooks") == (False, "no Razorpay webhook for 30.0 h")
        now = timezone.now()
        WebhookEvent.objects.create(event_id="evt_2", event="payment.captured", created_at=now, payload={})
        assert _state("webhooks") == (True, "")


def test_beat_is_down_when_its_ticks_stop(db: None) -> None:
    with override_settings(HEALTH_COMPONENTS=["beat"], HEALTH_BEAT_MAX_SILENCE_SECONDS=120):
        assert _state("beat") == (False, "beat has never ticked")
        redis_client().set(BEAT_TICK_KEY, f"{time.time() - 300:.3f}")
        assert _state("beat") == (False, "beat silent for 300 s")
        redis_client().set(BEAT_TICK_KEY, f"{time.time():.3f}")
        assert _state("beat") == (True, "")


def test_workers_component_names_the_queue_without_a_worker(db: None) -> None:
    with override_settings(HEALTH_COMPONENTS=["workers"], HEALTH_WORKER_QUEUES=["default", "ops"]):
        ok, error = _state("workers")
    assert not ok
    assert error.startswith("no live worker consumes queue default, ops")
