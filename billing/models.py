"""Platform billing of tenants (public schema). Money is integer paise everywhere, never floats."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

# What a plan version fixes (copied into each new version); code and version identify it.
PLAN_TERMS = (
    "name",
    "price_monthly_paise",
    "price_yearly_paise",
    "ai_requests_per_month",
    "seats",
    "api_rate_per_minute",
    "api_burst",
    "rate_limit_bypass",
    "features",
    "sort_order",
)


class Plan(models.Model):
    """One version of a plan. Versions are immutable once published: a price or entitlement change
    publishes a new version (billing.services.plan_publish), so subscribers can keep theirs."""

    code = models.SlugField(max_length=32)
    version = models.PositiveIntegerField(default=1)
    name = models.CharField(max_length=50)
    price_monthly_paise = models.PositiveBigIntegerField()
    price_yearly_paise = models.PositiveBigIntegerField()
    ai_requests_per_month = models.PositiveIntegerField()
    seats = models.PositiveIntegerField()
    api_rate_per_minute = models.PositiveIntegerField()
    api_burst = models.PositiveIntegerField()
    rate_limit_bypass = models.BooleanField(default=False)
    features = models.JSONField(default=list, blank=True)
    is_current = models.BooleanField(default=True, help_text="The version new subscribers get.")
    sort_order = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("sort_order", "code", "-version")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["code", "version"], name="plan_code_version_unique"),
            models.UniqueConstraint(fields=["code"], condition=Q(is_current=True), name="plan_one_current_version"),
            models.CheckConstraint(
                condition=Q(api_rate_per_minute__gte=1, api_rate_per_minute__lte=60_000_000, api_burst__gte=1),
                name="plan_rate_limits_in_range",
            ),
            models.CheckConstraint(condition=Q(seats__gte=1), name="plan_at_least_one_seat"),
            models.CheckConstraint(
                condition=Q(price_yearly_paise__lte=F("price_monthly_paise") * 12),
                name="plan_yearly_not_above_12_months",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Interval(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    YEARLY = "yearly", "Yearly"


class Subscription(models.Model):
    """A tenant's subscription: one per tenant, created with the trial at sign-up.

    ``plan`` is the plan *version* the tenant bought; a later price change publishes a new version
    and this one stays. Razorpay is the source of truth once the tenant has paid: its subscription
    entity (from a webhook or a fetch) is applied by ``billing.services.subscription_apply`` in order
    of the event's time, not of arrival (``state_as_of``/``state_rank``).
    """

    class Status(models.TextChoices):
        TRIALING = "trialing", "Trial"
        CREATED = "created", "Awaiting payment"  # Razorpay subscription made, not yet authorised
        AUTHENTICATED = "authenticated", "Authorised"  # mandate set up; first charge at trial end
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Payment failed"  # Razorpay "pending": retrying, grace period runs
        HALTED = "halted", "Halted"  # Razorpay gave up retrying
        PAUSED = "paused", "Paused"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"
        EXPIRED = "expired", "Trial ended"

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.PROTECT, related_name="subscription")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    interval = models.CharField(max_length=8, choices=Interval.choices, default=Interval.MONTHLY)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TRIALING)
    trial_ends_at = models.DateTimeField(null=True, blank=True)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    past_due_since = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    razorpay_customer_id = models.CharField(max_length=40, blank=True)
    razorpay_subscription_id = models.CharField(max_length=40, null=True, blank=True, unique=True)
    checkout_plan_id = models.CharField(max_length=40, blank=True, help_text="Razorpay plan of the checkout.")
    razorpay_short_url = models.URLField(blank=True, help_text="Razorpay's page to pay or change the card.")
    # Ordering of Razorpay state: the newest event's time wins, then the later lifecycle stage.
    state_as_of = models.DateTimeField(null=True, blank=True)
    state_rank = models.PositiveSmallIntegerField(default=0)
    # A plan change we made; a webhook stamped earlier must not bring the old plan back.
    plan_changed_at = models.DateTimeField(null=True, blank=True)
    scheduled_plan = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="Takes over at period end."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.plan} {self.interval} ({self.status})"


class SubscriptionChange(models.Model):
    """Audit trail: every change of a subscription's plan or status, with what caused it."""

    class Source(models.TextChoices):
        TRIAL = "trial", "Trial start"
        CHECKOUT = "checkout", "Checkout"
        WEBHOOK = "webhook", "Razorpay webhook"
        API = "api", "Tenant (web or API)"
        STAFF = "staff", "Platform staff"
        SYSTEM = "system", "System"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=16, choices=Source.choices)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    from_plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    to_interval = models.CharField(max_length=8, choices=Interval.choices, default=Interval.MONTHLY)
    event_id = models.CharField(max_length=64, blank=True)
    actor_email = models.CharField(max_length=254, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ("-at", "-id")

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status} ({self.source})"


class RazorpayPlan(models.Model):
    """The Razorpay plan created for one of our plan versions and an interval (made on first use)."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="razorpay_plans")
    interval = models.CharField(max_length=8, choices=Interval.choices)
    razorpay_plan_id = models.CharField(max_length=40, unique=True)
    discount_paise = models.PositiveBigIntegerField(default=0, help_text="Coupon discount per period, before GST.")
    amount_paise = models.PositiveBigIntegerField(help_text="Charged per period, GST included.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["plan", "interval", "discount_paise"], name="razorpay_plan_per_version_interval_discount"
            )
        ]

    def __str__(self) -> str:
        return f"{self.razorpay_plan_id} ({self.plan} {self.interval})"


class WebhookEvent(models.Model):
    """Every webhook Razorpay sent to the platform, verified, stored before it is acted on.

    The unique ``event_id`` deduplicates redeliveries; ``processed_at`` is set in the same
    transaction as the event's effect, under a row lock, so an event takes effect exactly once.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored (not an event we act on)"
        FAILED = "failed", "Failed"

    event_id = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=64)
    created_at = models.DateTimeField(help_text="When Razorpay says the event happened.")
    received_at = models.DateTimeField(default=timezone.now)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_events"
    )

    class Meta:
        ordering = ("-received_at",)
        indexes: ClassVar = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id}"


class Payment(models.Model):
    """A Razorpay payment on the platform's account (subscription charges and authorisations)."""

    razorpay_payment_id = models.CharField(max_length=40, unique=True)
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    tenant = models.ForeignKey("tenants.Tenant", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount_paise = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3, default="INR")
    status = models.CharField(max_length=16)
    method = models.CharField(max_length=24, blank=True)
    razorpay_invoice_id = models.CharField(max_length=40, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_reason = models.CharField(max_length=200, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.razorpay_payment_id} {self.amount_paise} {self.status}"


class BillingProfile(models.Model):
    """Who the invoices are made out to (GST): legal name, GSTIN, address and state."""

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="billing_profile")
    legal_name = models.CharField(max_length=200, blank=True)
    gstin = models.CharField(max_length=15, blank=True, help_text="GST registration (15 characters); empty: B2C.")
    state_code = models.CharField(max_length=2, blank=True, help_text="GST state code of the billing address.")
    address = models.TextField(max_length=500, blank=True)
    billing_email = models.EmailField(blank=True, help_text="Invoices go here; empty: the owners.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.legal_name or str(self.tenant_id)


class InvoiceSequence(models.Model):
    """The last invoice number issued in an Indian financial year (April-March). Locked and bumped
    in the transaction that inserts the invoice, so numbers have no gaps."""

    financial_year = models.CharField(max_length=7, primary_key=True, help_text="For example 2026-27.")
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.financial_year}: {self.last_number}"


class Invoice(models.Model):
    """A GST tax invoice for one captured subscription payment. Immutable once issued; the PDF is
    rendered from these fields, which snapshot seller and buyer as they were at issue."""

    number = models.CharField(max_length=16, unique=True)
    financial_year = models.CharField(max_length=7)
    sequence = models.PositiveIntegerField()
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="invoices")
    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="invoices")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="invoice")
    issued_at = models.DateTimeField()
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    seller = models.JSONField(help_text="Name, GSTIN, address and state code of the seller at issue.")
    buyer = models.JSONField(help_text="Legal name, GSTIN, address, state code and email of the buyer at issue.")
    place_of_supply = models.CharField(max_length=2)
    sac_code = models.CharField(max_length=8)
    lines = models.JSONField(help_text='[{"description", "amount_paise"}], before tax.')
    taxable_paise = models.PositiveBigIntegerField()
    cgst_paise = models.PositiveBigIntegerField(default=0)
    sgst_paise = models.PositiveBigIntegerField(default=0)
    igst_paise = models.PositiveBigIntegerField(default=0)
    total_paise = models.PositiveBigIntegerField()
    credit_applied_paise = models.PositiveBigIntegerField(
        default=0, help_text="Account credit applied (refunded to the payment method)."
    )
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-issued_at", "-sequence")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["financial_year", "sequence"], name="invoice_sequence_per_year"),
            models.CheckConstraint(
                condition=Q(total_paise=F("taxable_paise") + F("cgst_paise") + F("sgst_paise") + F("igst_paise")),
                name="invoice_total_is_taxable_plus_gst",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["tenant", "-issued_at"])]

    def __str__(self) -> str:
        return self.number


class Adjustment(models.Model):
    """A one-off charge added to a subscription's next payment (the proration of an upgrade),
    collected by a Razorpay add-on and printed as its own line on the invoice that collects it."""

    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="adjustments")
    description = models.CharField(max_length=200)
    taxable_paise = models.PositiveBigIntegerField()
    gross_paise = models.PositiveBigIntegerField(help_text="What Razorpay collects: taxable plus GST.")
    razorpay_addon_id = models.CharField(max_length=40, unique=True)
    invoice = models.ForeignKey("Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="adjustments")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.description} ({self.taxable_paise} paise)"


class Coupon(models.Model):
    """A discount code. Redemption is one conditional UPDATE of ``times_redeemed`` (see
    billing.services.coupons), so concurrent redemptions never pass ``max_redemptions``."""

    class Kind(models.TextChoices):
        PERCENT = "percent", "Percentage off"
        FIXED = "fixed", "Fixed amount off"

    class Duration(models.TextChoices):
        ONCE = "once", "First payment only"
        REPEATING = "repeating", "The first N months"
        FOREVER = "forever", "Every payment"

    code = models.CharField(max_length=32, unique=True, help_text="Upper case; customers may type any case.")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    percent_off = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    amount_off_paise = models.PositiveBigIntegerField(null=True, blank=True)
    duration = models.CharField(max_length=10, choices=Duration.choices, default=Duration.ONCE)
    duration_months = models.PositiveSmallIntegerField(null=True, blank=True, help_text="For 'repeating'.")
    max_redemptions = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: unlimited.")
    times_redeemed = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    plans = models.JSONField(default=list, blank=True, help_text="Plan codes it applies to; empty: every plan.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(
                    Q(kind="percent", percent_off__gt=0, percent_off__lte=100, amount_off_paise__isnull=True)
                    | Q(kind="fixed", amount_off_paise__gt=0, percent_off__isnull=True)
                ),
                name="coupon_amount_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(max_redemptions__isnull=True) | Q(times_redeemed__lte=F("max_redemptions")),
                name="coupon_not_over_redeemed",
            ),
            models.CheckConstraint(
                condition=~Q(duration="repeating") | Q(duration_months__gte=1),
                name="coupon_repeating_has_months",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class CouponRedemption(models.Model):
    """A tenant's use of a coupon (once per tenant), and how many payments it has discounted."""

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="coupon_redemptions")
    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="coupon_redemptions")
    discount_paise = models.PositiveBigIntegerField(help_text="Off each discounted payment, before GST.")
    payments_discounted = models.PositiveSmallIntegerField(default=0)
    redeemed_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True, help_text="A plan change ends the discount.")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["coupon", "tenant"], name="coupon_once_per_tenant"),
        ]

    def __str__(self) -> str:
        return f"{self.coupon_id} by {self.tenant_id}"


class Refund(models.Model):
    """Money given back on a payment: by staff from the admin, or account credit being applied.

    ``idempotency_key`` is unique: a double click or a retried task refunds once."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_paise = models.PositiveBigIntegerField()
    idempotency_key = models.CharField(max_length=64, unique=True)
    razorpay_refund_id = models.CharField(max_length=40, null=True, blank=True, unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        constraints: ClassVar = [models.CheckConstraint(condition=Q(amount_paise__gte=100), name="refund_at_least_1")]

    def __str__(self) -> str:
        return f"{self.amount_paise} on {self.payment_id} ({self.status})"


class ReferralCode(models.Model):
    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="referral_code")
    code = models.CharField(max_length=12, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.code


class Referral(models.Model):
    """Tenant ``referred`` signed up with ``referrer``'s code; rewarded once, at its first paid invoice."""

    referrer = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="referrals_made")
    referred = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="referral")
    code = models.CharField(max_length=12)
    created_at = models.DateTimeField(default=timezone.now)
    rewarded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=~Q(referrer=F("referred")), name="referral_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.referrer_id} -> {self.referred_id}"


class CreditEntry(models.Model):
    """The account-credit ledger: rewards in (positive), credit applied to invoices out (negative).
    A tenant's balance is the sum of its entries."""

    class Kind(models.TextChoices):
        REFERRAL_REWARD = "referral_reward", "Referral reward"
        APPLIED = "applied", "Applied to an invoice"
        REVERSAL = "reversal", "Applied credit given back (its refund failed)"
        STAFF = "staff", "Staff adjustment"

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="credit_entries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount_paise = models.BigIntegerField()
    referral = models.OneToOneField(
        Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="reward", help_text="Rewarded once."
    )
    invoice = models.ForeignKey("Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="credits")
    refund = models.OneToOneField(Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="credit")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "credit entries"
        ordering = ("-created_at", "-id")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["invoice"], condition=Q(kind="applied"), name="credit_applied_once_per_invoice"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_paise}"


class DunningNotice(models.Model):
    """A payment-failed email of one past-due episode (day 0, 3 or 7), sent once; ``clicked_at``
    records use of its pay-now link, so a recovery can be credited to the email."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="dunning_notices")
    episode_start = models.DateTimeField(help_text="past_due_since of the episode.")
    day = models.PositiveSmallIntegerField()
    token = models.CharField(max_length=43, unique=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["subscription", "episode_start", "day"], name="dunning_notice_once")
        ]

    def __str__(self) -> str:
        return f"day {self.day} for {self.subscription_id}"


class DunningRecovery(models.Model):
    """A past-due episode that ended in payment, and what brought the money back."""

    class Channel(models.TextChoices):
        EMAIL_LINK = "email_link", "Pay-now link in a dunning email"
        AUTOMATIC_RETRY = "automatic_retry", "Razorpay's automatic retry"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="recoveries")
    episode_start = models.DateTimeField()
    recovered_at = models.DateTimeField()
    channel = models.CharField(max_length=20, choices=Channel.choices)
    notices_sent = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name_plural = "dunning recoveries"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["subscription", "episode_start"], name="dunning_recovery_once")
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} recovered by {self.channel}"
