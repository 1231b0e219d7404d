"""The tenant's billing page: plan and status, usage against the plan, paying, GST details, invoices."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from ai_engine.selectors import usage_summary
from billing import gateway, services
from billing.api.v1.views import invoice_pdf_response, referral_data
from billing.features import feature_get, features_existing
from billing.forms import BillingProfileForm
from billing.gst_states import state_name
from billing.metrics import revenue_charts, revenue_metrics
from billing.money import gross_with_gst
from billing.selectors import (
    billing_profile_for,
    entitlements_for_tenant,
    invoice_get,
    invoices_of,
    payments_of,
    plans_current,
    plans_with_feature,
    subscription_for,
)
from suresh_ai.admin_site import admin_site
from suresh_ai.errors import ApplicationError
from suresh_ai.tenancy import request_tenant
from tenants.forms import form_apply_errors
from tenants.models import Role
from tenants.selectors import seats_used
from tenants.views.auth import member_required


def feature_locked(request: HttpRequest, feature: str) -> HttpResponse:
    """The page a plan without ``feature`` shows instead of the feature's, inside the normal layout:
    what the feature does, which plans include it and the way to upgrade (403; the API answers
    403 ``feature_not_in_plan`` from the same check)."""
    membership = getattr(request, "membership", None)
    context = {
        "feature": feature_get(feature),
        "plans": plans_with_feature(feature),
        "plan_name": entitlements_for_tenant(request_tenant(request)).plan_name,
        "can_upgrade": membership is not None and membership.role in (Role.OWNER, Role.ADMIN),
    }
    return render(request, "billing/feature_locked.html", context, status=403)


@member_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def billing(request: HttpRequest) -> HttpResponse:
    tenant = request_tenant(request)
    is_owner = request.membership.role == Role.OWNER  # type: ignore[attr-defined]
    profile = billing_profile_for(tenant)
    initial = {
        field: getattr(profile, field) for field in ("legal_name", "gstin", "state_code", "address", "billing_email")
    }
    form = BillingProfileForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not is_owner:
            return render(
                request, "errors/403.html", {"message": "Only owners can change billing details."}, status=403
            )
        if form.is_valid():
            try:
                services.billing_profile_update(tenant=tenant, data=form.cleaned_data)
            except ApplicationError as exc:
                form_apply_errors(form, exc)
            else:
                messages.success(request, "Billing details saved. They apply to future invoices.")
                return redirect("billing")
    subscription = subscription_for(tenant)
    entitlements = entitlements_for_tenant(tenant)
    rate = settings.BILLING_GST_RATE_PERCENT
    plans = [
        {
            "plan": plan,
            "monthly_gross": gross_with_gst(plan.price_monthly_paise, rate_percent=rate),
            "yearly_gross": gross_with_gst(plan.price_yearly_paise, rate_percent=rate),
            "current": subscription is not None and subscription.plan.code == plan.code,
            "features": features_existing(plan.features or []),
        }
        for plan in plans_current()
    ]
    return render(
        request,
        "billing/billing.html",
        {
            "subscription": subscription,
            "restricted": tenant.is_restricted(),
            "entitlements": entitlements,
            "features": [feature.name for feature in features_existing(entitlements.features)],
            "ai_usage": usage_summary(tenant=tenant),
            "seats_used": seats_used(tenant=tenant),
            "plans": plans,
            "form": form,
            "is_owner": is_owner,
            "invoices": invoices_of(tenant=tenant)[:50],
            "payments": payments_of(tenant=tenant)[:10],
            "payments_configured": gateway.is_configured(),
            "profile_state": state_name(profile.state_code) if profile.state_code else "",
            "referral": referral_data(tenant),
            "paid": subscription is not None
            and subscription.status in ("authenticated", "active")
            and bool(subscription.razorpay_subscription_id),
        },
    )


@member_required(Role.ADMIN)
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = invoice_get(tenant=request_tenant(request), pk=pk)
    if invoice is None:
        raise Http404
    return invoice_pdf_response(invoice)


def pay_link(request: HttpRequest, token: str) -> HttpResponse:
    """The pay-now link of a dunning email: counted, then on to Razorpay's payment page."""
    target = services.dunning_click(token=token, tenant_id=request_tenant(request).pk)
    if target is None:
        raise Http404
    return redirect(target)


def revenue_dashboard(request: HttpRequest) -> HttpResponse:
    """Platform staff (through the admin's login and 2FA): revenue metrics with charts and CSV."""
    if not getattr(request.user, "is_staff", False):
        raise Http404
    try:
        months = int(request.GET.get("months", "12"))
    except ValueError:
        months = 12
    months = min(max(months, 1), 60)
    rows = revenue_metrics(months=months)
    context = {
        **admin_site.each_context(request),
        "title": "Revenue",
        "rows": rows,
        "charts": {name: mark_safe(svg) for name, svg in revenue_charts(rows).items()},  # noqa: S308 - pygal output
        "months": months,
    }
    return render(request, "admin/billing/revenue.html", context)


@member_required(Role.OWNER)
@require_http_methods(["GET", "POST"])
def change_plan(request: HttpRequest) -> HttpResponse:
    """Show what a plan change costs (computed on the server), then do it on confirmation."""
    tenant = request_tenant(request)
    plan_code = request.POST.get("plan") if request.method == "POST" else request.GET.get("plan")
    try:
        if request.method == "POST":
            _, quote = services.subscription_change_plan(
                tenant=tenant,
                plan_code=plan_code,
                actor_email=request.user.email,  # type: ignore[union-attr]
            )
            if quote.effective == "now":
                messages.success(request, f"You are now on {quote.plan_name}.")
            else:
                messages.success(request, f"{quote.plan_name} starts on {quote.effective_at:%d %b %Y}.")
            return redirect("billing")
        quote = services.subscription_change_quote(tenant=tenant, plan_code=plan_code)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("billing")
    return render(request, "billing/change_plan.html", {"quote": quote, "subscription": subscription_for(tenant)})


def _subscription_action(action: str, done: str) -> Any:
    @member_required(Role.OWNER)
    @require_POST
    def view(request: HttpRequest) -> HttpResponse:
        try:
            getattr(services, f"subscription_{action}")(
                tenant=request_tenant(request),
                actor_email=request.user.email,  # type: ignore[union-attr]
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, done)
        return redirect("billing")

    view.__name__ = f"subscription_{action}"
    return view


cancel_subscription = _subscription_action("cancel", "Your subscription ends at the end of the paid period.")
pause_subscription = _subscription_action("pause", "Billing is paused; the workspace is read-only until you resume.")
resume_subscription = _subscription_action("resume", "Welcome back: billing has resumed.")
