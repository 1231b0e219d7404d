"""Real Celery worker processes for tests: started on this run's test database and Redis database
(``celery -A celery_app worker --pool=solo``), stopped with a warm shutdown."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from celery_app import app as celery_app

BASE_DIR = Path(settings.BASE_DIR)
WORKER_START_TIMEOUT = 30.0


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    hostname: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def database_url() -> str:
    """The database the test run uses (pytest-django has already renamed NAME to the test DB)."""
    params = connection.settings_dict
    user = quote(params["USER"] or "", safe="")
    password = quote(params["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = params["HOST"] or "127.0.0.1"
    port = f":{params['PORT']}" if params["PORT"] else ""
    return f"postgres://{credentials}{host}{port}/{quote(params['NAME'], safe='')}"


def worker_env(email_url: str, **extra: str) -> dict[str, str]:
    """The test settings, on this run's database and Redis, with mail going to ``email_url``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CELERY_", "EMAIL_", "ALERT_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="suresh_ai.settings.test",
        DATABASE_URL=database_url(),
        DB_CONN_MAX_AGE="0",
        TEST_REDIS_URL=settings.REDIS_URL,
        CACHE_KEY_PREFIX=settings.CACHE_KEY_PREFIX,
        TEST_EMAIL_URL=email_url,
        SENTRY_DSN="",
        LOG_FORMAT="console",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def worker_start(hostname: str, queue: str, env: dict[str, str], log: Path) -> Worker:
    """Start a worker consuming ``queue`` and wait until it answers a ping."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "celery_app",
        "worker",
        "--pool=solo",
        "-Q",
        queue,
        "-n",
        hostname,
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
        "-l",
        "WARNING",
    ]
    with log.open("ab") as sink:
        process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=sink, stderr=subprocess.STDOUT)
    worker = Worker(process=process, hostname=hostname, log=log)
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"worker exited with {process.returncode}:\n{worker.output()}")
        if celery_app.control.ping(destination=[hostname], timeout=0.5):
            return worker
    worker_stop(process)
    pytest.fail(f"worker did not answer a ping within {WORKER_START_TIMEOUT}s:\n{worker.output()}")


def worker_stop(process: subprocess.Popen[bytes]) -> None:
    """Warm shutdown (SIGTERM), then SIGKILL if the worker has not exited within 10 seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
