"""The AI page: usage against the quota with a chart, a playground, and the latest requests."""

from __future__ import annotations

from datetime import date

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from ai_engine import selectors, services
from ai_engine.catalogue import TASKS
from ai_engine.models import AIRequest
from suresh_ai.charts import chart_svg
from suresh_ai.errors import ApplicationError
from suresh_ai.tenancy import request_tenant
from tenants.models import Role
from tenants.views.auth import member_required


class PlaygroundForm(forms.Form):
    task = forms.ChoiceField(
        choices=[(t, "Long-form writing" if t == "long_form" else "Short answer") for t in TASKS], initial="short"
    )
    prompt = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=10_000)
    use_cache = forms.BooleanField(label="Reuse a recent identical answer", required=False, initial=True)


def _chart(days: list[tuple[date, int, int]]) -> str:
    import pygal
    from pygal.style import DefaultStyle

    chart = pygal.Bar(
        title="AI requests per day (last 30 days)",
        style=DefaultStyle,
        js=[],
        disable_xml_declaration=True,
        height=260,
        show_legend=False,
        x_label_rotation=45,
        show_minor_x_labels=False,
    )
    chart.x_labels = [f"{d:%d %b}" for d, _, _ in days]
    chart.x_labels_major = chart.x_labels[::5]
    chart.add("Requests", [n for _, n, _ in days])
    return chart_svg(chart)


@member_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def ai_page(request: HttpRequest) -> HttpResponse:
    tenant = request_tenant(request)
    form = PlaygroundForm(request.POST or None)
    answer, error = None, None
    if request.method == "POST" and form.is_valid():
        try:
            answer = services.ai_complete(
                tenant=tenant,
                task=form.cleaned_data["task"],
                messages=[{"role": "user", "content": form.cleaned_data["prompt"]}],
                actor=services.Actor(user_id=request.user.pk),
                use_cache=form.cleaned_data["use_cache"],
            )
        except ApplicationError as exc:
            error = exc
    context = {
        "form": form,
        "answer": answer,
        "error": error,
        "usage": selectors.usage_summary(tenant=tenant),
        "chart": mark_safe(_chart(selectors.requests_per_day())),  # noqa: S308 - SVG drawn by pygal from our numbers
        "recent": AIRequest.objects.all()[:20],
    }
    return render(request, "ai/ai.html", context)
