"""The floor for api_read.py: a bare Django + DRF view, to measure our API against side by side.

One ``APIView`` that answers a fixed JSON body shaped like ``GET /api/v1/me/``'s, with DRF's JSON
renderer and nothing else: no middleware, no database, no authentication, no throttle, no logging.
``api_read.py`` serves it with exactly the same gunicorn command line (and the same
``gunicorn.conf.py``) as the product, in the same run, so what separates the two figures is what
our request path adds, not the machine's mood. Served as ``bare_floor:application`` with
``--pythonpath benchmarks``.
"""

from __future__ import annotations

import secrets
from typing import Any

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY=secrets.token_urlsafe(48),
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["rest_framework"],
    MIDDLEWARE=[],
    USE_TZ=True,
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PERMISSION_CLASSES": [],
        "DEFAULT_THROTTLE_CLASSES": [],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
        "UNAUTHENTICATED_USER": None,
    },
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402 - settings must be configured first
from django.urls import path, re_path  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

# The shape and size of /api/v1/me/'s answer for an API key.
BODY: dict[str, Any] = {
    "user": None,
    "api_key": {"id": 1, "name": "benchmark", "prefix": "0123abcd", "scopes": ["read"]},
    "role": None,
    "tenant": {
        "id": 2,
        "name": "Benchmark Traders",
        "slug": "bench",
        "status": "active",
        "plan": "benchmark",
        "domain": "bench.localhost",
        "display_name": "Benchmark Traders",
        "logo_url": "",
        "primary_colour": "#4f46e5",
        "support_email": "",
        "email_sender_name": "",
        "require_2fa": False,
        "created_at": "2026-12-08T01:15:42.035929Z",
    },
    "otp_verified": False,
}


class BareView(APIView):
    def get(self, request: Request) -> Response:
        return Response(BODY)


class HealthView(APIView):
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


# Every path api_read.py may measure answers the same body: the floor is the framework, not a query.
urlpatterns = [path("healthz", HealthView.as_view()), re_path(r"^api/", BareView.as_view())]

application = get_wsgi_application()
