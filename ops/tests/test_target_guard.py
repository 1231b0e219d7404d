"""Uptime targets reach public addresses only: loopback, link-local (cloud metadata), private and
reserved addresses are refused when a target is saved and again when a check connects, in every
spelling of an address, and a failed check never tells staff why a connection failed."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError

from ops.models import UptimeTarget, validate_http_url
from ops.monitor import monitor_round
from ops.netguard import address_is_public
from suresh_ai.testing import staff_client
from tests.webhook_receiver import WebhookReceiver

REFUSED = [
    "http://127.0.0.1:5432/",
    "http://[::1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://2130706433/",  # 127.0.0.1 as one decimal number
    "http://0x7f000001/",
    "http://127.1/",
    "http://0/",
    "http://10.0.0.5/",
    "http://192.168.1.1/",
    "http://172.16.0.1/",
    "http://100.64.0.1/",  # shared address space (carrier NAT)
    "http://[::ffff:127.0.0.1]/",
    "http://[fe80::1]/",
    "http://localhost:6379/",
    "http://224.0.0.1/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_non_public_addresses_are_refused_when_saved(db: None, url: str) -> None:
    with pytest.raises(ValidationError, match="not public"):
        validate_http_url(url)


def test_the_api_refuses_them_with_the_field_named(db: None) -> None:
    staff = staff_client("ops@platform.in")
    refused = staff.post(
        "/api/v1/platform/uptime/targets/",
        {"name": "metadata", "url": "http://169.254.169.254/latest/"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert list(refused.json()["detail"]) == ["url"]
    assert not UptimeTarget.objects.exists()
    public = staff.post(
        "/api/v1/platform/uptime/targets/",
        {"name": "landing", "url": "https://93.184.215.14/"},
        content_type="application/json",
    )
    assert public.status_code == 201  # positive control: a public address is fine


def test_public_and_non_public_addresses() -> None:
    assert address_is_public("93.184.215.14")
    assert address_is_public("2606:4700:4700::1111")
    assert not address_is_public("::ffff:169.254.169.254")
    assert not address_is_public("fd00::1")


def test_a_check_refuses_at_connect_time_and_says_nothing_about_the_port(db: None) -> None:
    """A target saved before the rule (or whose name later resolves inward) is refused when the
    check connects; the listener never sees a request. A port with nothing listening and one that
    answers look the same to staff."""
    with WebhookReceiver(status=200) as listener, socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        UptimeTarget.objects.bulk_create(
            [
                UptimeTarget(name="open", url=f"{listener.url}/"),
                UptimeTarget(name="closed", url=f"http://127.0.0.1:{closed.getsockname()[1]}/"),
                UptimeTarget(name="named", url=listener.url.replace("127.0.0.1", "localhost") + "/"),
            ]
        )
        result = monitor_round(force=True)
        assert listener.gets == 0
    assert result is not None
    states = {s.name: (s.ok, s.error) for s in result.statuses if s.name.startswith("http:")}
    refused = (False, "refused: the address is not public")
    assert states == {"http:open": refused, "http:closed": refused, "http:named": refused}


def test_failures_of_allowed_targets_read_the_same(db: None, settings) -> None:  # type: ignore[no-untyped-def]
    settings.OPS_ALLOW_PRIVATE_TARGETS = True
    with WebhookReceiver(status=200) as listener, socket.socket() as closed, socket.socket() as silent:
        closed.bind(("127.0.0.1", 0))
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        UptimeTarget.objects.bulk_create(
            [
                UptimeTarget(name="open", url=f"{listener.url}/"),
                UptimeTarget(name="closed", url=f"http://127.0.0.1:{closed.getsockname()[1]}/"),
                UptimeTarget(name="silent", url=f"http://127.0.0.1:{silent.getsockname()[1]}/", timeout_seconds=0.5),
            ]
        )
        result = monitor_round(force=True)
    assert result is not None
    states = {s.name: (s.ok, s.error) for s in result.statuses if s.name.startswith("http:")}
    assert states == {
        "http:open": (True, ""),
        "http:closed": (False, "no HTTP answer"),
        "http:silent": (False, "no HTTP answer"),
    }
