"""Restricted mode: a workspace whose trial ended or whose payment failed past the grace period
can read, export, remove and pay, but not create or change (docs/billing.md). Nothing is deleted."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from suresh_ai.api.errors import error_response

Handler = Callable[[HttpRequest], HttpResponse]
WRITES = frozenset({"POST", "PUT", "PATCH"})  # DELETE stays open: removing things must stay possible
# Paying, signing in and out, 2FA, password reset and removals stay open while restricted.
ALLOWED = re.compile(
    r"^/(billing/|api/v1/billing/|login/|logout/|account/|password-reset/|admin/login/|admin/logout/)"
    r"|/(remove|revoke)/$"
)
MESSAGE = "This workspace is read-only until its subscription is paid. Open Billing to pay or pick a plan."


class RestrictedModeMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in WRITES:
            tenant = getattr(request, "tenant", None)
            if (
                tenant is not None
                and tenant.schema_name != settings.PUBLIC_SCHEMA_NAME
                and tenant.is_restricted()
                and not ALLOWED.search(request.path_info)
            ):
                if request.path_info.startswith("/api/"):
                    return error_response(402, "billing_restricted", MESSAGE, {"billing_url": "/billing/"})
                return render(request, "errors/402.html", {"message": MESSAGE}, status=402)
        return self.get_response(request)
