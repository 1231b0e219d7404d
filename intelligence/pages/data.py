"""The Data page: CSV imports with progress and error reports (and, with the tracking snippet and
the Razorpay webhook, every way data comes in)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from intelligence import services
from intelligence.api.v1.views import import_errors_csv
from intelligence.ingest.csvfiles import CSV_KINDS
from intelligence.models import ImportJob
from suresh_ai.errors import NotFound, ValidationFailed
from tenants.models import Role
from tenants.views.auth import member_required


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
        else:
            messages.success(request, f"Import {job.pk} queued: {job.total_rows:,} rows.")
            return redirect("analytics-data")
    jobs = ImportJob.objects.defer("data", "errors")[:20]
    return render(request, "intelligence/data.html", {"form": form, "jobs": jobs})


@member_required(Role.ANALYST)
@require_GET
def import_errors(request: HttpRequest, pk: int) -> HttpResponse:
    job = ImportJob.objects.defer("data").filter(pk=pk).first()
    if job is None:
        raise NotFound("No such import.")
    return import_errors_csv(job)
