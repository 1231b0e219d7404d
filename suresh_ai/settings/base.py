"""Settings shared by every environment, read from the environment (see .env.example)."""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE as CSP_NONCE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

INSECURE_DEFAULT_SECRET_KEY = "insecure-dev-only-secret-key-change-me"  # noqa: S105 - refused in production

SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_DEFAULT_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=False)
ENVIRONMENT = env.str("ENVIRONMENT", default="development")
RELEASE = env.str("RELEASE", default="dev")

# Tenant hosts are validated by TenantMiddleware against the Domain table, which is the only
# place that knows custom domains; Django's own check would need a restart per new domain.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"])

# --- Tenancy -----------------------------------------------------------------------------------
# Public schema: the platform (tenants, users, memberships, keys, billing, operations).
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "billing",
    "ops",
    "ops.backups",
    "ops.telemetry",
]
# One schema per tenant: the tenant's own business data and the engines computed from it.
TENANT_APPS = [
    "django.contrib.contenttypes",
    "intelligence",
    "ai_engine",
    "ai_engine.chat",
    "experiments",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# New tenants are cloned from this schema (kept migrated by tenants.services), which keeps
# tenant creation fast however many tenant migrations accumulate.
TENANT_TEMPLATE_SCHEMA = env.str("TENANT_TEMPLATE_SCHEMA", default="tenant_template")
# The platform's own host (sign-up, platform admin); tenants live on <slug>.<TENANT_BASE_DOMAIN>.
PLATFORM_DOMAIN = env.str("PLATFORM_DOMAIN", default="localhost")
TENANT_BASE_DOMAIN = env.str("TENANT_BASE_DOMAIN", default="localhost")
# Port appended to links in emails and printed URLs (empty in production behind a proxy on 443).
PUBLIC_URL_SCHEME = env.str("PUBLIC_URL_SCHEME", default="http")
PUBLIC_URL_PORT = env.str("PUBLIC_URL_PORT", default="8000")

DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
# Issue SET search_path once per schema switch, not before every cursor.
TENANT_LIMIT_SET_CALLS = True

# --- Request pipeline --------------------------------------------------------------------------
MIDDLEWARE = [
    "suresh_ai.middleware.RequestIdMiddleware",
    # Starts a monitor round in the background when none ran for two intervals (ops.monitor).
    "ops.monitor.MonitorFallbackMiddleware",
    # Outside everything else, so it times the whole request and sees the final status: 413s,
    # invalid hosts, 429s from the rate limiter, error pages and handler500's 500s.
    "ops.telemetry.middleware.TelemetryMiddleware",
    "suresh_ai.middleware.BodySizeLimitMiddleware",
    "suresh_ai.middleware.QueryStringNulMiddleware",
    "tenants.middleware.TenantMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "suresh_ai.middleware.SessionTimeoutMiddleware",
    "billing.middleware.RestrictedModeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "suresh_ai.middleware.RateLimitHeadersMiddleware",
    "suresh_ai.middleware.RequestLogMiddleware",
    "suresh_ai.middleware.ApplicationErrorPageMiddleware",
    "suresh_ai.middleware.AuditMiddleware",
    # Axes last, as its docs require, so it sees the final authentication outcome.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "suresh_ai.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "suresh_ai.urls_public"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.branding",
            ],
        },
    },
]

WSGI_APPLICATION = "suresh_ai.wsgi.application"

# --- Data stores -------------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/suresh_ai")}
# django-tenants's backend, minus the SET search_path a request to the same tenant does not need.
DATABASES["default"]["ENGINE"] = "suresh_ai.dbbackend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str("TEST_DATABASE_NAME", default="test_suresh_ai")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="sai")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Every key carries the schema of the tenant that wrote it, so no cache entry crosses tenants.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "KEY_PREFIX": CACHE_KEY_PREFIX,
    },
}

# --- Accounts and security ---------------------------------------------------------------------
AUTH_USER_MODEL = "tenants.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60)

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "tenants.views.auth.lockout_response"
# Sign-in ignores the email's case, so lockout must too (else "Alt@x" escapes the lock on "alt@x").
AXES_USERNAME_CALLABLE = "tenants.views.auth.lockout_username"
AXES_VERBOSE = False
# Client IPs come from REMOTE_ADDR unless NUM_PROXIES trusted proxies sit in front: a forged
# X-Forwarded-For must not buy an attacker a fresh lockout counter or rate-limit bucket.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
if NUM_PROXIES:
    AXES_IPWARE_PROXY_COUNT = NUM_PROXIES
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="SURESH AI ORIGIN")
OTP_BACKUP_CODE_COUNT = 10
# Staff who may view devices in the admin must still never see anyone's TOTP secret or QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Sessions live in PostgreSQL only (public schema, one indexed row per session). With a cache in
# front (cached_db) a Redis outage turned every signed-in page and sign-in into a 500, and a sign-out
# made while Redis was unreachable could be undone by its stale cached copy; a primary-key read per
# browser request costs far less than that. API-key calls carry no session and never read one.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Flash messages live in the session. The default (cookie, falling back to session) builds a
# signer on every request, API calls included; it was the largest single cost left on the API
# hot path (benchmarks/README.md).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=15 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT_SECONDS", default=12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts only from our own origin, Razorpay's checkout, or an
# inline <script> carrying the response's nonce ({{ request.csp_nonce }}); no plugins, no framing.
# Styles allow inline: the pygal charts are inline SVG with their own <style>, and a nonce in
# style-src would switch 'unsafe-inline' off for them (CSP level 2).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF, CSP_NONCE, "https://checkout.razorpay.com"],
        "style-src": [CSP_SELF, "'unsafe-inline'"],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF, "data:"],
        "connect-src": [CSP_SELF, "https://lumberjack.razorpay.com"],
        "frame-src": ["https://api.razorpay.com", "https://checkout.razorpay.com"],
        "worker-src": [CSP_SELF, "blob:"],  # ReDoc's web worker
        "object-src": ["'none'"],
        "base-uri": [CSP_SELF],
        "frame-ancestors": ["'none'"],
    }
}
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
# The chat widget's public endpoints answer CORS themselves, per tenant, from its allowed origins.
CORS_URLS_REGEX = r"^/api/(?!v1/public/).*$"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Largest request body accepted anywhere (413 above it).
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
MAX_LOGO_BYTES = env.int("MAX_LOGO_BYTES", default=512 * 1024)

# --- API ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.permissions.IsTenantMember"],
    "DEFAULT_THROTTLE_CLASSES": ["suresh_ai.api.ratelimit.GcraThrottle"],
    "DEFAULT_PAGINATION_CLASS": "suresh_ai.api.pagination.CreatedCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "suresh_ai.api.schema.ErrorDocumentingAutoSchema",
    "EXCEPTION_HANDLER": "suresh_ai.api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": ["suresh_ai.api.parsers.SafeJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
    "NUM_PROXIES": NUM_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SURESH AI ORIGIN API",
    "DESCRIPTION": "Multi-tenant business intelligence and automation. Call it on your tenant's domain "
    "with `Authorization: Bearer <api key>`. Every error has the shape {code, message, detail}.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Two models have a "status" field; name their enums instead of letting the generator guess.
    "ENUM_NAME_OVERRIDES": {
        "TenantStatusEnum": "tenants.models.Tenant.Status",
        "InvitationStatusEnum": "tenants.models.Invitation.Status",
        "RoleEnum": "tenants.models.Role",
        "ChatRoleEnum": ["system", "user", "assistant"],
        "KnowledgeKindEnum": "ai_engine.chat.models.KnowledgeSource.Kind",
        "KnowledgeSourceStatusEnum": "ai_engine.chat.models.KnowledgeSource.Status",
        "ConversationStatusEnum": "ai_engine.chat.models.Conversation.Status",
        "ChatMessageRoleEnum": "ai_engine.chat.models.Message.Role",
        "PromptLabelEnum": "ai_engine.models.PromptLabel.Name",
        "GenerationBatchStatusEnum": "ai_engine.models.GenerationBatch.Status",
        "AITaskEnum": "ai_engine.models.AITask",
        "BackupStatusEnum": "ops.backups.models.Backup.Status",
        "BackupKindEnum": "ops.backups.models.Backup.Kind",
        "BackupOffsiteEnum": "ops.backups.models.Backup.Offsite",
        "BackupVerificationEnum": "ops.backups.models.Backup.Verification",
    },
}

# Requests per minute and burst on the platform's own API; on tenants each plan sets its own
# (billing.Plan). Anonymous requests are limited per IP.
RATE_LIMIT_PER_MINUTE = env.int("RATE_LIMIT_PER_MINUTE", default=60)
RATE_LIMIT_BURST = env.int("RATE_LIMIT_BURST", default=100)
RATE_LIMIT_ANON_PER_MINUTE = env.int("RATE_LIMIT_ANON_PER_MINUTE", default=30)
RATE_LIMIT_ANON_BURST = env.int("RATE_LIMIT_ANON_BURST", default=30)
RATE_LIMIT_ENABLED = env.bool("RATE_LIMIT_ENABLED", default=True)
for _name, (_per_minute, _burst) in {
    "RATE_LIMIT_PER_MINUTE/BURST": (RATE_LIMIT_PER_MINUTE, RATE_LIMIT_BURST),
    "RATE_LIMIT_ANON_PER_MINUTE/BURST": (RATE_LIMIT_ANON_PER_MINUTE, RATE_LIMIT_ANON_BURST),
}.items():
    # A bad value must stop start-up, not turn every API request into a 500 (or silently unlimit it).
    if not (1 <= int(_per_minute) <= 60_000_000 and int(_burst) >= 1):
        raise ImproperlyConfigured(f"{_name}: per-minute must be 1..60000000 and burst at least 1.")

# --- Email -------------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="SURESH AI ORIGIN <no-reply@localhost>")
INVITATION_TTL_DAYS = env.int("INVITATION_TTL_DAYS", default=7)

# --- Billing (issue 3; docs/billing.md) ------------------------------------------------------------
# Razorpay API keys of the platform's own account; without them checkout answers 503.
RAZORPAY_KEY_ID = env.str("RAZORPAY_KEY_ID", default="")
RAZORPAY_KEY_SECRET = env.str("RAZORPAY_KEY_SECRET", default="")
RAZORPAY_WEBHOOK_SECRET = env.str("RAZORPAY_WEBHOOK_SECRET", default="")
RAZORPAY_API_BASE = env.str("RAZORPAY_API_BASE", default="https://api.razorpay.com")
RAZORPAY_TIMEOUT_SECONDS = env.float("RAZORPAY_TIMEOUT_SECONDS", default=10.0)
BILLING_TRIAL_DAYS = env.int("BILLING_TRIAL_DAYS", default=14)
BILLING_TRIAL_PLAN = env.str("BILLING_TRIAL_PLAN", default="pro")
BILLING_GRACE_DAYS = env.int("BILLING_GRACE_DAYS", default=7)
# A referrer earns this % of the referred workspace's first paid invoice as account credit.
BILLING_REFERRAL_PERCENT = env.int("BILLING_REFERRAL_PERCENT", default=20)
# Payment-failed emails go out this many days after the failure (0 = at once).
BILLING_DUNNING_DAYS = [int(d) for d in env.list("BILLING_DUNNING_DAYS", default=["0", "3", "7"])]
BILLING_GST_RATE_PERCENT = 18
# The seller on our invoices (GST): legal name, GSTIN, address and GST state code.
BILLING_SELLER_NAME = env.str("BILLING_SELLER_NAME", default="SURESH AI ORIGIN Private Limited")
BILLING_SELLER_GSTIN = env.str("BILLING_SELLER_GSTIN", default="")
BILLING_SELLER_ADDRESS = env.str("BILLING_SELLER_ADDRESS", default="")
BILLING_SELLER_STATE_CODE = env.str("BILLING_SELLER_STATE_CODE", default="29")
BILLING_SAC_CODE = env.str("BILLING_SAC_CODE", default="998315")

# --- AI engine (issue 4; docs/ai.md) -------------------------------------------------------------
# Groq (official SDK). Without a key (and without an OpenAI-compatible server) AI endpoints answer 503.
GROQ_API_KEY = env.str("GROQ_API_KEY", default="")
GROQ_BASE_URL = env.str("GROQ_BASE_URL", default="https://api.groq.com")
# Any OpenAI-compatible server (OpenAI, Together, a local Ollama or vLLM) through the openai SDK.
AI_OPENAI_BASE_URL = env.str("AI_OPENAI_BASE_URL", default="")
AI_OPENAI_API_KEY = env.str("AI_OPENAI_API_KEY", default="")
# Models served there: name:context_window:usd_per_million_input:usd_per_million_output, comma-separated.
AI_OPENAI_MODELS = env.list("AI_OPENAI_MODELS", default=[])
# Routing by task: models tried in order (fallback on timeout, 5xx, 429).
AI_ROUTE_LONG_FORM = env.list("AI_ROUTE_LONG_FORM", default=["llama-3.3-70b-versatile", "llama-3.1-8b-instant"])
AI_ROUTE_SHORT = env.list("AI_ROUTE_SHORT", default=["llama-3.1-8b-instant", "llama-3.3-70b-versatile"])
AI_TIMEOUT_SECONDS = env.float("AI_TIMEOUT_SECONDS", default=20.0)
# All attempts of one request together; keep it under the web worker's timeout (gunicorn: 30 s).
AI_REQUEST_DEADLINE_SECONDS = env.float("AI_REQUEST_DEADLINE_SECONDS", default=25.0)
AI_RETRIES_PER_MODEL = env.int("AI_RETRIES_PER_MODEL", default=1)
AI_MAX_RETRY_AFTER_SECONDS = env.float("AI_MAX_RETRY_AFTER_SECONDS", default=5.0)
AI_BACKOFF_SECONDS = env.float("AI_BACKOFF_SECONDS", default=0.25)
AI_CACHE_TTL_SECONDS = env.int("AI_CACHE_TTL_SECONDS", default=300)

# --- AI chatbot (issue 4; docs/ai-chatbot.md) ------------------------------------------------------
# Largest uploaded knowledge document (text, Markdown, PDF). Its upload paths get a body limit of
# this plus room for the multipart framing (UPLOAD_BODY_LIMITS); every other path keeps 1 MB.
CHAT_DOCUMENT_MAX_BYTES = env.int("CHAT_DOCUMENT_MAX_BYTES", default=5 * 1024 * 1024)
# A PDF's text is read by a worker, in a child process with these limits (a hostile file fails alone
# with a message on its entry): pages, characters of text, wall-clock seconds, address space.
CHAT_PDF_MAX_PAGES = env.int("CHAT_PDF_MAX_PAGES", default=500)
CHAT_PDF_MAX_CHARS = env.int("CHAT_PDF_MAX_CHARS", default=2_000_000)
CHAT_PDF_TIME_LIMIT_SECONDS = env.float("CHAT_PDF_TIME_LIMIT_SECONDS", default=20.0)
CHAT_PDF_MEMORY_BYTES = env.int("CHAT_PDF_MEMORY_BYTES", default=768 * 1024 * 1024)
# Health checks: the volume whose free space is checked, and the least free share that is "up".
HEALTH_DISK_PATH = env.str("HEALTH_DISK_PATH", default="") or str(BASE_DIR)  # empty: the project volume
HEALTH_DISK_MIN_FREE_RATIO = env.float("HEALTH_DISK_MIN_FREE_RATIO", default=0.10)
# --- Monitoring and alerting (issue 6; docs/operations.md) ----------------------------------------
HEALTH_CHECK_INTERVAL_SECONDS = env.float("HEALTH_CHECK_INTERVAL_SECONDS", default=60.0)
# Health checks are kept this long (uptime figures by day, week and month read them).
HEALTH_HISTORY_DAYS = env.int("HEALTH_HISTORY_DAYS", default=95)
# What the monitor checks. "ai", "webhooks" and "http" check only what is configured (a provider
# key, a Razorpay webhook secret, enabled uptime targets).
HEALTH_COMPONENTS = env.list(
    "HEALTH_COMPONENTS",
    default=[
        *("database", "redis", "broker", "migrations", "disk"),
        *("workers", "beat", "backups", "ai", "webhooks", "http"),
    ],
)
# Queues that must each have at least one live worker consuming them.
HEALTH_WORKER_QUEUES = env.list("HEALTH_WORKER_QUEUES", default=["default", "ops"])
HEALTH_BEAT_MAX_SILENCE_SECONDS = env.float("HEALTH_BEAT_MAX_SILENCE_SECONDS", default=120.0)
HEALTH_WEBHOOK_MAX_SILENCE_HOURS = env.float("HEALTH_WEBHOOK_MAX_SILENCE_HOURS", default=24.0)
# Every Celery worker runs a monitor thread; one round per interval platform-wide (a Redis lock),
# so monitoring survives the loss of beat or of any one worker.
# Uptime targets must resolve to public addresses (ops.netguard) unless this is on: for a deployment
# that watches its own internal services (http://web:8000/). Checked on save and at each connect.
OPS_ALLOW_PRIVATE_TARGETS = env.bool("OPS_ALLOW_PRIVATE_TARGETS", default=False)
OPS_MONITOR_IN_WORKERS = env.bool("OPS_MONITOR_IN_WORKERS", default=True)
# And if no round has run for two intervals (every worker and beat gone), a web process that serves
# a request starts one in a background thread, so losing all workers is still noticed and alerted.
OPS_MONITOR_WEB_FALLBACK = env.bool("OPS_MONITOR_WEB_FALLBACK", default=True)
# Alert channels (secrets: environment only). Empty = that channel is off.
ALERT_EMAILS = env.list("ALERT_EMAILS", default=[])
ALERT_SLACK_WEBHOOK_URL = env.str("ALERT_SLACK_WEBHOOK_URL", default="")
ALERT_DISCORD_WEBHOOK_URL = env.str("ALERT_DISCORD_WEBHOOK_URL", default="")
ALERT_WEBHOOK_URL = env.str("ALERT_WEBHOOK_URL", default="")
ALERT_WEBHOOK_SECRET = env.str("ALERT_WEBHOOK_SECRET", default="")
ALERT_DELIVERY_TIMEOUT_SECONDS = env.float("ALERT_DELIVERY_TIMEOUT_SECONDS", default=5.0)
# Rules: a component down for this many consecutive checks; the API's 5xx share over the window
# (with at least ALERT_ERROR_MIN_REQUESTS requests); p95 latency; 429 refusals in the window.
ALERT_DOWN_CONSECUTIVE_CHECKS = env.int("ALERT_DOWN_CONSECUTIVE_CHECKS", default=1)
ALERT_WINDOW_MINUTES = env.int("ALERT_WINDOW_MINUTES", default=5)
ALERT_ERROR_RATE = env.float("ALERT_ERROR_RATE", default=0.01)
ALERT_ERROR_MIN_REQUESTS = env.int("ALERT_ERROR_MIN_REQUESTS", default=20)
ALERT_P95_MS = env.float("ALERT_P95_MS", default=2000.0)
ALERT_RATE_LIMITED_PER_WINDOW = env.int("ALERT_RATE_LIMITED_PER_WINDOW", default=300)
# A resolved alert that fires again within this many minutes reopens quietly (flapping).
ALERT_COOLDOWN_MINUTES = env.float("ALERT_COOLDOWN_MINUTES", default=10.0)
# --- Telemetry (issue 6; docs/operations/monitoring.md) -------------------------------------------
# Statements slower than this (ms) go into the slow-query log, normalised (no values).
SLOW_QUERY_MS = env.float("SLOW_QUERY_MS", default=500.0)
# Bearer token for Prometheus scraping /metrics (secret; empty: staff sessions only).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Per-minute request history (performance page charts) and error-hour counts are kept this long.
TELEMETRY_HISTORY_DAYS = env.int("TELEMETRY_HISTORY_DAYS", default=8)
# Each process adds request figures up and writes them to Redis this often (seconds; the windows and
# /metrics lag by at most this); 0 writes every request at once (ops.telemetry.recorder).
TELEMETRY_FLUSH_SECONDS = env.float("TELEMETRY_FLUSH_SECONDS", default=1.0)
# --- Backups (issue 6; docs/operations/backups.md) -------------------------------------------------
BACKUP_DIR = env.str("BACKUP_DIR", default="") or str(BASE_DIR / "var" / "backups")
# The client tools; their major version must match the server's (a backup refuses otherwise).
BACKUP_PG_DUMP = env.str("BACKUP_PG_DUMP", default="pg_dump")
BACKUP_PG_RESTORE = env.str("BACKUP_PG_RESTORE", default="pg_restore")
BACKUP_COMPRESSION = env.int("BACKUP_COMPRESSION", default=6)  # pg_dump -Z (custom format, gzip)
# 32 random bytes, base64 (`python -c "import os,base64;print(base64.b64encode(os.urandom(32)).decode())"`).
# Empty: dump files are stored unencrypted.
BACKUP_ENCRYPTION_KEY = env.str("BACKUP_ENCRYPTION_KEY", default="")
# Off-site copies (S3-compatible; credentials from the standard AWS_* variables). Empty bucket: off.
BACKUP_S3_BUCKET = env.str("BACKUP_S3_BUCKET", default="")
BACKUP_S3_ENDPOINT_URL = env.str("BACKUP_S3_ENDPOINT_URL", default="")
BACKUP_S3_REGION = env.str("BACKUP_S3_REGION", default="")
BACKUP_S3_PREFIX = env.str("BACKUP_S3_PREFIX", default="backups/")
# Grandfather-father-son retention, locally and off-site.
BACKUP_KEEP_DAILY = env.int("BACKUP_KEEP_DAILY", default=7)
BACKUP_KEEP_WEEKLY = env.int("BACKUP_KEEP_WEEKLY", default=4)
BACKUP_KEEP_MONTHLY = env.int("BACKUP_KEEP_MONTHLY", default=12)
# Verification restores into this scratch database (created and dropped each time).
BACKUP_VERIFY_DATABASE = env.str("BACKUP_VERIFY_DATABASE", default="suresh_ai_restore_check")
# backup_check(): "missed" without a succeeded backup this recent; "unverified" past this age.
BACKUP_MAX_AGE_HOURS = env.float("BACKUP_MAX_AGE_HOURS", default=26.0)
BACKUP_VERIFY_MAX_AGE_HOURS = env.float("BACKUP_VERIFY_MAX_AGE_HOURS", default=6.0)
# Hard limit of the backup and verification tasks (a big database takes a while).
BACKUP_TASK_TIME_LIMIT = env.int("BACKUP_TASK_TIME_LIMIT", default=4 * 60 * 60)
# The tracking snippet's endpoint, per tracking key and visitor IP.
TRACKING_RATE_PER_MINUTE = env.int("TRACKING_RATE_PER_MINUTE", default=120)
TRACKING_RATE_BURST = env.int("TRACKING_RATE_BURST", default=60)
# RFM snapshots (one row per customer per day): every day for this many days, then only the first
# of each month for this many months; older rows are deleted after each day's snapshot.
SEGMENT_SNAPSHOT_DAILY_DAYS = env.int("SEGMENT_SNAPSHOT_DAILY_DAYS", default=90)
SEGMENT_SNAPSHOT_MONTHLY_MONTHS = env.int("SEGMENT_SNAPSHOT_MONTHLY_MONTHS", default=24)
# Largest CSV import (customers, products, orders, events, spend).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
UPLOAD_BODY_LIMITS = {
    "/api/v1/ai/chat/knowledge/documents/": CHAT_DOCUMENT_MAX_BYTES + 64 * 1024,
    "/ai/chat/knowledge/": CHAT_DOCUMENT_MAX_BYTES + 64 * 1024,
    "/api/v1/data/imports/": IMPORT_MAX_BYTES + 64 * 1024,
    "/analytics/data/": IMPORT_MAX_BYTES + 64 * 1024,
}
# Retrieval: at most this many passages, each ranking at least CHAT_RETRIEVAL_MIN_RANK
# (ts_rank_cd normalised to 0..1; one word of the question in a passage's text scores 0.29).
CHAT_RETRIEVAL_TOP_K = env.int("CHAT_RETRIEVAL_TOP_K", default=4)
CHAT_RETRIEVAL_MIN_RANK = env.float("CHAT_RETRIEVAL_MIN_RANK", default=0.2)
# The public widget endpoints, per site key and visitor IP.
CHAT_WIDGET_RATE_PER_MINUTE = env.int("CHAT_WIDGET_RATE_PER_MINUTE", default=20)
CHAT_WIDGET_RATE_BURST = env.int("CHAT_WIDGET_RATE_BURST", default=10)
# Hand-off emails per workspace per hour; more hand-offs still show in the inbox, unmailed.
CHAT_HANDOFF_EMAILS_PER_HOUR = env.int("CHAT_HANDOFF_EMAILS_PER_HOUR", default=20)

# --- Static files ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = BASE_DIR / "var" / "media"

LANGUAGE_CODE = "en-in"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

from suresh_ai.settings.celery import *  # noqa: E402, F403
from suresh_ai.settings.logging import *  # noqa: E402, F403
from suresh_ai.settings.sentry import init_sentry  # noqa: E402

init_sentry(dsn=env.str("SENTRY_DSN", default=""), environment=ENVIRONMENT, release=RELEASE)
