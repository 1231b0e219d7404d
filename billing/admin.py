"""Platform staff edit plans in the public admin; a change to a plan publishes a new version."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from billing import services
from billing.models import (
    PLAN_TERMS,
    Coupon,
    CouponRedemption,
    Payment,
    Plan,
    Subscription,
    SubscriptionChange,
    WebhookEvent,
)
from suresh_ai.admin_site import admin_site
from suresh_ai.errors import ApplicationError
from tenants.admin import PlatformOnlyAdmin


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


class ReadOnlyPlatformAdmin(PlatformOnlyAdmin):
    """Billing records change only through billing.services (webhooks, checkout): read-only here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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


@admin.register(WebhookEvent, site=admin_site)
class WebhookEventAdmin(ReadOnlyPlatformAdmin):
    list_display = ("event", "event_id", "status", "created_at", "received_at", "processed_at", "attempts")
    list_filter = ("status", "event")
    search_fields = ("event_id", "event")
    actions = ("replay",)

    @admin.action(description="Replay the selected events (their effects are idempotent)")
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
