"""A tenant's business data (tenant schema): customers, products, orders, payments, refunds,
website events and marketing spend. Every engine computes from these rows only.

Money is integer paise. Records that come from outside carry the sender's id (``external_id``,
``event_id``, Razorpay ids), unique, so sending a record again updates it instead of adding a copy.
Indexes are chosen for the engines' queries and measured in benchmarks/ingest_analytics.py
(docs/intelligence.md explains each choice).
"""

from __future__ import annotations

from typing import ClassVar

from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.utils import timezone


class Customer(models.Model):
    external_id = models.CharField(max_length=128, unique=True)
    email = models.CharField(max_length=254, blank=True, db_index=True)
    name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    signed_up_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name or self.email or self.external_id


class Product(models.Model):
    sku = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=300)
    category = models.CharField(max_length=120, blank=True, db_index=True)
    price_paise = models.PositiveBigIntegerField(null=True, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class Order(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", "Created"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled"
        REFUNDED = "refunded", "Refunded"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"

    external_id = models.CharField(max_length=128, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CREATED)
    currency = models.CharField(max_length=3, default="INR")
    subtotal_paise = models.BigIntegerField(default=0)
    discount_paise = models.BigIntegerField(default=0)
    tax_paise = models.BigIntegerField(default=0)
    shipping_paise = models.BigIntegerField(default=0)
    total_paise = models.BigIntegerField()
    razorpay_order_id = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["customer", "created_at"]),
            models.Index(fields=["created_at"]),
            models.Index(fields=["paid_at"], condition=models.Q(paid_at__isnull=False), name="order_paid_at_idx"),
        ]

    def __str__(self) -> str:
        return self.external_id


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=300, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    unit_price_paise = models.BigIntegerField()
    total_paise = models.BigIntegerField()

    class Meta:
        indexes: ClassVar = [models.Index(fields=["product"])]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"


class Payment(models.Model):
    """A payment attempt as Razorpay reports it (webhook or import)."""

    class Status(models.TextChoices):
        CREATED = "created", "Created"
        AUTHORIZED = "authorized", "Authorised"
        CAPTURED = "captured", "Captured"
        FAILED = "failed", "Failed"
        REFUNDED = "refunded", "Refunded"

    razorpay_payment_id = models.CharField(max_length=64, unique=True)
    razorpay_order_id = models.CharField(max_length=64, blank=True, db_index=True)
    order = models.ForeignKey(Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="payments")
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices)
    method = models.CharField(max_length=20, blank=True)
    bank = models.CharField(max_length=40, blank=True)
    wallet = models.CharField(max_length=40, blank=True)
    card_network = models.CharField(max_length=40, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_reason = models.CharField(max_length=120, blank=True)
    error_description = models.CharField(max_length=500, blank=True)
    amount_paise = models.BigIntegerField()
    fee_paise = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="INR")
    created_at = models.DateTimeField()
    captured_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Razorpay's own timestamp of the newest event applied, so an older event arriving late never
    # overwrites a newer state.
    state_as_of = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["created_at"]), models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return self.razorpay_payment_id


class Refund(models.Model):
    razorpay_refund_id = models.CharField(max_length=64, unique=True)
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="refunds", null=True, blank=True)
    razorpay_payment_id = models.CharField(max_length=64, db_index=True)
    amount_paise = models.BigIntegerField()
    status = models.CharField(max_length=20, default="processed")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.razorpay_refund_id


class Event(models.Model):
    """A website or product event. Events arrive roughly in time order and are read by time
    range, so ``occurred_at`` has a BRIN index (tiny, cheap to maintain under heavy inserts);
    funnels and retention read by (name, time) and (customer, time)."""

    event_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=64)
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    anonymous_id = models.CharField(max_length=64, blank=True)
    # Who did it, for counting visitors: the anonymous id, else "c:" + the customer's external id.
    visitor_id = models.CharField(max_length=140)
    session_id = models.CharField(max_length=64, blank=True)
    properties = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=2000, blank=True)
    path = models.CharField(max_length=500, blank=True)
    referrer = models.CharField(max_length=2000, blank=True)
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=32, blank=True)
    revenue_paise = models.BigIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [
            # autosummarize: new block ranges join the index as they fill, not only at the next
            # VACUUM (an unsummarised range is read whole on every time-range query).
            BrinIndex(fields=["occurred_at"], name="event_occurred_brin", autosummarize=True),
            models.Index(fields=["name", "occurred_at"], name="event_name_time_idx"),
            models.Index(fields=["customer", "occurred_at"], name="event_customer_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.occurred_at:%Y-%m-%d %H:%M}"


class Visit(models.Model):
    """One visit (session): kept beside the events at ingestion so visitor and session counts read
    one row per visit instead of every event (the 90-day KPIs read ~110k visits, not ~400k
    events). An event without a session id belongs to its visitor's visit of that UTC day."""

    session_key = models.CharField(max_length=160, unique=True)
    visitor_id = models.CharField(max_length=140)
    started_at = models.DateTimeField()
    channel = models.CharField(max_length=32, blank=True)
    source = models.CharField(max_length=200, blank=True, help_text="UTM source, else referrer host, else (direct).")

    class Meta:
        indexes: ClassVar = [
            # Index-only scans for "distinct visitors in a range" (visitor_id included).
            models.Index(fields=["started_at"], include=["visitor_id"], name="visit_started_visitor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.visitor_id} {self.started_at:%Y-%m-%d %H:%M}"


class MarketingSpend(models.Model):
    channel = models.CharField(max_length=32)
    campaign = models.CharField(max_length=200, blank=True, default="")
    date = models.DateField()
    amount_paise = models.BigIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["channel", "campaign", "date"], name="spend_channel_campaign_date_unique")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.date} {self.amount_paise}"


class ImportJob(models.Model):
    """A CSV import, run by a Celery task, with progress and a per-row error report."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=16)
    filename = models.CharField(max_length=255)
    data = models.BinaryField(help_text="The uploaded file, kept until the import is done.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{row, field, reason}] (first 10,000)")
    failure = models.CharField(max_length=500, blank=True)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"Import {self.pk} {self.kind} {self.status}"

    @property
    def progress(self) -> float:
        return round(self.processed_rows / self.total_rows, 4) if self.total_rows else 0.0


class DataSettings(models.Model):
    """The workspace's ingestion settings (one row): the tracking snippet's public write-only
    site key and allowed origins, and the secret of its own Razorpay account's webhooks."""

    tracking_key = models.CharField(max_length=64, unique=True)
    tracking_origins = models.JSONField(default=list, blank=True)
    razorpay_webhook_secret = models.CharField(max_length=200, blank=True)
    webhook_token = models.CharField(
        max_length=64, unique=True, help_text="Unguessable part of this workspace's webhook URL."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "data settings"

    def __str__(self) -> str:
        return "Data settings"


class RazorpayEvent(models.Model):
    """A webhook event from the workspace's own Razorpay account, kept once per event id (the
    unique key is what makes a redelivery a no-op, in the same transaction as its effect)."""

    event_id = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=64)
    entity_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(help_text="Razorpay's time for the event.")
    received_at = models.DateTimeField(default=timezone.now)
    payload = models.JSONField()

    class Meta:
        indexes: ClassVar = [models.Index(fields=["entity_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id}"


class SegmentSnapshot(models.Model):
    """A customer's RFM scores and segment on one day (daily snapshots show movement)."""

    day = models.DateField()
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    recency_days = models.PositiveIntegerField()
    frequency = models.PositiveIntegerField()
    monetary_paise = models.BigIntegerField()
    r_score = models.PositiveSmallIntegerField()
    f_score = models.PositiveSmallIntegerField()
    m_score = models.PositiveSmallIntegerField()
    segment = models.CharField(max_length=32)
    cluster = models.SmallIntegerField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["day", "customer"], name="segment_snapshot_day_customer_unique")
        ]
        indexes: ClassVar = [models.Index(fields=["day", "segment"])]

    def __str__(self) -> str:
        return f"{self.day} {self.customer_id} {self.segment}"


class Insight(models.Model):
    """Something the engines noticed and stored (e.g. a payment-failure spike); alert delivery
    comes with the operations issue."""

    class Kind(models.TextChoices):
        PAYMENT_FAILURE_SPIKE = "payment_failure_spike", "Payment failure spike"

    kind = models.CharField(max_length=40, choices=Kind.choices)
    key = models.CharField(max_length=100, help_text="Deduplication key, e.g. the hour it covers.")
    title = models.CharField(max_length=300)
    detail = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at",)
        constraints: ClassVar = [models.UniqueConstraint(fields=["kind", "key"], name="insight_kind_key_unique")]

    def __str__(self) -> str:
        return self.title
