"""Pages on the platform's own domain."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from suresh_ai.api.ratelimit import limit_posts_per_ip
from tenants.emails import branded_email_send
from tenants.models import User
from tenants.selectors import tenants_of_user
from tenants.services import tenant_domain_for
from tenants.views.auth import site_url


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
            workspaces = [
                {"name": t.brand_name, "url": site_url(tenant_domain_for(t.slug), "/login/")}
                for t in tenants_of_user(user_id=user.pk)
            ]
            branded_email_send(
                tenant=None,
                to=user.email,
                subject="Your SURESH AI ORIGIN workspaces",
                template="workspaces",
                context={"workspaces": workspaces},
            )
    return render(request, "public/find_workspace.html", {"form": form, "sent": sent})
