"""The Data page: CSV imports with progress and error reports (and, with the tracking snippet and
the Razorpay webhook, every way data comes in)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from intelligence import services
from intelligence.api.v1.views import data_settings_data, import_errors_csv
from intelligence.ingest.csvfiles import CSV_KINDS
from intelligence.models import ImportJob
from suresh_ai.errors import NotFound, ValidationFailed
from suresh_ai.queueing import QueueUnavailable
from tenants.models import Role
from tenants.views.auth import member_required


class SettingsForm(forms.Form):
    tracking_origins = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Sites allowed to send events",
        help_text="One origin per line, e.g. https://shop.example.in",
    )
    razorpay_webhook_secret = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        label="Razorpay webhook secret",
        help_text="The secret you set for this URL in your Razorpay dashboard. Empty: keep the current one.",
    )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k, k.title()) for k in CSV_KINDS], label="What the file holds")
    file = forms.FileField(label="CSV file", help_text="UTF-8, a header row of field names; see the formats below.")


@member_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def data_page(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_create(
                kind=form.cleaned_data["kind"],
                filename=upload.name or "upload.csv",
                data=upload.read(),
                user_id=request.user.pk,
            )
        except ValidationFailed as exc:
            form.add_error("file", exc.message.removeprefix("file: "))
        except QueueUnavailable as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Import {job.pk} queued: {job.total_rows:,} rows.")
            return redirect("analytics-data")
    jobs = ImportJob.objects.defer("data", "errors")[:20]
    is_admin = request.membership.role in (Role.OWNER, Role.ADMIN)  # type: ignore[attr-defined]
    current = data_settings_data(request) if is_admin else None
    settings_form = SettingsForm(
        initial={"tracking_origins": "\n".join(current["tracking_origins"])} if current else None
    )
    context = {"form": form, "jobs": jobs, "settings": current, "settings_form": settings_form}
    return render(request, "intelligence/data.html", context)


@member_required(Role.ADMIN)
@require_POST
def data_settings(request: HttpRequest) -> HttpResponse:
    form = SettingsForm(request.POST)
    if form.is_valid():
        data: dict[str, object] = {
            "tracking_origins": [line for line in form.cleaned_data["tracking_origins"].splitlines() if line.strip()]
        }
        if form.cleaned_data["razorpay_webhook_secret"]:
            data["razorpay_webhook_secret"] = form.cleaned_data["razorpay_webhook_secret"]
        try:
            services.data_settings_update(data=data)
        except ValidationFailed as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Saved.")
    return redirect("analytics-data")


@member_required(Role.ANALYST)
@require_GET
def import_errors(request: HttpRequest, pk: int) -> HttpResponse:
    job = ImportJob.objects.defer("data").filter(pk=pk).first()
    if job is None:
        raise NotFound("No such import.")
    return import_errors_csv(job)
