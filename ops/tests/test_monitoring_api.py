"""Monitoring for platform staff (incidents, alerts, uptime, HTTP targets, test messages) and the
public status page, white-labelled on a partner's own domain."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from ops.models import HealthCheck, Incident, UptimeTarget
from ops.monitor import monitor_round
from suresh_ai.testing import staff_client
from tenants.models import Partner
from tests.webhook_receiver import WebhookReceiver

DISK_DOWN = {"HEALTH_DISK_MIN_FREE_RATIO": 1.01}


@pytest.fixture(autouse=True)
def _local_targets(settings) -> None:  # type: ignore[no-untyped-def]
    """These tests watch servers on 127.0.0.1; ops/tests/test_target_guard.py keeps the default (refused)."""
    settings.OPS_ALLOW_PRIVATE_TARGETS = True


def test_http_targets_are_checked_and_their_outage_is_an_incident(db: None) -> None:
    with WebhookReceiver(status=200) as up, WebhookReceiver(status=503) as down:
        UptimeTarget.objects.create(name="landing", url=f"{up.url}/")
        UptimeTarget.objects.create(name="api", url=f"{down.url}/api/")
        UptimeTarget.objects.create(name="off", url=f"{down.url}/", enabled=False)
        result = monitor_round(force=True)
    assert result is not None
    states = {s.name: (s.ok, s.error) for s in result.statuses if s.name.startswith("http:")}
    assert states == {"http:landing": (True, ""), "http:api": (False, "HTTP 503, expected 200")}
    assert Incident.objects.get().component == "http:api"


def test_staff_read_incidents_alerts_and_uptime(db: None) -> None:
    with override_settings(**DISK_DOWN):
        monitor_round(force=True)
    monitor_round(force=True)
    staff = staff_client("ops@platform.in")
    [incident] = staff.get("/api/v1/platform/incidents/?component=disk").json()["results"]
    assert incident["ended_at"] is not None
    assert incident["duration_seconds"] >= 0
    assert staff.get("/api/v1/platform/incidents/?open=true").json()["results"] == []
    [alert] = staff.get("/api/v1/platform/alerts/?status=resolved").json()["results"]
    assert (alert["rule"], alert["key"]) == ("component_down", "disk")
    assert staff.get("/api/v1/platform/alerts/?status=nope").status_code == 400
    uptime = {row["component"]: row for row in staff.get("/api/v1/platform/uptime/").json()}
    assert uptime["disk"]["day"] == 0.5
    assert uptime["database"]["month"] == 1.0


def test_uptime_targets_are_validated_and_managed(db: None) -> None:
    staff = staff_client("ops@platform.in")
    bad = staff.post(
        "/api/v1/platform/uptime/targets/",
        {"name": "x", "url": "ftp://example.in/", "timeout_seconds": 90},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert set(bad.json()["detail"]) == {"url", "timeout_seconds"}
    unknown = staff.post("/api/v1/platform/uptime/targets/", {"colour": "red"}, content_type="application/json")
    assert unknown.json()["detail"] == {"colour": ["Unknown field."]}
    created = staff.post(
        "/api/v1/platform/uptime/targets/",
        {"name": "landing", "url": "https://suresh.ai/"},
        content_type="application/json",
    )
    assert created.status_code == 201
    target = created.json()["id"]
    changed = staff.patch(
        f"/api/v1/platform/uptime/targets/{target}/", {"enabled": False}, content_type="application/json"
    )
    assert changed.json()["enabled"] is False
    assert staff.delete(f"/api/v1/platform/uptime/targets/{target}/").status_code == 204
    assert not UptimeTarget.objects.exists()


def test_test_message_reaches_each_channel(db: None) -> None:
    staff = staff_client("ops@platform.in")
    refused = staff.post("/api/v1/platform/alerts/test/")
    assert (refused.status_code, refused.json()["code"]) == (400, "no_channels")
    with WebhookReceiver() as hooks, override_settings(ALERT_WEBHOOK_URL=hooks.url, ALERT_EMAILS=["a@platform.in"]):
        sent = staff.post("/api/v1/platform/alerts/test/").json()
        [hook] = hooks.wait_for(1)
    assert {(d["channel"], d["kind"], d["ok"]) for d in sent} == {("email", "test", True), ("webhook", "test", True)}
    assert hook.json()["type"] == "test"


def test_status_page_shows_state_uptime_and_incidents(db: None) -> None:
    with override_settings(**DISK_DOWN, REDIS_URL="redis://127.0.0.1:1/0"):
        monitor_round(force=True)  # Redis down: a major outage (disk is internal, not shown)
    page = Client(HTTP_HOST="localhost").get("/status/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Major outage" in html
    assert "Cache and rate limits" in html
    assert "Disk" not in html
    assert "ConnectionError" not in html  # causes are for staff, not the public
    monitor_round(force=True)
    html = Client(HTTP_HOST="localhost").get("/status/").content.decode()
    assert "All systems operational" in html
    assert "50.00% uptime" in html
    assert HealthCheck.objects.filter(component="redis").count() == 2


def test_status_page_is_white_labelled_on_a_partner_domain(db: None) -> None:
    Partner.objects.create(
        name="Kirana Cloud", display_name="Kirana Cloud", domain="status.kirana.in", primary_colour="#0f766e"
    )
    monitor_round(force=True)
    html = Client(HTTP_HOST="status.kirana.in").get("/status/").content.decode()
    assert "Kirana Cloud status" in html
    assert "#0f766e" in html
    assert "SURESH AI ORIGIN" not in html
    # The partner's domain serves the status page and nothing else.
    assert Client(HTTP_HOST="status.kirana.in").get("/signup/").status_code == 400
    assert Client(HTTP_HOST="unknown.example").get("/status/").status_code == 400


def test_ops_dashboard_shows_score_components_incidents_and_charts(db: None) -> None:
    with override_settings(**DISK_DOWN):
        monitor_round(force=True)
    page = staff_client("ops@platform.in").get("/admin/ops/dashboard/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Health score <strong>80.0</strong>" in html
    assert "<svg" in html
    assert "1 open incident" in html
    assert "disk down" in html  # the firing alert's summary
    assert "Messages waiting" in html
    assert "<td>default</td><td>0</td>" in html  # an empty Redis queue is 0, not unknown
    assert "server errors (0.00%)" in html  # the dashboard's own request is still in flight
    assert "No backup yet: the first backup is due at 03:00 UTC" in html  # a new platform: a warning
    assert html.count("pygal-chart") >= 4  # score, incidents, latency, traffic
    member = Client(HTTP_HOST="localhost")
    assert member.get("/admin/ops/dashboard/").status_code == 302  # to the admin's login


def test_admin_index_links_every_dashboard_for_platform_staff(db: None) -> None:
    html = staff_client("ops@platform.in").get("/admin/").content.decode()
    for url in ("/admin/ops/dashboard/", "/admin/errors/", "/admin/performance/", "/admin/backups/", "/status/"):
        assert f'href="{url}"' in html


def test_a_removed_target_closes_its_incident_quietly_and_leaves_the_score(db: None) -> None:
    with (
        WebhookReceiver(status=503) as down,
        WebhookReceiver() as hooks,
        override_settings(ALERT_WEBHOOK_URL=hooks.url),
    ):
        target = UptimeTarget.objects.create(name="api", url=f"{down.url}/")
        monitor_round(force=True)
        hooks.wait_for(1)
        target.delete()
        monitor_round(force=True)
    incident = Incident.objects.get(component="http:api")
    assert incident.ended_at is not None
    assert len(hooks.received) == 1  # no "RESOLVED": it did not recover, it is no longer checked
    body = staff_client("ops@platform.in").get("/api/v1/platform/health/").json()
    assert body["score"] == 100.0
    assert "http:api" not in {c["component"] for c in body["components"]}


def test_targets_validate_in_the_admin_too_and_accept_service_names(db: None) -> None:
    staff = staff_client("ops@platform.in")
    page = staff.post(
        "/admin/ops/uptimetarget/add/",
        {"name": "slow", "url": "http://web:8000/healthz", "expected_status": 42, "timeout_seconds": 99},
    )
    assert page.status_code == 200  # the form again, with its errors
    assert "An HTTP status code, 100 to 599." in page.content.decode()
    assert not UptimeTarget.objects.exists()
    created = staff.post(
        "/api/v1/platform/uptime/targets/",
        {"name": "web", "url": "http://web:8000/healthz"},
        content_type="application/json",
    )
    assert created.status_code == 201
    assert staff.get("/api/v1/platform/incidents/?open=maybe").json()["detail"] == {"open": ["true or false."]}


def test_many_slow_targets_are_checked_side_by_side(db: None) -> None:
    """Four targets that accept and never answer: checked one after another, at most one connection
    would be open at a time; side by side, all four are open together. (A count, not a stopwatch,
    so a busy machine cannot fail it.)"""
    import socket
    import threading

    open_now, most_open = 0, 0
    lock = threading.Lock()

    def hold(connection: socket.socket) -> None:
        nonlocal open_now, most_open
        with lock:
            open_now += 1
            most_open = max(most_open, open_now)
        with connection:
            while connection.recv(1024):  # until the check gives up and closes
                pass
        with lock:
            open_now -= 1

    def serve(listener: socket.socket) -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:  # closed at the end of the test
                return
            threading.Thread(target=hold, args=(connection,), daemon=True).start()

    with socket.socket() as silent:  # accepts connections and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        threading.Thread(target=serve, args=(silent,), daemon=True).start()
        for i in range(4):
            UptimeTarget.objects.create(
                name=f"t{i}", url=f"http://127.0.0.1:{silent.getsockname()[1]}/", timeout_seconds=3
            )
        result = monitor_round(force=True)
    assert result is not None
    assert {s.name for s in result.statuses if not s.ok} == {"http:t0", "http:t1", "http:t2", "http:t3"}
    assert most_open == 4
