"""A newcomer's first session, over real HTTP: sign up (following the emailed link, which signs the
new owner in), enable 2FA, invite a teammate, create an API key and call /api/v1/ with it, then sign
in again through the two-factor step.

Used by tests/test_journey.py against a gunicorn server and a worker, and runnable by hand against
`make run` started with its mail going to the SMTP server this script starts (on --smtp-port):

    EMAIL_URL=smtp://127.0.0.1:8025 make run
    .venv/bin/python -m tests.journey --base http://127.0.0.1:8000 --platform-host localhost:8000
"""

from __future__ import annotations

import argparse
import base64
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import requests
from django_otp.oath import totp

from tests.smtp import SmtpServer

PASSWORD = "journey-passphrase-2026"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if match is None:
        raise AssertionError("no CSRF token in page")
    return match.group(1)


class Site:
    """One browser's view of one host: its own cookies, the Host header set on every call."""

    def __init__(self, base: str, host: str) -> None:
        self.base, self.host = base, host
        self.session = requests.Session()
        self.session.headers["Host"] = host

    def get(self, path: str, **kwargs: object) -> requests.Response:
        return self.session.get(self.base + path, allow_redirects=False, timeout=10, **kwargs)  # type: ignore[arg-type]

    def post_form(self, path: str, data: dict[str, object], page: str | None = None) -> requests.Response:
        token = _csrf(self.get(page or path).text)
        return self.session.post(
            self.base + path, data={**data, "csrfmiddlewaretoken": token}, allow_redirects=False, timeout=10
        )


@dataclass
class JourneyResult:
    slug: str
    api_key: str
    me: dict[str, object]
    invitations: list[dict[str, object]]


def run_journey(
    base: str, platform_host: str, mail: Callable[[str], str], tenant_base: str = "localhost", port: str = ""
) -> JourneyResult:
    """``mail(address)`` waits for the next email to ``address`` and returns its text."""
    slug = "journey" + secrets.token_hex(3)
    email = f"owner@{slug}.in"
    public = Site(base, platform_host)
    signup = public.post_form("/signup/", {"company": "Journey Jams", "slug": slug, "full_name": "J", "email": email})
    assert signup.status_code == 200, signup.text[:500]
    assert "Check your email" in signup.text
    link = re.search(r"https?://[^/\s]+(/signup/confirm/[^/\s]+/)", mail(email))
    assert link is not None
    created = public.post_form(link.group(1), {"password": PASSWORD})
    assert created.status_code == 302, created.text[:500]

    tenant_host = f"{slug}.{tenant_base}" + (f":{port}" if port else "")
    assert created.headers["Location"].split("/")[2] == tenant_host
    browser = Site(base, tenant_host)
    welcome = browser.get("/" + created.headers["Location"].split("/", 3)[3])
    assert welcome.headers["Location"] == "/", welcome.text[:300]
    home = browser.get("/").text
    assert "Welcome to Journey Jams" in home
    assert "is ready, and you are signed in" in home

    setup = browser.get("/account/2fa/").text
    secret = re.search(r"Enter this key: <code>([A-Z2-7=]+)</code>", setup)
    assert secret is not None
    code = f"{totp(base64.b32decode(secret.group(1))):06d}"
    codes_page = browser.post_form("/account/2fa/", {"action": "confirm", "token": code}).text
    backup_codes = re.findall(r"<code>([a-z0-9]{8})</code>", codes_page)
    assert len(backup_codes) == 10, codes_page[:500]

    invited = browser.post_form("/team/", {"email": f"mate@{slug}.in", "role": "analyst"})
    assert invited.status_code == 302
    assert f"mate@{slug}.in" in browser.get("/team/").text

    keys_page = browser.post_form("/api-keys/", {"name": "journey key", "scopes": ["read", "admin"]}).text
    raw = re.search(r"sai_[0-9a-f]{8}_[A-Za-z0-9_-]{40}", keys_page)
    assert raw is not None
    api = requests.Session()
    api.headers.update({"Host": tenant_host, "Authorization": f"Bearer {raw.group(0)}"})
    me = api.get(base + "/api/v1/me/", timeout=10)
    assert me.status_code == 200, me.text
    assert "RateLimit-Remaining" in me.headers
    invitations = api.get(base + "/api/v1/invitations/", timeout=10).json()["results"]

    # Signing in again now takes the second step; a backup code gets through.
    browser.post_form("/logout/", {}, page="/")
    again = Site(base, tenant_host)
    first = again.post_form("/login/", {"username": email, "password": PASSWORD})
    assert first.headers["Location"].startswith("/login/otp/")
    second = again.post_form("/login/otp/", {"token": backup_codes[0]})
    assert second.headers["Location"] == "/", second.text[:300]
    assert again.get("/api/v1/me/").json()["otp_verified"] is True
    return JourneyResult(slug=slug, api_key=raw.group(0), me=me.json(), invitations=invitations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="Where the server listens.")
    parser.add_argument("--platform-host", default="localhost:8000", help="Host header of the platform site.")
    parser.add_argument("--tenant-base", default="localhost", help="TENANT_BASE_DOMAIN of the server.")
    parser.add_argument("--port", default="8000", help="Port part of tenant Host headers ('' for none).")
    parser.add_argument("--smtp-port", type=int, default=8025, help="Where the server's mail is sent (EMAIL_URL).")
    args = parser.parse_args()
    with SmtpServer(port=args.smtp_port) as smtp:
        result = run_journey(args.base, args.platform_host, smtp.mail_to, args.tenant_base, args.port)
    print(f"journey ok: tenant {result.slug}, /api/v1/me/ -> {result.me['tenant']}")  # noqa: T201


if __name__ == "__main__":
    main()
