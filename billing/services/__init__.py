"""Writes for billing. Each function owns its transaction and side effects.

plans: publishing plan versions · subscriptions: trial, checkout, Razorpay state, payments ·
webhooks: receive and process Razorpay events · invoices: GST invoices, their PDF and email.
"""

from billing.services.changes import (
    subscription_cancel,
    subscription_change_plan,
    subscription_change_quote,
    subscription_end_discount,
    subscription_pause,
    subscription_resume,
)
from billing.services.coupons import coupon_discount, coupon_for_code, coupon_redeem, redemption_in_force
from billing.services.dunning import dunning_click, dunning_past_due_ids, dunning_recovery_record, dunning_send_due
from billing.services.invoices import (
    financial_year,
    invoice_email_send,
    invoice_issue_for_payment,
    invoice_number,
    invoice_pdf,
    rupees,
    taxable_from_gross,
)
from billing.services.plans import plan_publish
from billing.services.profile import billing_profile_update
from billing.services.referrals import (
    credit_apply_to_invoice,
    credit_balance,
    credit_refund_send,
    referral_code_for,
    referral_record,
    referral_reward_for_invoice,
)
from billing.services.refunds import refund_create, refund_status_apply, refundable_paise
from billing.services.subscriptions import (
    FETCH_CLOCK_SKEW,
    RAZORPAY_STATUS,
    Checkout,
    checkout_complete,
    checkout_start,
    payment_record,
    payment_settle,
    restricted_after_for,
    subscription_apply,
    trial_start,
)
from billing.services.webhooks import (
    WebhookProcessingError,
    WebhookReceipt,
    webhook_process,
    webhook_receive,
)

__all__ = [
    "FETCH_CLOCK_SKEW",
    "RAZORPAY_STATUS",
    "Checkout",
    "WebhookProcessingError",
    "WebhookReceipt",
    "billing_profile_update",
    "checkout_complete",
    "checkout_start",
    "coupon_discount",
    "coupon_for_code",
    "coupon_redeem",
    "credit_apply_to_invoice",
    "credit_balance",
    "credit_refund_send",
    "dunning_click",
    "dunning_past_due_ids",
    "dunning_recovery_record",
    "dunning_send_due",
    "financial_year",
    "invoice_email_send",
    "invoice_issue_for_payment",
    "invoice_number",
    "invoice_pdf",
    "payment_record",
    "payment_settle",
    "plan_publish",
    "redemption_in_force",
    "referral_code_for",
    "referral_record",
    "referral_reward_for_invoice",
    "refund_create",
    "refund_status_apply",
    "refundable_paise",
    "restricted_after_for",
    "rupees",
    "subscription_apply",
    "subscription_cancel",
    "subscription_change_plan",
    "subscription_change_quote",
    "subscription_end_discount",
    "subscription_pause",
    "subscription_resume",
    "taxable_from_gross",
    "trial_start",
    "webhook_process",
    "webhook_receive",
]
