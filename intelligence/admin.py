"""A tenant's business data in the admin: on its own domain, for its owners and admins (rows live
in its schema). Read-only: data arrives through ingestion (API, CSV, tracking, webhooks)."""

from __future__ import annotations

from django.contrib import admin

from intelligence.models import Customer, Event, MarketingSpend, Order, OrderItem, Payment, Product, Refund
from suresh_ai.admin_site import ReadOnlyInline, TenantReadOnlyAdmin, admin_site


class OrderItemInline(ReadOnlyInline):
    model = OrderItem
    fields = ("sku", "name", "quantity", "unit_price_paise", "total_paise")


@admin.register(Customer, site=admin_site)
class CustomerAdmin(TenantReadOnlyAdmin):
    list_display = ("external_id", "email", "name", "first_seen_at", "last_seen_at")
    search_fields = ("external_id", "email", "name", "phone")


@admin.register(Product, site=admin_site)
class ProductAdmin(TenantReadOnlyAdmin):
    list_display = ("sku", "name", "category", "price_paise")
    search_fields = ("sku", "name")
    list_filter = ("category",)


@admin.register(Order, site=admin_site)
class OrderAdmin(TenantReadOnlyAdmin):
    list_display = ("external_id", "customer", "status", "total_paise", "created_at", "paid_at")
    list_filter = ("status",)
    search_fields = ("external_id", "razorpay_order_id", "customer__external_id")
    list_select_related = ("customer",)
    inlines = (OrderItemInline,)


@admin.register(Payment, site=admin_site)
class PaymentAdmin(TenantReadOnlyAdmin):
    list_display = ("razorpay_payment_id", "status", "method", "bank", "card_network", "amount_paise", "created_at")
    list_filter = ("status", "method")
    search_fields = ("razorpay_payment_id", "razorpay_order_id", "error_code")


@admin.register(Refund, site=admin_site)
class RefundAdmin(TenantReadOnlyAdmin):
    list_display = ("razorpay_refund_id", "razorpay_payment_id", "amount_paise", "status", "created_at")
    search_fields = ("razorpay_refund_id", "razorpay_payment_id")


@admin.register(Event, site=admin_site)
class EventAdmin(TenantReadOnlyAdmin):
    list_display = ("occurred_at", "name", "channel", "path", "customer", "anonymous_id")
    list_filter = ("name", "channel")
    search_fields = ("event_id", "anonymous_id", "session_id")
    list_select_related = ("customer",)
    show_full_result_count = False  # counting millions of events on every page is not worth it


@admin.register(MarketingSpend, site=admin_site)
class MarketingSpendAdmin(TenantReadOnlyAdmin):
    list_display = ("date", "channel", "campaign", "amount_paise")
    list_filter = ("channel",)
