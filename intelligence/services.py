"""Writes of a tenant's business data (call inside the tenant's schema).

``records_ingest`` takes up to 1,000 records of one kind: each is validated on its own (an invalid
record is reported with its index, field and reason; the valid ones land), then all valid ones
are written in one transaction with idempotent upserts keyed by the sender's ids, so sending the
same batch again changes nothing.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework import serializers

from intelligence.ingest.channels import channel_of
from intelligence.ingest.records import KINDS, MAX_BATCH, RecordInvalid, event_validate, first_error, unstorable
from intelligence.ingest.statistics import statistics_refresh
from intelligence.ingest.upsert import Written, insert_new, seen_widen, upsert, visits_record
from intelligence.models import (
    Customer,
    DataSettings,
    Event,
    ImportJob,
    MarketingSpend,
    Order,
    OrderItem,
    Payment,
    Product,
    Refund,
)
from suresh_ai.errors import ValidationFailed
from suresh_ai.origins import normalise_origin
from suresh_ai.queueing import QueueUnavailable, task_enqueue

logger = logging.getLogger(__name__)


@dataclass
class IngestResult:
    kind: str
    received: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, written: Written) -> None:
        self.created += written.created
        self.updated += written.updated
        self.unchanged += written.unchanged


def _validated(kind: str, records: list[Any]) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    valid: list[tuple[int, dict[str, Any]]] = []
    errors: list[dict[str, Any]] = []
    if kind == "events":  # the high-volume kind: pydantic (see ingest/records.py)
        for index, record in enumerate(records):
            try:
                valid.append((index, event_validate(record)))
            except RecordInvalid as exc:
                errors.append({"index": index, "field": exc.field, "reason": exc.reason})
        return valid, errors
    schema = KINDS[kind]()
    for index, record in enumerate(records):
        if (problem := unstorable(record)) is not None:
            errors.append({"index": index, "field": problem[0], "reason": problem[1]})
            continue
        try:
            valid.append((index, schema.run_validation(record)))
        except serializers.ValidationError as exc:
            name, reason = first_error(exc.detail)
            errors.append({"index": index, "field": name or "record", "reason": reason})
    return valid, errors


def records_ingest(*, kind: str, records: Any) -> IngestResult:
    if kind not in KINDS:
        raise ValidationFailed.for_field("kind", f"Choose one of: {', '.join(KINDS)}.")
    if not isinstance(records, list) or not 1 <= len(records) <= MAX_BATCH:
        raise ValidationFailed.for_field("records", f"Send 1 to {MAX_BATCH} records.")
    valid, errors = _validated(kind, records)
    result = IngestResult(kind=kind, received=len(records), errors=errors)
    if valid:
        with transaction.atomic():
            WRITERS[kind]([data for _, data in valid], result)
            if result.created or result.updated:
                statistics_refresh(kind=kind)
    logger.info(
        "records_ingested",
        extra={"kind": kind, "received": result.received, "new": result.created, "errors": len(errors)},
    )
    return result


# --- Writers: one per kind, all valid records of the batch at once -------------------------------


def _customers_for(external_ids: set[str], seen_at: dict[str, datetime]) -> dict[str, int]:
    """Ids of the customers with these external ids, creating the missing ones (orders and events
    may name a customer before the customer record itself arrives)."""
    if not external_ids:
        return {}
    existing = dict(Customer.objects.filter(external_id__in=external_ids).values_list("external_id", "pk"))
    new = [
        {
            "external_id": e,
            "first_seen_at": seen_at.get(e),
            "last_seen_at": seen_at.get(e),
            "created_at": timezone.now(),
        }
        for e in external_ids
        if e not in existing
    ]
    existing.update(insert_new(Customer, new, key="external_id").ids)
    if len(existing) < len(external_ids):  # created by a concurrent batch between the two statements
        existing.update(
            Customer.objects.filter(external_id__in=external_ids - set(existing)).values_list("external_id", "pk")
        )
    return existing


def _write_customers(records: list[dict[str, Any]], result: IngestResult) -> None:
    rows = [
        {
            "external_id": r["external_id"],
            "email": r.get("email", "").lower(),
            "name": r.get("name", ""),
            "phone": r.get("phone", ""),
            "attributes": r.get("attributes", {}),
            "signed_up_at": r.get("signed_up_at"),
        }
        for r in records
    ]
    result.add(upsert(Customer, rows, key="external_id"))


def _write_products(records: list[dict[str, Any]], result: IngestResult) -> None:
    rows = [
        {
            "sku": r["sku"],
            "name": r["name"],
            "category": r.get("category", ""),
            "price_paise": r.get("price_paise"),
            "attributes": r.get("attributes", {}),
        }
        for r in records
    ]
    result.add(upsert(Product, rows, key="sku"))


def _write_orders(records: list[dict[str, Any]], result: IngestResult) -> None:
    first_order: dict[str, datetime] = {}
    for r in records:
        first_order[r["customer_id"]] = min(r["created_at"], first_order.get(r["customer_id"], r["created_at"]))
    customers = _customers_for({r["customer_id"] for r in records}, first_order)
    rows = [
        {
            "external_id": r["external_id"],
            "customer_id": customers[r["customer_id"]],
            "status": r["status"],
            "currency": r["currency"],
            "subtotal_paise": r.get("subtotal_paise", r["total_paise"]),
            "discount_paise": r["discount_paise"],
            "tax_paise": r["tax_paise"],
            "shipping_paise": r["shipping_paise"],
            "total_paise": r["total_paise"],
            "razorpay_order_id": r.get("razorpay_order_id", ""),
            "created_at": r["created_at"],
            "paid_at": r.get("paid_at"),
        }
        for r in records
    ]
    written = upsert(Order, rows, key="external_id")
    result.add(written)
    # Items follow their order: replaced only for orders that were created or changed, and for
    # orders that came with items whose set differs from what is stored.
    with_items = {r["external_id"]: r["items"] for r in records if "items" in r}
    if not with_items:
        return
    products = dict(
        Product.objects.filter(sku__in={i["sku"] for its in with_items.values() for i in its}).values_list("sku", "pk")
    )
    order_ids = [written.ids[e] for e in with_items]
    stored: dict[int, list[tuple[str, int, int]]] = {}
    for order_id, sku, quantity, price in OrderItem.objects.filter(order_id__in=order_ids).values_list(
        "order_id", "sku", "quantity", "unit_price_paise"
    ):
        stored.setdefault(order_id, []).append((sku, quantity, price))
    replace, new_items = [], []
    for external_id, items in with_items.items():
        order_id = written.ids[external_id]
        wanted = sorted((i["sku"], i["quantity"], i["unit_price_paise"]) for i in items)
        if sorted(stored.get(order_id, [])) == wanted:
            continue
        replace.append(order_id)
        new_items += [
            OrderItem(
                order_id=order_id,
                product_id=products.get(i["sku"]),
                sku=i["sku"],
                name=i.get("name", ""),
                quantity=i["quantity"],
                unit_price_paise=i["unit_price_paise"],
                total_paise=i["quantity"] * i["unit_price_paise"],
            )
            for i in items
        ]
    if replace:
        OrderItem.objects.filter(order_id__in=replace).delete()
        OrderItem.objects.bulk_create(new_items)


def _write_payments(records: list[dict[str, Any]], result: IngestResult) -> None:
    orders = dict(
        Order.objects.filter(external_id__in={r["order_id"] for r in records if r.get("order_id")}).values_list(
            "external_id", "pk"
        )
    )
    by_razorpay = dict(
        Order.objects.filter(
            razorpay_order_id__in={r["razorpay_order_id"] for r in records if r.get("razorpay_order_id")}
        ).values_list("razorpay_order_id", "pk")
    )
    customers = dict(
        Customer.objects.filter(
            external_id__in={r["customer_id"] for r in records if r.get("customer_id")}
        ).values_list("external_id", "pk")
    )
    rows = [
        {
            "razorpay_payment_id": r["razorpay_payment_id"],
            "razorpay_order_id": r.get("razorpay_order_id", ""),
            "order_id": orders.get(r.get("order_id", "")) or by_razorpay.get(r.get("razorpay_order_id", "")),
            "customer_id": customers.get(r.get("customer_id", "")),
            "status": r["status"],
            "method": r.get("method", "").lower(),
            "bank": r.get("bank", ""),
            "wallet": r.get("wallet", ""),
            "card_network": r.get("card_network", ""),
            "error_code": r.get("error_code", ""),
            "error_reason": r.get("error_reason", ""),
            "error_description": r.get("error_description", ""),
            "amount_paise": r["amount_paise"],
            "fee_paise": r["fee_paise"],
            "currency": r["currency"],
            "created_at": r["created_at"],
            "captured_at": r.get("captured_at"),
        }
        for r in records
    ]
    result.add(upsert(Payment, rows, key="razorpay_payment_id"))


def _write_refunds(records: list[dict[str, Any]], result: IngestResult) -> None:
    payments = dict(
        Payment.objects.filter(razorpay_payment_id__in={r["razorpay_payment_id"] for r in records}).values_list(
            "razorpay_payment_id", "pk"
        )
    )
    rows = [
        {
            "razorpay_refund_id": r["razorpay_refund_id"],
            "razorpay_payment_id": r["razorpay_payment_id"],
            "payment_id": payments.get(r["razorpay_payment_id"]),
            "amount_paise": r["amount_paise"],
            "status": r["status"],
            "created_at": r["created_at"],
        }
        for r in records
    ]
    result.add(upsert(Refund, rows, key="razorpay_refund_id"))
    from intelligence.ingest.razorpay import refund_totals

    for payment in Payment.objects.filter(pk__in={r["payment_id"] for r in rows if r["payment_id"]}):
        refund_totals(payment)  # a full refund marks the payment and its order refunded, as webhooks do


def _path(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path[:500] if url else ""


def _write_events(records: list[dict[str, Any]], result: IngestResult) -> None:
    seen: dict[str, datetime] = {}
    for r in records:
        if r.get("customer_id"):
            seen[r["customer_id"]] = min(r["occurred_at"], seen.get(r["customer_id"], r["occurred_at"]))
    customers = _customers_for(set(seen), seen)
    now = timezone.now()
    rows = [
        {
            "event_id": r["event_id"],
            "name": r["name"],
            "customer_id": customers.get(r.get("customer_id", "")),
            "anonymous_id": r.get("anonymous_id", ""),
            "visitor_id": r.get("anonymous_id") or f"c:{r['customer_id']}",
            "session_id": r.get("session_id", ""),
            "properties": r.get("properties", {}),
            "url": r.get("url", ""),
            "path": _path(r.get("url", "")),
            "referrer": r.get("referrer", ""),
            "utm_source": r.get("utm_source", ""),
            "utm_medium": r.get("utm_medium", ""),
            "utm_campaign": r.get("utm_campaign", ""),
            "utm_term": r.get("utm_term", ""),
            "utm_content": r.get("utm_content", ""),
            "channel": r.get("channel")
            or channel_of(
                utm_source=r.get("utm_source", ""),
                utm_medium=r.get("utm_medium", ""),
                referrer=r.get("referrer", ""),
                url=r.get("url", ""),
            ),
            "revenue_paise": r.get("revenue_paise"),
            "occurred_at": r["occurred_at"],
            "received_at": now,
        }
        for r in records
    ]
    result.add(insert_new(Event, rows, key="event_id"))
    visits_record(rows)
    last: dict[str, datetime] = {}
    for r in records:
        if r.get("customer_id"):
            last[r["customer_id"]] = max(r["occurred_at"], last.get(r["customer_id"], r["occurred_at"]))
    seen_widen(Customer, [(e, seen[e], last[e]) for e in seen])


def _write_spend(records: list[dict[str, Any]], result: IngestResult) -> None:
    for r in records:  # a few rows per day per channel: no bulk path needed
        obj, created = MarketingSpend.objects.get_or_create(
            channel=r["channel"], campaign=r["campaign"], date=r["date"], defaults={"amount_paise": r["amount_paise"]}
        )
        if created:
            result.created += 1
        elif obj.amount_paise != r["amount_paise"]:
            MarketingSpend.objects.filter(pk=obj.pk).update(amount_paise=r["amount_paise"], updated_at=timezone.now())
            result.updated += 1
        else:
            result.unchanged += 1


WRITERS = {
    "customers": _write_customers,
    "products": _write_products,
    "orders": _write_orders,
    "payments": _write_payments,
    "refunds": _write_refunds,
    "events": _write_events,
    "spend": _write_spend,
}


# --- CSV imports ------------------------------------------------------------------------------------

IMPORT_CHUNK = 1000
MAX_STORED_ERRORS = 10_000


def import_create(*, kind: str, filename: str, data: bytes, user_id: int | None) -> ImportJob:
    """Check the file (kind, size, UTF-8, header row, known columns), store it and queue the import."""
    from intelligence.ingest.csvfiles import CSV_KINDS, count_rows, csv_rows

    if kind not in CSV_KINDS:
        raise ValidationFailed.for_field("kind", f"Choose one of: {', '.join(CSV_KINDS)}.")
    if len(data) > settings.IMPORT_MAX_BYTES:
        raise ValidationFailed.for_field(
            "file", f"The file is {len(data):,} bytes; the limit is {settings.IMPORT_MAX_BYTES:,}."
        )
    names, _ = csv_rows(data)
    known = set(KINDS[kind]().fields) | ({"items"} if kind == "orders" else set())
    unknown = [n for n in names if n and n not in known]
    if unknown:
        raise ValidationFailed.for_field(
            "file", f"Unknown column(s): {', '.join(unknown)}. {kind} take: {', '.join(sorted(known))}."
        )
    total = count_rows(data)
    if total == 0:
        raise ValidationFailed.for_field("file", "The file has a header row but no rows.")
    from intelligence.ingest.tasks import import_run

    message = "Background jobs are not available just now, so nothing was imported. Try again in a minute."
    try:
        with transaction.atomic():
            job = ImportJob.objects.create(
                kind=kind, filename=filename[:255], data=data, total_rows=total, created_by_id=user_id
            )
            # Sent once the job is committed; when the broker refuses it, the job is removed again
            # (called outside a transaction, the refusal surfaces here as the block commits).
            transaction.on_commit(lambda: task_enqueue(import_run, message=message, job_id=job.pk))
    except QueueUnavailable:
        ImportJob.objects.filter(pk=job.pk).delete()
        raise
    return job


def import_run(*, job_id: int) -> ImportJob:
    """Import a stored CSV in chunks of 1,000 rows through ``records_ingest`` (so the same rules,
    idempotency and per-record errors apply), saving progress after each chunk. A rerun (worker
    restart) starts again from the top; the upserts make that harmless."""
    from intelligence.ingest.csvfiles import csv_reason, csv_rows

    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
            return job
        job.status, job.started_at = ImportJob.Status.RUNNING, timezone.now()
        job.processed_rows = job.created = job.updated = job.unchanged = job.error_count = 0
        job.errors = []
        job.save()
    _, rows = csv_rows(bytes(job.data))
    chunk: list[tuple[int, dict[str, Any]]] = []

    def flush() -> None:
        result = records_ingest(kind=job.kind, records=[record for _, record in chunk])
        job.processed_rows += len(chunk)
        job.created += result.created
        job.updated += result.updated
        job.unchanged += result.unchanged
        job.error_count += len(result.errors)
        room = MAX_STORED_ERRORS - len(job.errors)
        job.errors += [
            {"row": chunk[e["index"]][0], "field": e["field"], "reason": csv_reason(e["field"], e["reason"])}
            for e in result.errors[:room]
        ]
        job.save(update_fields=["processed_rows", "created", "updated", "unchanged", "error_count", "errors"])
        chunk.clear()

    try:
        for line, record in rows:
            chunk.append((line, record))
            if len(chunk) == IMPORT_CHUNK:
                flush()
        if chunk:
            flush()
    except Exception as exc:  # not a row's fault: the job says so instead of "running" forever
        logger.exception("import_failed", extra={"job_id": job.pk})
        import_fail(job_id=job.pk, reason=f"The import stopped at row {job.processed_rows + 1}: {type(exc).__name__}.")
        raise
    job.status, job.finished_at, job.data = ImportJob.Status.DONE, timezone.now(), b""
    job.save(update_fields=["status", "finished_at", "data"])
    logger.info("import_done", extra={"job_id": job.pk, "rows": job.processed_rows, "errors": job.error_count})
    return job


def import_fail(*, job_id: int, reason: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.FAILED, failure=reason[:500], finished_at=timezone.now(), data=b""
    )


# --- Ingestion settings: the tracking key and origins, the Razorpay webhook ---------------------------


def data_settings_ensure() -> DataSettings:
    """The workspace's one settings row (id 1, so two first uses at once make one row)."""
    row, _ = DataSettings.objects.get_or_create(
        pk=1,
        defaults={"tracking_key": "tk_pub_" + secrets.token_urlsafe(24), "webhook_token": secrets.token_urlsafe(24)},
    )
    return row


def data_settings_update(*, data: dict[str, Any]) -> DataSettings:
    """Set the tracking snippet's allowed origins (at most 20) and the Razorpay webhook secret."""
    row = data_settings_ensure()
    if "tracking_origins" in data:
        origins = data["tracking_origins"]
        if not isinstance(origins, list) or len(origins) > 20:
            raise ValidationFailed.for_field("tracking_origins", "A list of at most 20 origins.")
        row.tracking_origins = list(dict.fromkeys(normalise_origin(str(o), "tracking_origins") for o in origins))
    if "razorpay_webhook_secret" in data:
        secret = data["razorpay_webhook_secret"]
        if not isinstance(secret, str) or len(secret) > 200:
            raise ValidationFailed.for_field("razorpay_webhook_secret", "Text of at most 200 characters.")
        row.razorpay_webhook_secret = secret.strip()
    row.save()
    return row


def data_settings_rotate_tracking_key() -> DataSettings:
    row = data_settings_ensure()
    row.tracking_key = "tk_pub_" + secrets.token_urlsafe(24)
    row.save(update_fields=["tracking_key", "updated_at"])
    return row
