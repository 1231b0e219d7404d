from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from billing.testing.fake_razorpay import FakeRazorpay, fake_razorpay_server


@pytest.fixture
def razorpay() -> Iterator[FakeRazorpay]:
    """A local fake Razorpay API, with our settings pointed at it (real SDK, real HMAC signatures)."""
    with (
        fake_razorpay_server() as (fake, base_url),
        override_settings(
            RAZORPAY_KEY_ID=fake.key_id,
            RAZORPAY_KEY_SECRET=fake.key_secret,
            RAZORPAY_WEBHOOK_SECRET=fake.webhook_secret,
            RAZORPAY_API_BASE=base_url,
        ),
    ):
        yield fake
