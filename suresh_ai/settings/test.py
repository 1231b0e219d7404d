"""Test settings: real PostgreSQL and Redis, fast password hashing, mail kept in memory."""

from typing import Any

from suresh_ai.settings.base import *  # noqa: F403
from suresh_ai.settings.base import CACHES, STORAGES, env
from suresh_ai.settings.logging import LOGGING

DEBUG = False
# Argon2 is deliberately slow; tests create many users. Production keeps Argon2 (base settings).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Mail stays in memory unless TEST_EMAIL_URL is given (the real-worker tests point it at a local SMTP
# server). A separate name, so a developer's .env EMAIL_URL never makes the suite send real mail.
if env.str("TEST_EMAIL_URL", default=""):
    vars().update(env.email_url("TEST_EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = False
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": "WARNING"}}

# Tests use their own Redis database and key prefix so they never share queues or keys with a dev server.
REDIS_URL = env.str("TEST_REDIS_URL", default="redis://127.0.0.1:6379/15")
CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="sai-test")
_cache: dict[str, Any] = dict(CACHES["default"])
_cache.update(LOCATION=REDIS_URL, KEY_PREFIX=CACHE_KEY_PREFIX)
CACHES = {"default": _cache}
CELERY_BROKER_URL = CELERY_RESULT_BACKEND = REDIS_URL
# Nothing runs workers, beat or backups beside the suite: tests that need them turn them on.
HEALTH_COMPONENTS = env.list(
    "HEALTH_COMPONENTS", default=["database", "redis", "broker", "migrations", "disk", "ai", "webhooks", "http"]
)
OPS_MONITOR_IN_WORKERS = env.bool("OPS_MONITOR_IN_WORKERS", default=False)
OPS_MONITOR_WEB_FALLBACK = env.bool("OPS_MONITOR_WEB_FALLBACK", default=False)  # its own tests turn it on
# Request figures written at once, so a test reads them right after its request (the buffered
# flush has its own tests).
TELEMETRY_FLUSH_SECONDS = 0.0
PLATFORM_DOMAIN = "localhost"
TENANT_BASE_DOMAIN = "localhost"
PUBLIC_URL_PORT = ""

# No collectstatic before tests: serve from the finders with plain (unhashed) names.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
