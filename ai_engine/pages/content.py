"""Content generator pages: pick a template, fill its variables, generate; rate, edit, mark used;
batches from a CSV with their progress; and the quality report with its chart."""

from __future__ import annotations

import csv
import io
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from ai_engine import selectors, services
from ai_engine.models import PromptTemplate
from suresh_ai.charts import chart_svg
from suresh_ai.errors import ApplicationError, ValidationFailed
from suresh_ai.tenancy import request_tenant
from tenants.models import Role
from tenants.views.auth import member_required

MAX_CSV_BYTES = 2_000_000
MAX_BATCH = 500


def _variable_field(spec: dict[str, Any]) -> forms.Field:
    kind, label, required = spec["type"], spec.get("label", spec["name"]), spec.get("required", True)
    common: dict[str, Any] = {"label": label, "required": required and "default" not in spec}
    if "default" in spec:
        common["initial"] = spec["default"]
    if kind == "long_text":
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), max_length=spec.get("max_length"), **common)
    if kind == "integer":
        return forms.IntegerField(min_value=spec.get("min"), max_value=spec.get("max"), **common)
    if kind == "number":
        return forms.FloatField(min_value=spec.get("min"), max_value=spec.get("max"), **common)
    if kind == "choice":
        return forms.ChoiceField(choices=[(c, c.title()) for c in spec["choices"]], **common)
    if kind == "url":
        return forms.URLField(max_length=spec.get("max_length", 500), assume_scheme="https", **common)
    if kind == "list":
        return forms.CharField(
            widget=forms.Textarea(attrs={"rows": 3}), help_text="One per line.", max_length=5000, **common
        )
    return forms.CharField(max_length=spec.get("max_length"), **common)


def variables_form(template: PromptTemplate, data: Any = None) -> forms.Form:
    """A form with one typed field per template variable (the service checks them again)."""
    form = forms.Form(data)
    for spec in template.variables:
        if spec["name"] == "business_name":
            field = _variable_field({**spec, "required": False})
            field.help_text = "Empty: this workspace's name."
            form.fields[spec["name"]] = field
        else:
            form.fields[spec["name"]] = _variable_field(spec)
    form.fields["subject"] = forms.CharField(
        required=False,
        max_length=200,
        label="Customer id (optional)",
        help_text="Keys the template's A/B split: the same customer always gets the same version.",
    )
    form.fields["label"] = forms.ChoiceField(
        label="Version",
        choices=[
            ("", "Default: the A/B split for this customer, else production"),
            ("production", "Production version"),
            ("staging", "Staging version"),
        ],
        required=False,
    )
    return form


def _values(template: PromptTemplate, cleaned: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for spec in template.variables:
        value = cleaned.get(spec["name"])
        if spec["type"] == "list" and isinstance(value, str):
            value = [line.strip() for line in value.splitlines() if line.strip()]
        if value not in (None, "", []):
            values[spec["name"]] = value
    return values


def _attach(form: forms.Form, error: ValidationFailed) -> None:
    for key, problems in (error.detail or {}).items():
        name = key.removeprefix("variables.")
        form.add_error(name if name in form.fields else None, problems[0] if problems else error.message)
    if not error.detail:
        form.add_error(None, error.message)


@member_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def content_page(request: HttpRequest) -> HttpResponse:
    tenant = request_tenant(request)
    templates = list(selectors.templates_list())
    chosen = next((t for t in templates if t.key == request.GET.get("template")), templates[0] if templates else None)
    form = variables_form(chosen, request.POST or None) if chosen else None
    result, error = None, None
    if request.method == "POST" and chosen is not None and form is not None and form.is_valid():
        try:
            result = services.content_generate(
                tenant=tenant,
                template_key=chosen.key,
                variables=_values(chosen, form.cleaned_data),
                actor=services.Actor(user_id=request.user.pk),
                subject=form.cleaned_data.get("subject") or None,
                label=form.cleaned_data["label"] or None,
            )
        except ValidationFailed as exc:
            _attach(form, exc)
        except ApplicationError as exc:
            error = exc
        else:  # show it on a GET, so reloading the page never spends another AI request
            return redirect(f"{_content_url()}?template={chosen.key}&generated={result.pk}#result")
    generated = request.GET.get("generated", "")
    if generated.isdigit():
        result = selectors.generations_list().filter(pk=int(generated)).first()
    context = {
        "templates": templates,
        "chosen": chosen,
        "form": form,
        "result": result,
        "error": error,
        "recent": selectors.generations_list(template=chosen.key if chosen else None)[:20],
        "batches": selectors.batches_list()[:10],
        "batch_form": BatchForm(),
    }
    return render(request, "ai/content.html", context)


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        choices=[("", "Not rated"), *[(str(n), f"{n} / 5") for n in range(1, 6)]],
        coerce=int,
        empty_value=None,
        required=False,
    )
    edited_output = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=50_000)
    used = forms.BooleanField(required=False, label="Used")


@member_required(Role.ANALYST)
@require_POST
def generation_review(request: HttpRequest, pk: int) -> HttpResponse:
    generation = services.generation_get(pk)  # 404 for another workspace's id: not in this schema
    form = ReviewForm(request.POST)
    if form.is_valid():
        services.generation_update(pk=pk, data=form.cleaned_data)
        messages.success(request, "Saved.")
    else:
        messages.error(request, "Rating must be 1 to 5.")
    return redirect(f"{_content_url()}?template={generation.template.key}#generation-{pk}")


def _content_url() -> str:
    from django.urls import reverse

    return reverse("ai-content")


class BatchForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="A header row of the template's variable names, then one row per item (at most 500). "
        "Separate list items with ';'.",
    )
    label = forms.ChoiceField(choices=[("production", "Production version"), ("staging", "Staging version")])


def _header(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def csv_items(template: PromptTemplate, raw: bytes) -> tuple[list[dict[str, Any]], list[int]]:
    """The CSV's rows as variables objects (headers matched without regard to case, spaces or
    dashes; numbers parsed for number variables; ';' separating list items; rows with nothing in
    them skipped), and each item's line number in the file for error messages."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.for_field("file", "Save the CSV as UTF-8 and upload it again.") from exc
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise ValidationFailed.for_field("file", "The file is empty: a header row of variable names comes first.")
    names = [_header(h) for h in header]
    specs = {v["name"]: v for v in template.variables}
    unknown = [h for h, n in zip(header, names, strict=True) if n and n not in specs]
    if unknown:
        raise ValidationFailed.for_field(
            "file",
            f"Unknown column(s): {', '.join(unknown)}. {template.name} takes: {', '.join(specs)}."
            + (" (Is the file separated by ';'? Use commas.)" if len(header) == 1 and ";" in header[0] else ""),
        )
    items, lines = [], []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        item: dict[str, Any] = {}
        for name, cell in zip(names, row, strict=False):
            value = cell.strip()
            if not name or not value:
                continue
            kind = specs[name]["type"]
            if kind == "list":
                item[name] = [v.strip() for v in value.split(";") if v.strip()]
            elif kind in ("integer", "number"):
                try:
                    item[name] = int(value) if kind == "integer" else float(value)
                except ValueError:
                    item[name] = value  # the service names the row and the field
            else:
                item[name] = value
        items.append(item)
        lines.append(reader.line_num)
    if not items:
        raise ValidationFailed.for_field("file", "The CSV has a header row but no rows to generate.")
    if len(items) > MAX_BATCH:
        raise ValidationFailed.for_field("file", f"{len(items)} rows; a batch takes at most {MAX_BATCH}.")
    return items, lines


@member_required(Role.ANALYST)
@require_POST
def batch_create(request: HttpRequest, key: str) -> HttpResponse:
    template = services.template_get(key)
    form = BatchForm(request.POST, request.FILES)
    back = f"{_content_url()}?template={key}#batches"
    if not form.is_valid():
        messages.error(request, "Choose a CSV file to upload." if "file" in form.errors else "Choose a version.")
        return redirect(back)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_CSV_BYTES:
        messages.error(request, "The CSV is larger than 2 MB.")
        return redirect(back)
    lines: list[int] = []
    try:
        items, lines = csv_items(template, upload.read())
        batch = services.generation_batch_create(
            tenant=request_tenant(request),
            template_key=key,
            items=items,
            label=form.cleaned_data["label"],
            actor=services.Actor(user_id=request.user.pk),
        )
    except ValidationFailed as exc:
        problems = [
            f"Line {lines[int(k.split('.')[1])]}: {v[0]}" if k.startswith("items.") and k.count(".") >= 2 else v[0]
            for k, v in (exc.detail or {"file": [exc.message]}).items()
        ]
        shown = " ".join(problems[:10]) + (f" … and {len(problems) - 10} more." if len(problems) > 10 else "")
        messages.error(request, "Nothing was queued. " + shown)
        return redirect(back)
    messages.success(request, f"Batch {batch.pk} queued: {batch.total} items.")
    return redirect(back)


@member_required(Role.ANALYST)
@require_POST
def batch_resume(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        batch = services.generation_batch_resume(batch_id=pk)
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise
        messages.error(request, exc.message)
        return redirect(f"{_content_url()}#batches")
    messages.success(request, f"Batch {batch.pk} queued again.")
    return redirect(f"{_content_url()}?template={batch.template.key}#batches")


def _quality_chart(weekly: list[dict[str, Any]]) -> str:
    import pygal
    from pygal.style import DefaultStyle

    weeks = sorted({w["week"] for w in weekly})
    chart = pygal.Line(
        title="Average automatic quality score per week (0-10)",
        style=DefaultStyle,
        js=[],
        disable_xml_declaration=True,
        height=300,
        range=(0, 10),
        x_label_rotation=30,
    )
    chart.x_labels = [f"{w:%d %b}" for w in weeks]
    names = dict(PromptTemplate.objects.values_list("key", "name"))
    for key in sorted({w["template"] for w in weekly}):
        by_week = {w["week"]: w["avg_quality"] for w in weekly if w["template"] == key}
        chart.add(names.get(key, key), [by_week.get(w) for w in weeks])
    return chart_svg(chart)


@member_required(Role.ANALYST)
@require_http_methods(["GET"])
def quality_page(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("days", "90")
    days = int(raw) if raw.isdigit() and 1 <= int(raw) <= 365 else 90
    report = selectors.quality_report(days=days)
    chart = mark_safe(_quality_chart(report["weekly"])) if report["weekly"] else ""  # noqa: S308 - pygal SVG of our numbers
    return render(request, "ai/quality.html", {"report": report, "days": days, "chart": chart})
