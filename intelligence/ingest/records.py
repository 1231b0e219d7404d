"""What a valid record of each kind looks like (DRF serializers, one record at a time, so each
invalid record is reported with its own index, field and reason while the valid ones land)."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import pydantic
from rest_framework import serializers

from intelligence.ingest.channels import CHANNELS
from intelligence.models import Order, Payment
from suresh_ai.api.serializers import MAX_PAISE, IdentifierField, StrictIntegerField, whole_number_as_text
from suresh_ai.api.views import StrictSerializerMixin

MAX_BATCH = 1000


class Record(StrictSerializerMixin, serializers.Serializer[Any]):
    """Base: unknown fields are refused (a typo must not silently drop data)."""


class CustomerRecord(Record):
    external_id = IdentifierField(max_length=128)
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
    attributes = serializers.DictField(required=False)
    signed_up_at = serializers.DateTimeField(required=False, allow_null=True)


class ProductRecord(Record):
    sku = IdentifierField(max_length=64)
    name = serializers.CharField(max_length=300)
    category = serializers.CharField(required=False, allow_blank=True, max_length=120)
    price_paise = StrictIntegerField(required=False, allow_null=True, min_value=0, max_value=MAX_PAISE)
    attributes = serializers.DictField(required=False)


class OrderItemRecord(Record):
    sku = IdentifierField(max_length=64)
    name = serializers.CharField(required=False, allow_blank=True, max_length=300)
    quantity = StrictIntegerField(min_value=1, max_value=100_000, default=1)
    unit_price_paise = StrictIntegerField(min_value=0, max_value=MAX_PAISE)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The line's total is stored too: 100,000 x 10^15 would not fit in a bigint.
        if attrs["quantity"] * attrs["unit_price_paise"] > MAX_PAISE:
            raise serializers.ValidationError(
                {"unit_price_paise": f"quantity x unit_price_paise must be at most {MAX_PAISE}."}
            )
        return attrs


class OrderRecord(Record):
    external_id = IdentifierField(max_length=128)
    customer_id = IdentifierField(max_length=128, help_text="The customer's external id.")
    status = serializers.ChoiceField(choices=Order.Status.choices, default=Order.Status.CREATED)
    currency = serializers.RegexField(r"^[A-Z]{3}$", default="INR")
    total_paise = StrictIntegerField(min_value=0, max_value=MAX_PAISE)
    subtotal_paise = StrictIntegerField(required=False, min_value=0, max_value=MAX_PAISE)
    discount_paise = StrictIntegerField(required=False, min_value=0, max_value=MAX_PAISE, default=0)
    tax_paise = StrictIntegerField(required=False, min_value=0, max_value=MAX_PAISE, default=0)
    shipping_paise = StrictIntegerField(required=False, min_value=0, max_value=MAX_PAISE, default=0)
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
    order_id = IdentifierField(required=False, allow_blank=True, max_length=128, help_text="Order external id.")
    customer_id = IdentifierField(required=False, allow_blank=True, max_length=128)
    status = serializers.ChoiceField(choices=Payment.Status.choices)
    method = serializers.CharField(required=False, allow_blank=True, max_length=20)
    bank = serializers.CharField(required=False, allow_blank=True, max_length=40)
    wallet = serializers.CharField(required=False, allow_blank=True, max_length=40)
    card_network = serializers.CharField(required=False, allow_blank=True, max_length=40)
    error_code = serializers.CharField(required=False, allow_blank=True, max_length=64)
    error_reason = serializers.CharField(required=False, allow_blank=True, max_length=120)
    error_description = serializers.CharField(required=False, allow_blank=True, max_length=500)
    amount_paise = StrictIntegerField(min_value=0, max_value=MAX_PAISE)
    fee_paise = StrictIntegerField(required=False, min_value=0, max_value=MAX_PAISE, default=0)
    currency = serializers.RegexField(r"^[A-Z]{3}$", default="INR")
    created_at = serializers.DateTimeField()
    captured_at = serializers.DateTimeField(required=False, allow_null=True)


class RefundRecord(Record):
    razorpay_refund_id = serializers.CharField(max_length=64)
    razorpay_payment_id = serializers.CharField(max_length=64)
    amount_paise = StrictIntegerField(min_value=1, max_value=MAX_PAISE)
    status = serializers.CharField(required=False, max_length=20, default="processed")
    created_at = serializers.DateTimeField()


def _url(value: str) -> None:
    parts = urlsplit(value)
    if value and (parts.scheme not in ("http", "https") or not parts.netloc):
        raise serializers.ValidationError("A full http(s) address.")


class EventRecord(Record):
    event_id = IdentifierField(max_length=64)
    name = serializers.RegexField(r"^[A-Za-z0-9_.:\- ]{1,64}$", help_text="e.g. page_view, sign_up, add_to_cart.")
    customer_id = IdentifierField(required=False, allow_blank=True, max_length=128)
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
    revenue_paise = StrictIntegerField(required=False, allow_null=True, min_value=0, max_value=MAX_PAISE)
    occurred_at = serializers.DateTimeField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("customer_id") and not attrs.get("anonymous_id"):
            raise serializers.ValidationError({"customer_id": "Give customer_id or anonymous_id (or both)."})
        return attrs


class SpendRecord(Record):
    channel = serializers.ChoiceField(choices=CHANNELS)
    campaign = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    date = serializers.DateField()
    amount_paise = StrictIntegerField(min_value=0, max_value=MAX_PAISE)


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
        if name == "non_field_errors":  # about the whole record, or the whole nested field (items)
            return first_error(value, prefix or "record.")
        return first_error(value, f"{prefix}{name}.")
    if isinstance(detail, list):
        for index, value in enumerate(detail):
            if value:
                return first_error(value, f"{prefix}{index}." if isinstance(value, dict) else prefix)
    return prefix.rstrip("."), str(detail)


# --- The events fast path ----------------------------------------------------------------------
# Events are the high-volume kind (tracking, imports, 1,000-record batches at thousands a second):
# validating them with DRF took 250 ms per 1,000 (60% of a batch). pydantic (v2, its core in Rust;
# already here as the groq/openai SDKs' dependency) checks the same rules in a few ms.


EVENT_NAME = re.compile(r"^[A-Za-z0-9_.:\- ]{1,64}$")


# Ids may be whole numbers, taken as their decimal text (as IdentifierField does on the DRF path).
Identifier = pydantic.BeforeValidator(whole_number_as_text)


class EventIn(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", str_strip_whitespace=False)

    event_id: Annotated[str, Identifier, pydantic.StringConstraints(min_length=1, max_length=64)]
    name: str
    customer_id: Annotated[str, Identifier, pydantic.StringConstraints(max_length=128)] = ""
    anonymous_id: Annotated[str, Identifier, pydantic.StringConstraints(max_length=64)] = ""
    session_id: Annotated[str, Identifier, pydantic.StringConstraints(max_length=64)] = ""
    properties: dict[str, Any] = pydantic.Field(default_factory=dict)
    url: Annotated[str, pydantic.StringConstraints(max_length=2000)] = ""
    referrer: Annotated[str, pydantic.StringConstraints(max_length=2000)] = ""
    utm_source: Annotated[str, pydantic.StringConstraints(max_length=100)] = ""
    utm_medium: Annotated[str, pydantic.StringConstraints(max_length=100)] = ""
    utm_campaign: Annotated[str, pydantic.StringConstraints(max_length=200)] = ""
    utm_term: Annotated[str, pydantic.StringConstraints(max_length=200)] = ""
    utm_content: Annotated[str, pydantic.StringConstraints(max_length=200)] = ""
    channel: Literal[CHANNELS] | None = None  # type: ignore[valid-type]
    revenue_paise: pydantic.StrictInt | None = pydantic.Field(default=None, ge=0, le=MAX_PAISE)
    occurred_at: datetime

    @pydantic.field_validator("name")
    @classmethod
    def _event_name(cls, value: str) -> str:
        if not EVENT_NAME.match(value):
            raise ValueError("1-64 letters, digits, spaces or _ . : - (e.g. page_view, add_to_cart).")
        return value

    @pydantic.field_validator("url")
    @classmethod
    def _full_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if value and (parts.scheme not in ("http", "https") or not parts.netloc):
            raise ValueError("A full http(s) address.")
        return value

    @pydantic.field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if not 2000 <= value.year <= 2100:
            raise ValueError("A time between the years 2000 and 2100.")
        return value if value.tzinfo else value.replace(tzinfo=UTC)  # as DRF does with USE_TZ and UTC


NUL_REASON = "Null characters are not allowed."
NOT_FINITE_REASON = "A number too large to store (or not a number)."


def unstorable(value: Any, path: str = "") -> tuple[str, str] | None:
    """(path, reason) of the first value PostgreSQL cannot store, anywhere in a record: text holding
    a NUL character, or a number that JSON cannot write (1e999 reads as infinity); else None."""
    if isinstance(value, str):
        return (path or "record", NUL_REASON) if "\x00" in value else None
    if isinstance(value, float):
        return None if math.isfinite(value) else (path or "record", NOT_FINITE_REASON)
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}{'.' if path else ''}{key}"
            found = unstorable(str(key), where) or unstorable(item, where)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = unstorable(item, f"{path}{'.' if path else ''}{index}")
            if found:
                return found
    return None


PYDANTIC_MESSAGES = {
    "string_type": "Not a valid string.",
    "dict_type": "Expected a dictionary of items.",
}


def event_validate(record: Any) -> dict[str, Any]:
    """One event record, as a dict of the fields it gave; raises ``RecordInvalid``."""
    if (problem := unstorable(record)) is not None:
        raise RecordInvalid(*problem)
    try:
        event = EventIn.model_validate(record)
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "record"
        # The same words as the DRF path of the other kinds (and the docs) for the common types.
        message = PYDANTIC_MESSAGES.get(error["type"]) or str(error["msg"]).removeprefix("Value error, ")
        raise RecordInvalid(field, message) from exc
    if not event.customer_id and not event.anonymous_id:
        raise RecordInvalid("customer_id", "Give customer_id or anonymous_id (or both).")
    data = event.model_dump(exclude_unset=True)
    if event.channel is None:
        data.pop("channel", None)
    return data


class RecordInvalid(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason
