"""Content-Security-Policy in a real browser (headless Chromium through Playwright): our pages load
with no policy violation, and the chat widget and tracking snippet keep working on a third-party
page of another origin, against gunicorn serving the real app."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import ConsoleMessage, Page, sync_playwright

from ai_engine.chat.models import Conversation, Message
from ai_engine.chat.services import chat_settings_ensure, chat_settings_update
from intelligence import services as data_services
from intelligence.models import Event
from suresh_ai.testing import PASSWORD
from tenants.models import Tenant
from tests.live import gunicorn_server

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
SHOPPER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
# Chromium on a machine with no outside network: no background calls home, no first-run screens.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _wait_for(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


class ThirdPartySite:
    """A shop's page on its own origin that embeds our tracking snippet and chat widget."""

    def __init__(self, html: Callable[[], str]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = html().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def browser_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Page, list[str]]]:
    # Playwright's sync API keeps an event loop on this thread, and Django refuses ORM calls when it
    # sees one; the test's own ORM calls run between browser steps, never inside the loop.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # A shopper's browser: the tracking endpoint drops "HeadlessChrome" as a bot.
        page = browser.new_page(user_agent=SHOPPER_AGENT)
        problems: list[str] = []

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                problems.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(str(error)))
        try:
            yield page, problems
        finally:
            browser.close()


def _violations(page: Page) -> list[str]:
    return list(page.evaluate("window.__cspViolations || []"))


WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def test_pages_load_under_the_policy_and_the_widget_and_snippet_work_elsewhere(
    django_db_setup: None, django_db_blocker: Any, browser_page: tuple[Page, list[str]]
) -> None:
    page, problems = browser_page
    page.add_init_script(WATCH_VIOLATIONS)
    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(slug="alpha")
    keys: dict[str, str] = {}
    site = ThirdPartySite(
        lambda: (
            "<!doctype html><html><head><title>Shop</title>"
            f'<script src="{keys["base"]}/static/js/track.js" data-key="{keys["tracking"]}" defer></script>'
            f'<script src="{keys["base"]}/chat/widget.js" data-site-key="{keys["chat"]}" defer></script>'
            "</head><body><h1>A third-party shop</h1></body></html>"
        )
    )
    try:
        with django_db_blocker.unblock(), tenant_context(tenant):
            chat_before = chat_settings_ensure().allowed_origins
            data_before = data_services.data_settings_ensure().tracking_origins
            keys["chat"] = chat_settings_update(data={"allowed_origins": [site.origin]}).site_key
            keys["tracking"] = data_services.data_settings_update(data={"tracking_origins": [site.origin]}).tracking_key
        with gunicorn_server(workers=1, threads=4) as base:
            port = base.rsplit(":", 1)[1]
            ours = f"http://alpha.localhost:{port}"
            keys["base"] = ours

            # Our own pages: the header is there, with a nonce for scripts, and nothing is blocked.
            login = page.goto(f"{ours}/login/")
            assert login is not None
            policy = login.headers["content-security-policy"]
            assert "script-src 'self'" in policy
            assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
            assert "frame-ancestors 'none'" in policy
            page.fill("input[name=username]", "owner@alpha.in")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{ours}/")
            for path in ("/", "/team/", "/analytics/", "/api/v1/docs/"):
                page.goto(f"{ours}{path}")
                page.wait_for_load_state("networkidle")
                assert _violations(page) == [], path
            page.wait_for_selector("#swagger-ui .info", timeout=20_000)  # Swagger UI started (no inline script)

            # A shop's page on another origin: the snippet's page view and the widget's conversation arrive.
            page.goto(site.origin + "/")
            page.click("text=Chat with us")
            page.fill("textarea[aria-label='Your message']", "Where is my order?")
            page.click("button.send")
            with django_db_blocker.unblock(), tenant_context(tenant):
                viewed = _wait_for(lambda: Event.objects.filter(name="page_view", url__startswith=site.origin).exists())
                asked = _wait_for(lambda: Message.objects.filter(role="user", content="Where is my order?").exists())
            assert viewed, "the tracking snippet's page view did not arrive"
            assert asked, "the chat widget's message did not arrive"
            assert _violations(page) == []
        assert [p for p in problems if "Content Security Policy" in p] == []
    finally:
        site.close()
        with django_db_blocker.unblock(), tenant_context(tenant):
            chat_settings_update(data={"allowed_origins": chat_before})
            data_services.data_settings_update(data={"tracking_origins": data_before})
            Conversation.objects.filter(messages__content="Where is my order?").delete()
            Event.objects.filter(url__startswith=site.origin).delete()
