"""Platform staff edit plans in the public admin; a change to a plan publishes a new version."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path

from billing import services
from billing.models import (
    PLAN_TERMS,
    Coupon,
    CouponRedemption,
    CreditEntry,
    Invoice,
    Payment,
    Plan,
    Referral,
    Refund,
    Subscription,
    SubscriptionChange,
    WebhookEvent,
)
from suresh_ai.admin_site import admin_site, is_public_request
from suresh_ai.errors import ApplicationError
from tenants.admin import PlatformOnlyAdmin, ReadOnlyPlatformAdmin


@admin.register(Plan, site=admin_site)
class PlanAdmin(PlatformOnlyAdmin):
    list_display = ("name", "code", "version", "is_current", "price_monthly_paise", "seats", "api_rate_per_minute")
    list_filter = ("is_current", "code")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Published versions are immutable: editing one saves a new version instead.
        return ("code", "version", "is_current", "created_at") if obj else ("version", "is_current", "created_at")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # tenants may be on any version

    def save_model(self, request: HttpRequest, obj: Plan, form: Any, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        changes = {field: form.cleaned_data[field] for field in form.changed_data if field in PLAN_TERMS}
        if not changes:
            return
        try:
            new = services.plan_publish(code=obj.code, changes=changes)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, f"Published {new}; {obj.name} v{obj.version} stays with its subscribers.")


class SubscriptionChangeInline(admin.TabularInline):  # type: ignore[type-arg]
    model = SubscriptionChange
    extra = 0
    can_delete = False
    fields = ("at", "source", "from_status", "to_status", "from_plan", "to_plan", "event_id", "actor_email", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Subscription, site=admin_site)
class SubscriptionAdmin(ReadOnlyPlatformAdmin):
    list_display = ("tenant", "plan", "interval", "status", "trial_ends_at", "current_period_end", "past_due_since")
    list_filter = ("status", "interval", "plan__code")
    search_fields = ("tenant__name", "tenant__slug", "razorpay_subscription_id", "razorpay_customer_id")
    list_select_related = ("tenant", "plan")
    inlines = (SubscriptionChangeInline,)


@admin.register(Payment, site=admin_site)
class PaymentAdmin(ReadOnlyPlatformAdmin):
    list_display = ("razorpay_payment_id", "tenant", "amount_paise", "status", "method", "created_at")
    list_filter = ("status", "method")
    search_fields = ("razorpay_payment_id", "tenant__slug")
    list_select_related = ("tenant",)
    change_form_template = "admin/billing/payment/change_form.html"

    def get_urls(self) -> list[Any]:
        refund = self.admin_site.admin_view(lambda request, object_id: refund_view(self, request, object_id))
        return [path("<path:object_id>/refund/", refund, name="billing_payment_refund"), *super().get_urls()]


@admin.register(WebhookEvent, site=admin_site)
class WebhookEventAdmin(ReadOnlyPlatformAdmin):
    list_display = ("event", "event_id", "status", "created_at", "received_at", "processed_at", "attempts")
    list_filter = ("status", "event")
    search_fields = ("event_id", "event")
    actions = ("replay",)

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return is_public_request(request) and request.user.has_perm("billing.change_webhookevent")

    @admin.action(description="Replay the selected events (their effects are idempotent)", permissions=["replay"])
    def replay(self, request: HttpRequest, queryset: Any) -> None:
        replayed, failed = 0, 0
        for pk in queryset.values_list("pk", flat=True):
            try:
                services.webhook_process(event_pk=pk, replay=True)
                replayed += 1
            except services.WebhookProcessingError:
                failed += 1
        self.message_user(request, f"Replayed {replayed} event(s); {failed} failed (see their error).")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Coupon, site=admin_site)
class CouponAdmin(PlatformOnlyAdmin):
    list_display = (
        "code",
        "kind",
        "percent_off",
        "amount_off_paise",
        "duration",
        "times_redeemed",
        "max_redemptions",
        "expires_at",
        "active",
    )
    list_filter = ("active", "kind", "duration")
    search_fields = ("code",)
    readonly_fields = ("times_redeemed", "created_at")

    def save_model(self, request: HttpRequest, obj: Coupon, form: Any, change: bool) -> None:
        obj.code = obj.code.strip().upper()
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # redemptions point at it; deactivate instead


@admin.register(CouponRedemption, site=admin_site)
class CouponRedemptionAdmin(ReadOnlyPlatformAdmin):
    list_display = ("coupon", "tenant", "discount_paise", "payments_discounted", "redeemed_at")
    list_select_related = ("coupon", "tenant")


class RefundForm(forms.Form):
    amount = forms.DecimalField(label="Amount (₹)", min_value=Decimal("1.00"), decimal_places=2, max_digits=12)
    reason = forms.CharField(max_length=200, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)


def refund_view(admin_view: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """Refund (full or partial) a payment; the form carries an idempotency key, so a double
    submit refunds once."""
    if not admin_view.has_view_permission(request) or not request.user.has_perm("billing.add_refund"):
        raise PermissionDenied  # viewing payments is not enough: refunding needs "Can add refund"
    payment = get_object_or_404(Payment, pk=object_id)
    refundable = services.refundable_paise(payment)
    form = RefundForm(
        request.POST or None,
        initial={"amount": Decimal(refundable) / 100, "idempotency_key": f"admin-{secrets.token_urlsafe(24)}"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            refund = services.refund_create(
                payment=payment,
                amount_paise=int(form.cleaned_data["amount"] * 100),
                idempotency_key=form.cleaned_data["idempotency_key"],
                reason=form.cleaned_data["reason"],
                created_by=getattr(request.user, "email", ""),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            admin_view.message_user(request, f"Refund of {services.rupees(refund.amount_paise)}: {refund.status}.")
            return redirect("admin:billing_payment_change", payment.pk)
    context = {
        **admin_site.each_context(request),
        "title": f"Refund payment {payment.razorpay_payment_id}",
        "form": form,
        "payment": payment,
        "refundable": services.rupees(refundable),
        "opts": Payment._meta,
    }
    return TemplateResponse(request, "admin/billing/payment/refund.html", context)


@admin.register(Refund, site=admin_site)
class RefundAdmin(ReadOnlyPlatformAdmin):
    list_display = ("payment", "amount_paise", "status", "razorpay_refund_id", "created_by", "created_at")
    list_filter = ("status",)
    search_fields = ("razorpay_refund_id", "payment__razorpay_payment_id", "idempotency_key")


@admin.register(CreditEntry, site=admin_site)
class CreditEntryAdmin(ReadOnlyPlatformAdmin):
    list_display = ("tenant", "kind", "amount_paise", "invoice", "created_at")
    list_filter = ("kind",)
    search_fields = ("tenant__slug",)


@admin.register(Referral, site=admin_site)
class ReferralAdmin(ReadOnlyPlatformAdmin):
    list_display = ("referrer", "referred", "code", "created_at", "rewarded_at")
    list_select_related = ("referrer", "referred")


@admin.register(Invoice, site=admin_site)
class InvoiceAdmin(ReadOnlyPlatformAdmin):
    list_display = (
        "number",
        "tenant",
        "issued_at",
        "taxable_paise",
        "total_paise",
        "credit_applied_paise",
        "emailed_at",
    )
    search_fields = ("number", "tenant__slug")
    list_select_related = ("tenant",)
