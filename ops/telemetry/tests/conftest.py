"""Fixtures of the telemetry tests: the test-only URLconf with failing and slow views."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client, override_settings


@pytest.fixture
def injected_urls() -> Iterator[None]:
    """Serve ops.telemetry.tests.urls on the platform domain (tests only)."""
    with override_settings(PUBLIC_SCHEMA_URLCONF="ops.telemetry.tests.urls"):
        yield


@pytest.fixture
def platform_client(injected_urls: None) -> Client:
    client = Client(HTTP_HOST="localhost")
    client.raise_request_exception = False  # a view's exception becomes handler500's 500, as in production
    return client
