"""What a valid record of each kind looks like (DRF serializers, one record at a time, so each
invalid record is reported with its own index, field and reason while the valid ones land)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from rest_framework import serializers

from intelligence.ingest.channels import CHANNELS
from intelligence.models import Order, Payment
from suresh_ai.api.serializers import StrictIntegerField
from suresh_ai.api.views import StrictSerializerMixin

MAX_BATCH = 1000


class Record(StrictSerializerMixin, serializers.Serializer[Any]):
    """Base: unknown fields are refused (a typo must not silently drop data)."""


class CustomerRecord(Record):
    external_id = serializers.CharField(max_length=128)
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
    attributes = serializers.DictField(required=False)
    signed_up_at = serializers.DateTimeField(required=False, allow_null=True)


class ProductRecord(Record):
    sku = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=300)
    category = serializers.CharField(required=False, allow_blank=True, max_length=120)
    price_paise = StrictIntegerField(required=False, allow_null=True, min_value=0)
    attributes = serializers.DictField(required=False)


class OrderItemRecord(Record):
    sku = serializers.CharField(max_length=64)
    name = serializers.CharField(required=False, allow_blank=True, max_length=300)
    quantity = StrictIntegerField(min_value=1, max_value=100_000, default=1)
    unit_price_paise = StrictIntegerField(min_value=0)


class OrderRecord(Record):
    external_id = serializers.CharField(max_length=128)
    customer_id = serializers.CharField(max_length=128, help_text="The customer's external id.")
    status = serializers.ChoiceField(choices=Order.Status.choices, default=Order.Status.CREATED)
    currency = serializers.RegexField(r"^[A-Z]{3}$", default="INR")
    total_paise = StrictIntegerField(min_value=0)
    subtotal_paise = StrictIntegerField(required=False, min_value=0)
    discount_paise = StrictIntegerField(required=False, min_value=0, default=0)
    tax_paise = StrictIntegerField(required=False, min_value=0, default=0)
    shipping_paise = StrictIntegerField(required=False, min_value=0, default=0)
    razorpay_order_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(required=False, allow_null=True)
    items = OrderItemRecord(many=True, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("paid_at") and attrs["paid_at"] < attrs["created_at"]:
            raise serializers.ValidationError({"paid_at": "Before created_at."})
        return attrs


class PaymentRecord(Record):
    razorpay_payment_id = serializers.CharField(max_length=64)
    razorpay_order_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    order_id = serializers.CharField(required=False, allow_blank=True, max_length=128, help_text="Order external id.")
    customer_id = serializers.CharField(required=False, allow_blank=True, max_length=128)
    status = serializers.ChoiceField(choices=Payment.Status.choices)
    method = serializers.CharField(required=False, allow_blank=True, max_length=20)
    bank = serializers.CharField(required=False, allow_blank=True, max_length=40)
    wallet = serializers.CharField(required=False, allow_blank=True, max_length=40)
    card_network = serializers.CharField(required=False, allow_blank=True, max_length=40)
    error_code = serializers.CharField(required=False, allow_blank=True, max_length=64)
    error_reason = serializers.CharField(required=False, allow_blank=True, max_length=120)
    error_description = serializers.CharField(required=False, allow_blank=True, max_length=500)
    amount_paise = StrictIntegerField(min_value=0)
    fee_paise = StrictIntegerField(required=False, min_value=0, default=0)
    currency = serializers.RegexField(r"^[A-Z]{3}$", default="INR")
    created_at = serializers.DateTimeField()
    captured_at = serializers.DateTimeField(required=False, allow_null=True)


class RefundRecord(Record):
    razorpay_refund_id = serializers.CharField(max_length=64)
    razorpay_payment_id = serializers.CharField(max_length=64)
    amount_paise = StrictIntegerField(min_value=1)
    status = serializers.CharField(required=False, max_length=20, default="processed")
    created_at = serializers.DateTimeField()


def _url(value: str) -> None:
    parts = urlsplit(value)
    if value and (parts.scheme not in ("http", "https") or not parts.netloc):
        raise serializers.ValidationError("A full http(s) address.")


class EventRecord(Record):
    event_id = serializers.CharField(max_length=64)
    name = serializers.RegexField(r"^[A-Za-z0-9_.:\- ]{1,64}$", help_text="e.g. page_view, sign_up, add_to_cart.")
    customer_id = serializers.CharField(required=False, allow_blank=True, max_length=128)
    anonymous_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    session_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    properties = serializers.DictField(required=False)
    url = serializers.CharField(required=False, allow_blank=True, max_length=2000, validators=[_url])
    referrer = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    utm_source = serializers.CharField(required=False, allow_blank=True, max_length=100)
    utm_medium = serializers.CharField(required=False, allow_blank=True, max_length=100)
    utm_campaign = serializers.CharField(required=False, allow_blank=True, max_length=200)
    utm_term = serializers.CharField(required=False, allow_blank=True, max_length=200)
    utm_content = serializers.CharField(required=False, allow_blank=True, max_length=200)
    channel = serializers.ChoiceField(choices=CHANNELS, required=False, help_text="Derived when not given.")
    revenue_paise = StrictIntegerField(required=False, allow_null=True, min_value=0)
    occurred_at = serializers.DateTimeField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("customer_id") and not attrs.get("anonymous_id"):
            raise serializers.ValidationError({"customer_id": "Give customer_id or anonymous_id (or both)."})
        return attrs


class SpendRecord(Record):
    channel = serializers.ChoiceField(choices=CHANNELS)
    campaign = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    date = serializers.DateField()
    amount_paise = StrictIntegerField(min_value=0)


KINDS: dict[str, type[Record]] = {
    "customers": CustomerRecord,
    "products": ProductRecord,
    "orders": OrderRecord,
    "payments": PaymentRecord,
    "refunds": RefundRecord,
    "events": EventRecord,
    "spend": SpendRecord,
}


def first_error(detail: Any, prefix: str = "") -> tuple[str, str]:
    """(field path, reason) of the first problem in a DRF error structure: items.2.sku etc."""
    if isinstance(detail, dict):
        name, value = next(iter(detail.items()))
        field = "record" if name == "non_field_errors" else name
        return first_error(value, f"{prefix}{field}.")
    if isinstance(detail, list):
        for index, value in enumerate(detail):
            if value:
                return first_error(value, f"{prefix}{index}." if isinstance(value, dict) else prefix)
    return prefix.rstrip("."), str(detail)
