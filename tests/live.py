"""A production-like server for tests: the real WSGI app under gunicorn, in its own process.

The Django test client runs the app in the test's own thread, inside the test's transaction and
with one request at a time; it cannot show what several worker processes sharing PostgreSQL and
Redis do under concurrent load. ``gunicorn_server`` starts gunicorn (gthread workers) on a free
port of 127.0.0.1, against the *test* database and the test Redis, and yields its base URL.

A separate process sees only committed data. Tests that talk to it must therefore not use the
``db`` fixture (its transaction is never committed) nor ``transaction=True`` (its flush would wipe
the session's committed tenants): they write through ``django_db_blocker.unblock()``, which runs
in autocommit, and undo their writes afterwards -- ``committed_api_key`` and
``committed_tenant_fields`` below do both.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.db import connection

from tenants.models import ApiKey, Tenant
from tenants.selectors import tenancy_cache
from tenants.services import api_key_create

ROOT = Path(__file__).resolve().parent.parent
LIVE_SECRET_KEY = "live-test-server-secret-key-not-for-production-0123456789"


def database_url() -> str:
    """DATABASE_URL for the database this test session uses (the test database during tests)."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(db['NAME'], safe='')}"


def server_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The test process's environment, pointed at the same database, Redis and key prefix."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="suresh_ai.settings.test",
        DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL,
        TEST_REDIS_URL=settings.REDIS_URL,
        CACHE_KEY_PREFIX=settings.CACHE_KEY_PREFIX,
        SECRET_KEY=LIVE_SECRET_KEY,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM (gunicorn's graceful stop), then SIGKILL the server's own process group if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: only gunicorn and its workers
            process.wait(timeout=timeout)


@contextmanager
def gunicorn_server(
    *,
    workers: int = 2,
    threads: int = 8,
    extra_env: dict[str, str] | None = None,
    startup_timeout: float = 30.0,
) -> Iterator[str]:
    """Run ``suresh_ai.wsgi:application`` under gunicorn; yield ``http://127.0.0.1:<port>``.

    The listening socket is opened here and handed over as ``fd://N``, so no other process can
    take the port between choosing it and gunicorn binding it.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    port = listener.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    log_path = Path(tempfile.mkstemp(prefix="gunicorn-live-", suffix=".log")[1])
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "suresh_ai.wsgi:application",
        "--bind",
        f"fd://{listener.fileno()}",
        "--worker-class",
        "gthread",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--graceful-timeout",
        "5",
        "--timeout",
        "60",
        "--log-level",
        "warning",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=server_environment(extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=(listener.fileno(),),
            start_new_session=True,
        )
    listener.close()  # gunicorn holds its own copy
    try:
        _wait_healthy(process, base_url, log_path, startup_timeout)
        yield base_url
    finally:
        _stop(process)
        if process.returncode not in (0, -signal.SIGTERM):
            sys.stderr.write(f"gunicorn exited with {process.returncode}:\n{_log_tail(log_path)}\n")
        log_path.unlink(missing_ok=True)


def _wait_healthy(process: subprocess.Popen[bytes], base_url: str, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} before answering:\n{_log_tail(log_path)}")
        try:
            if requests.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f} s:\n{_log_tail(log_path)}")


@contextmanager
def committed_api_key(
    django_db_blocker: Any, *, slug: str = "alpha", scopes: tuple[str, ...] = ("read",), name: str = "live test key"
) -> Iterator[str]:
    """A committed API key of tenant ``slug`` (so the server sees it); deleted afterwards."""
    with django_db_blocker.unblock():
        issued = api_key_create(tenant=Tenant.objects.get(slug=slug), name=name, scopes=list(scopes), created_by=None)
    try:
        yield issued.raw_key
    finally:
        with django_db_blocker.unblock():
            ApiKey.objects.filter(pk=issued.api_key.pk).delete()


@contextmanager
def committed_tenant_fields(django_db_blocker: Any, *, slug: str, **fields: Any) -> Iterator[None]:
    """Commit ``fields`` on tenant ``slug`` for the duration, then restore the previous values."""
    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(slug=slug)
        before = {name: getattr(tenant, name) for name in fields}
        Tenant.objects.filter(pk=tenant.pk).update(**fields)
        tenancy_cache.bump()  # .update() sends no signal; servers may hold the tenant in their cache
    # Other processes notice a bump within the cache's version-check interval (by design).
    time.sleep(tenancy_cache.version_check_interval + 0.2)
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            Tenant.objects.filter(pk=tenant.pk).update(**before)
            tenancy_cache.bump()
