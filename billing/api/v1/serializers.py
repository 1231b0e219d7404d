"""Plans and entitlements as the API shows them (money in integer paise)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from billing.gst_states import state_name
from billing.models import PLAN_TERMS, BillingProfile, Interval, Invoice, Payment, Plan, Subscription
from billing.selectors import Entitlements
from billing.services import Checkout
from suresh_ai.api.serializers import CachedFieldsMixin
from suresh_ai.api.views import StrictSerializerMixin


class PlanSerializer(CachedFieldsMixin, serializers.ModelSerializer[Plan]):
    class Meta:
        model = Plan
        fields = ("code", "version", *(term for term in PLAN_TERMS if term != "sort_order"))
        read_only_fields = fields


class EntitlementsSerializer(CachedFieldsMixin, serializers.Serializer[Entitlements]):
    plan_code = serializers.CharField()
    plan_version = serializers.IntegerField()
    plan_name = serializers.CharField()
    ai_requests_per_month = serializers.IntegerField()
    seats = serializers.IntegerField()
    seats_used = serializers.IntegerField(help_text="Members plus pending invitations.")
    api_rate_per_minute = serializers.IntegerField()
    api_burst = serializers.IntegerField()
    rate_limit_bypass = serializers.BooleanField()
    features = serializers.ListField(child=serializers.CharField())


class SubscriptionSerializer(serializers.Serializer[Any]):
    plan = PlanSerializer(help_text="The plan version this workspace is on (kept through price changes).")
    interval = serializers.ChoiceField(choices=Interval.choices)
    status = serializers.ChoiceField(choices=Subscription.Status.choices)
    trial_ends_at = serializers.DateTimeField(allow_null=True)
    current_period_start = serializers.DateTimeField(allow_null=True)
    current_period_end = serializers.DateTimeField(allow_null=True)
    cancel_at_period_end = serializers.BooleanField()
    past_due_since = serializers.DateTimeField(allow_null=True)
    restricted = serializers.BooleanField(help_text="Read-only now: read, export and pay, but not create.")
    restricted_after = serializers.DateTimeField(
        allow_null=True, help_text="When the workspace becomes read-only unless it pays (null: paid up)."
    )


class CheckoutRequestSerializer(StrictSerializerMixin, serializers.Serializer[Checkout]):
    plan = serializers.CharField(max_length=32, help_text="A plan code from /api/v1/billing/plans/.")
    interval = serializers.ChoiceField(choices=Interval.choices, default=Interval.MONTHLY)
    coupon = serializers.CharField(max_length=32, required=False, allow_blank=True, help_text="A coupon code.")


class CheckoutSerializer(serializers.Serializer[Any]):
    key_id = serializers.CharField(help_text="Razorpay key id for Checkout (public).")
    subscription_id = serializers.CharField()
    amount_paise = serializers.IntegerField(help_text="Charged per period, 18% GST included; decided by the server.")
    plan_name = serializers.CharField()
    interval = serializers.CharField()
    prefill_email = serializers.CharField()
    brand_name = serializers.CharField()
    discount_paise = serializers.IntegerField(help_text="Coupon discount per discounted payment, before GST.")
    coupon = serializers.CharField(allow_blank=True)


_RAZORPAY_ID = r"^[A-Za-z0-9_]{1,64}$"


class CheckoutCompleteSerializer(StrictSerializerMixin, serializers.Serializer[Subscription]):
    # What Checkout hands back: Razorpay's ids and a hex HMAC-SHA256. Anything else is refused here;
    # the SDK's signature check cannot even compare non-ASCII text (a TypeError, so a 500).
    razorpay_payment_id = serializers.RegexField(
        _RAZORPAY_ID, error_messages={"invalid": "A Razorpay payment id, like pay_29QQoUBi66xm2f."}
    )
    razorpay_subscription_id = serializers.RegexField(
        _RAZORPAY_ID, error_messages={"invalid": "A Razorpay subscription id, like sub_00000000000001."}
    )
    razorpay_signature = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$", error_messages={"invalid": "The payment signature: 64 hexadecimal characters."}
    )


class BillingProfileSerializer(CachedFieldsMixin, serializers.ModelSerializer[BillingProfile]):
    state_name = serializers.SerializerMethodField()

    class Meta:
        model = BillingProfile
        fields = ("legal_name", "gstin", "state_code", "state_name", "address", "billing_email")
        read_only_fields = fields

    def get_state_name(self, obj: BillingProfile) -> str:
        return state_name(obj.state_code) if obj.state_code else ""


class BillingProfileUpdateSerializer(StrictSerializerMixin, serializers.Serializer[BillingProfile]):
    legal_name = serializers.CharField(max_length=200, allow_blank=True, required=False)
    gstin = serializers.CharField(
        max_length=20, allow_blank=True, required=False, help_text="15-character GSTIN; empty for B2C."
    )
    state_code = serializers.CharField(max_length=2, allow_blank=True, required=False, help_text="GST state code.")
    address = serializers.CharField(max_length=500, allow_blank=True, required=False)
    billing_email = serializers.CharField(max_length=254, allow_blank=True, required=False)


class InvoiceLineSerializer(serializers.Serializer[Any]):
    description = serializers.CharField()
    amount_paise = serializers.IntegerField()


class InvoiceSerializer(CachedFieldsMixin, serializers.ModelSerializer[Invoice]):
    lines = InvoiceLineSerializer(many=True)
    seller = serializers.DictField(child=serializers.CharField(allow_blank=True))
    buyer = serializers.DictField(child=serializers.CharField(allow_blank=True))
    razorpay_payment_id = serializers.CharField(source="payment.razorpay_payment_id")
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = (
            "id",
            "number",
            "financial_year",
            "issued_at",
            "period_start",
            "period_end",
            "seller",
            "buyer",
            "place_of_supply",
            "sac_code",
            "lines",
            "taxable_paise",
            "cgst_paise",
            "sgst_paise",
            "igst_paise",
            "total_paise",
            "razorpay_payment_id",
            "pdf_url",
        )
        read_only_fields = fields

    def get_pdf_url(self, obj: Invoice) -> str:
        return f"/api/v1/billing/invoices/{obj.pk}/pdf/"


class PlanChangeRequestSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    plan = serializers.CharField(max_length=32, help_text="The plan code to move to.")
    interval = serializers.ChoiceField(choices=Interval.choices, required=False, help_text="Defaults to the current.")


class PlanChangeQuoteSerializer(serializers.Serializer[Any]):
    plan_code = serializers.CharField()
    plan_name = serializers.CharField()
    interval = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=["upgrade", "downgrade", "keep"],
        help_text="keep: the current plan again calls off a scheduled downgrade.",
    )
    effective = serializers.ChoiceField(choices=["now", "period_end"])
    effective_at = serializers.DateTimeField()
    proration_taxable_paise = serializers.IntegerField(help_text="Price difference for the rest of this period.")
    proration_gst_paise = serializers.IntegerField()
    proration_total_paise = serializers.IntegerField(help_text="Added to the next payment.")
    remaining_seconds = serializers.IntegerField()
    period_seconds = serializers.IntegerField()
    next_payment_total_paise = serializers.IntegerField(help_text="Next renewal with GST, proration included.")
    current_price_paise = serializers.IntegerField()
    new_price_paise = serializers.IntegerField()


class PlanChangeResultSerializer(serializers.Serializer[Any]):
    quote = PlanChangeQuoteSerializer()
    subscription = SubscriptionSerializer()


class CreditEntrySerializer(serializers.Serializer[Any]):
    kind = serializers.CharField()
    amount_paise = serializers.IntegerField(help_text="Positive: credit earned; negative: credit used.")
    note = serializers.CharField()
    invoice_number = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class ReferralSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    signup_url = serializers.CharField(help_text="Share this link: sign-ups through it are yours.")
    reward_percent = serializers.IntegerField()
    referred = serializers.IntegerField(help_text="Workspaces that signed up with your code.")
    rewarded = serializers.IntegerField(help_text="Of those, how many have paid (each rewards you once).")
    credit_balance_paise = serializers.IntegerField(help_text="Applied to your next invoices.")
    credits = CreditEntrySerializer(many=True)


class PaymentSerializer(CachedFieldsMixin, serializers.ModelSerializer[Payment]):
    class Meta:
        model = Payment
        fields = (
            "id",
            "razorpay_payment_id",
            "amount_paise",
            "currency",
            "status",
            "method",
            "error_code",
            "error_reason",
            "captured_at",
            "created_at",
        )
        read_only_fields = fields
