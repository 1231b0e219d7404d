"""Fixtures for every AI engine test (the gateway's, the content generator's and the chatbot's)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from ai_engine.testing.fake_llm import FakeLLM, fake_llm_server


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    """A local OpenAI-compatible server; Groq (groq SDK) and a second provider (openai SDK) point at it."""
    with (
        fake_llm_server() as (fake, base_url),
        override_settings(
            GROQ_API_KEY=fake.api_key,
            GROQ_BASE_URL=base_url,
            AI_OPENAI_BASE_URL=f"{base_url}/v1",
            AI_OPENAI_API_KEY=fake.api_key,
            AI_OPENAI_MODELS=["local-fallback:8192:0.10:0.20"],
            AI_TIMEOUT_SECONDS=1.0,
            AI_BACKOFF_SECONDS=0.01,
            AI_MAX_RETRY_AFTER_SECONDS=2.0,
        ),
    ):
        fake.retry_after = "0"
        fake.slow_seconds = 1.5
        yield fake
