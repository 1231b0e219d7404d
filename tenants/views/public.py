"""Pages on the platform's own domain."""

from __future__ import annotations

import base64
import re

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from suresh_ai.api.ratelimit import limit_posts_per_ip
from suresh_ai.tenancy import request_tenant
from tenants.emails import logo_data
from tenants.models import User
from tenants.tasks import workspaces_send_email


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "public/landing.html")


class FindWorkspaceForm(forms.Form):
    email = forms.EmailField(label="Your email")


@limit_posts_per_ip("find_workspace", per_minute=2, burst=5)
def find_workspace(request: HttpRequest) -> HttpResponse:
    """Sign-in happens on each workspace's own domain; we email the links (never list them here,
    which would tell strangers who has an account)."""
    form = FindWorkspaceForm(request.POST or None)
    sent = False
    if request.method == "POST" and form.is_valid():
        sent = True
        user = User.objects.filter(email__iexact=form.cleaned_data["email"], is_active=True).first()
        if user is not None:
            # A worker sends it, so the answer takes as long whether or not the account exists.
            workspaces_send_email.delay(user_id=user.pk)
    return render(request, "public/find_workspace.html", {"form": form, "sent": sent})


@require_GET
def brand_logo(request: HttpRequest) -> HttpResponse:
    """The workspace's logo as an image (public, like any logo), for pages and emails."""
    tenant = request_tenant(request)
    data = logo_data(tenant) if tenant.schema_name != "public" else ""
    match = re.match(r"^data:(image/(?:png|jpeg|webp));base64,(.+)$", data, re.DOTALL)
    if match is None:
        raise Http404("No logo.")
    response = HttpResponse(base64.b64decode(match.group(2)), content_type=match.group(1))
    response["Cache-Control"] = "public, max-age=86400, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response
