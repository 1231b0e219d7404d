"""The tracking endpoint: public write-only key, allowed origins only, bots filtered, no cookies."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from intelligence import services
from intelligence.models import Event
from suresh_ai.testing import TenantFixture, login_client

SHOP = "https://shop.alpha.in"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def _setup(fixture: TenantFixture) -> str:
    with schema_context(fixture.tenant.schema_name):
        return services.data_settings_update(data={"tracking_origins": [SHOP + "/"]}).tracking_key


def _send(fixture: TenantFixture, body: dict[str, Any], origin: str | None = SHOP, agent: str = BROWSER) -> Any:
    extra = {"HTTP_USER_AGENT": agent}
    if origin is not None:
        extra["HTTP_ORIGIN"] = origin
    client = Client(HTTP_HOST=fixture.host, **extra)
    return client.post("/api/v1/public/track/", json.dumps(body), content_type="text/plain")  # as sendBeacon


def _page(event_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "page",
        "id": event_id,
        "anonymous_id": "anon-1",
        "session_id": "s-1",
        "url": "https://shop.alpha.in/p/mango?utm_source=instagram&utm_medium=social",
        "referrer": "https://l.instagram.com/",
        "ts": "2026-11-26T02:00:00Z",
        **extra,
    }


def test_events_from_an_allowed_origin_land_once(alpha: TenantFixture) -> None:
    key = _setup(alpha)
    body = {
        "k": key,
        "events": [_page("e-1"), {"type": "track", "event": "add_to_cart", "id": "e-2", "anonymous_id": "anon-1"}],
    }
    response = _send(alpha, body)
    assert response.status_code == 202, response.content
    assert response.json() == {"accepted": 2, "duplicates": 0, "dropped_bot": False, "errors": []}
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert "Set-Cookie" not in response
    assert _send(alpha, body).json()["duplicates"] == 2  # a beacon sent twice lands once
    with schema_context(alpha.tenant.schema_name):
        page = Event.objects.get(event_id="e-1")
        assert (page.name, page.path, page.utm_source, page.channel) == (
            "page_view",
            "/p/mango",
            "instagram",
            "organic_social",
        )
        assert Event.objects.get(event_id="e-2").name == "add_to_cart"


def test_other_origins_keys_and_bots_are_refused(alpha: TenantFixture, beta: TenantFixture) -> None:
    key = _setup(alpha)
    body = {"k": key, "events": [_page("e-9")]}
    assert _send(alpha, body, origin="https://evil.example").json()["code"] == "origin_not_allowed"
    assert _send(alpha, body, origin=None).json()["code"] == "origin_not_allowed"
    assert _send(alpha, {**body, "k": "tk_pub_wrong"}).json()["code"] == "tracking_key_invalid"
    _setup(beta)
    other_workspace = _send(beta, body)  # alpha's key on beta's domain
    assert (other_workspace.status_code, other_workspace.json()["code"]) == (403, "tracking_key_invalid")
    bot = _send(alpha, body, agent="Googlebot/2.1 (+http://www.google.com/bot.html)")
    assert (bot.status_code, bot.json()["dropped_bot"]) == (202, True)
    with schema_context(alpha.tenant.schema_name):
        assert not Event.objects.exists()
    with schema_context(beta.tenant.schema_name):
        assert not Event.objects.exists()
    preflight = Client(HTTP_HOST=alpha.host, HTTP_ORIGIN=SHOP).options("/api/v1/public/track/")
    assert (preflight.status_code, preflight["Access-Control-Allow-Origin"]) == (204, SHOP)


def test_bad_events_are_reported_and_identify_links_the_customer(alpha: TenantFixture) -> None:
    key = _setup(alpha)
    body = {
        "k": key,
        "events": [
            {"type": "identify", "id": "e-3", "anonymous_id": "anon-1", "user_id": "cust-7"},
            {"type": "track", "anonymous_id": "anon-1"},  # no id, no event name
        ],
    }
    result = _send(alpha, body).json()
    assert result["accepted"] == 1
    assert [(e["index"], e["field"]) for e in result["errors"]] == [(1, "event_id")]
    with schema_context(alpha.tenant.schema_name):
        assert Event.objects.get(event_id="e-3").customer.external_id == "cust-7"


def test_the_data_page_shows_the_snippet_to_admins(alpha: TenantFixture) -> None:
    page = login_client(alpha, alpha.owner)
    assert (
        page.post(
            "/analytics/data/settings/", {"tracking_origins": "https://shop.alpha.in/\nhttp://localhost:3000"}
        ).status_code
        == 302
    )
    html = page.get("/analytics/data/").content.decode()
    assert "/static/js/track.js" in html
    assert "data-key=&quot;tk_pub_" in html
    with schema_context(alpha.tenant.schema_name):
        assert services.data_settings_ensure().tracking_origins == ["https://shop.alpha.in", "http://localhost:3000"]
    settings = alpha.key_client().get("/api/v1/data/settings/").json()
    assert settings["razorpay_webhook_secret_set"] is False
    assert settings["razorpay_webhook_url"].startswith("http://alpha.localhost/api/v1/public/razorpay/")
