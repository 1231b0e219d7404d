"""Synthetic demo data for a workspace, labelled as such, from a seed (the same arguments give the
same data). Everything goes in through ``records_ingest``, the batch API's own path, so the demo
exercises the real ingestion rules; the engines then compute from it like from any other data.

The shop: ~40 products in five categories. Daily visits follow a weekly cycle (weekends +25%), a
slow growth over the year and a festive peak around Diwali (October-November, up to +80%). Each
visit comes from a channel (direct, organic/paid search, organic/paid social, email, WhatsApp,
referral) with matching UTM tags or referrer, views pages, may add to cart and may buy. Buyers are
customers (an ``identify`` links their visits, all from one device per customer; about a third of
anonymous visits are returns of a recent visitor, so visitors are fewer than sessions); orders are
paid by UPI, card, netbanking or wallet, with realistic failure rates (a failed attempt is often
retried and recovered), fees and a few refunds. Marketing spend is recorded for the paid channels and email.
Every payment is linked to its order with the order's amount, except six deliberate, labelled
reconciliation cases two days ago: orders ``demo-mismatch-amount-1/2`` (captured ₹50 short),
``demo-mismatch-no-payment-1/2`` (paid, no payment) and payments ``pay_demo_mismatch_no_order_1/2``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from intelligence.services import records_ingest

CATEGORIES = {
    "Pickles": (
        "Mango pickle",
        "Lime pickle",
        "Garlic pickle",
        "Mixed veg pickle",
        "Chilli pickle",
        "Amla pickle",
        "Gongura pickle",
        "Lemon-ginger pickle",
    ),
    "Spices": (
        "Garam masala",
        "Kashmiri chilli",
        "Turmeric",
        "Sambar powder",
        "Chaat masala",
        "Saffron 1 g",
        "Cardamom",
        "Black pepper",
    ),
    "Snacks": ("Banana chips", "Murukku", "Khakhra", "Mathri", "Chakli", "Roasted makhana", "Masala peanuts", "Bhujia"),
    "Sweets": (
        "Kaju katli",
        "Soan papdi",
        "Mysore pak",
        "Gur chikki",
        "Besan laddoo",
        "Coconut barfi",
        "Peda",
        "Rasgulla tin",
    ),
    "Tea": (
        "Assam CTC",
        "Darjeeling first flush",
        "Masala chai mix",
        "Nilgiri green",
        "Tulsi green",
        "Kahwa",
        "Lemongrass",
        "Ginger tea",
    ),
}
CHANNELS: tuple[tuple[str, float, dict[str, str], float], ...] = (
    # channel, share of visits, how it looks on arrival, conversion multiplier
    ("direct", 0.22, {}, 1.3),
    ("organic_search", 0.24, {"referrer": "https://www.google.com/"}, 1.0),
    ("paid_search", 0.14, {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "brand"}, 1.2),
    ("organic_social", 0.12, {"referrer": "https://l.instagram.com/"}, 0.6),
    ("paid_social", 0.12, {"utm_source": "facebook", "utm_medium": "paid_social", "utm_campaign": "festive"}, 0.7),
    ("email", 0.08, {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "weekly"}, 1.6),
    ("whatsapp", 0.04, {"utm_source": "whatsapp", "utm_medium": "whatsapp"}, 1.5),
    ("referral", 0.04, {"referrer": "https://www.foodblog.example/best-pickles"}, 0.9),
)
METHODS = (
    # method, share, failure rate, failure reasons
    ("upi", 0.55, 0.12, ("payment_cancelled", "payment_timed_out", "bank_technical_error", "invalid_vpa")),
    ("card", 0.25, 0.09, ("authentication_failed", "card_declined", "insufficient_funds", "incorrect_otp")),
    ("netbanking", 0.12, 0.15, ("bank_technical_error", "payment_cancelled", "authentication_failed")),
    ("wallet", 0.08, 0.06, ("insufficient_funds", "payment_cancelled")),
)
BANKS = ("HDFC", "ICICI", "SBI", "AXIS", "KOTAK", "YESB")
NETWORKS = ("Visa", "MasterCard", "RuPay", "Amex")
WALLETS = ("paytm", "phonepe", "amazonpay")
SITE = "https://demo-shop.example"
DAILY_SPEND_PAISE = {"paid_search": 180_000, "paid_social": 150_000, "email": 20_000}


ORDER_OF_KINDS = ["customers", "products", "orders", "payments", "refunds", "events", "spend"]
DEPENDS_ON = {"payments": ("orders",), "refunds": ("orders", "payments")}


@dataclass
class Batches:
    """Records per kind, flushed through records_ingest ``size`` (1,000) at a time."""

    on_flush: Callable[[str, int], None] | None = None
    size: int = 1000
    pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, record: dict[str, Any]) -> None:
        rows = self.pending.setdefault(kind, [])
        rows.append(record)
        if len(rows) == self.size:
            self.flush(kind)

    def flush(self, kind: str | None = None) -> None:
        # What a kind refers to goes in first: a payment is linked to its order only if the order is
        # stored when the payment arrives (they were not, and reconciliation showed every one unmatched).
        for name in [*DEPENDS_ON.get(kind, ()), kind] if kind else ORDER_OF_KINDS:
            rows = self.pending.get(name) or []
            if not rows:
                continue
            result = records_ingest(kind=name, records=rows)
            if result.errors:
                raise RuntimeError(f"demo {name} rejected: {result.errors[:3]}")
            self.written[name] = self.written.get(name, 0) + len(rows)
            self.pending[name] = []
            if self.on_flush:
                self.on_flush(name, len(rows))


def _seasonality(day: date, start: date, days: int) -> float:
    weekly = 1.25 if day.weekday() >= 5 else 1.0
    growth = 0.8 + 0.4 * (day - start).days / max(days, 1)
    festive = 1.0 + 0.8 * float(np.exp(-(((day.timetuple().tm_yday - 305) / 18.0) ** 2)))  # peak ~1 Nov
    return weekly * growth * festive


def generate(
    *,
    customers: int,
    days: int,
    end: date,
    seed: int = 7,
    visits_per_day: int | None = None,
    on_flush: Callable[[str, int], None] | None = None,
    batch_size: int = 1000,
) -> dict[str, int]:
    """Write the demo data set; returns records written per kind. Visits a day default to 4 per
    100 customers (a shop of 10,000 customers sees ~400 visits a day, ~100 per 2,500). ``batch_size``:
    records per kind per records_ingest call."""
    rng = np.random.default_rng(seed)
    cutoff = datetime.now(tz=UTC)  # nothing after now: today's figures must not show tomorrow's orders
    out = Batches(on_flush=on_flush, size=batch_size)
    start = end - timedelta(days=days - 1)
    products = [
        (f"DEMO-{cat[:3].upper()}-{i + 1:02d}", f"{name} (demo)", cat, int(rng.integers(8, 60)) * 1_000 - 100)
        for cat, names in CATEGORIES.items()
        for i, name in enumerate(names)
    ]
    for sku, name, category, price in products:
        out.add(
            "products",
            {"sku": sku, "name": name, "category": category, "price_paise": price, "attributes": {"demo": True}},
        )
    out.flush("products")
    signup_offsets = rng.integers(0, days, size=customers)
    for i in range(customers):
        out.add(
            "customers",
            {
                "external_id": f"demo-c{i:06d}",
                "email": f"customer{i}@demo.example",
                "name": f"Demo customer {i}",
                "signed_up_at": datetime.combine(
                    start + timedelta(days=int(signup_offsets[i])), datetime.min.time(), UTC
                )
                .replace(hour=int(rng.integers(7, 23)))
                .isoformat(),
                "attributes": {"demo": True},
            },
        )
    out.flush("customers")
    visits_per_day = visits_per_day or max(10, customers * 4 // 100)
    shares = np.array([c[1] for c in CHANNELS])
    method_shares = np.array([m[1] for m in METHODS])
    event_n = order_n = pay_n = 0
    returning: list[str] = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        for channel, amount in DAILY_SPEND_PAISE.items():
            scale = _seasonality(day, start, days)
            out.add(
                "spend",
                {"channel": channel, "campaign": "demo", "date": day.isoformat(), "amount_paise": int(amount * scale)},
            )
        visits = int(rng.poisson(visits_per_day * _seasonality(day, start, days)))
        channels = rng.choice(len(CHANNELS), size=visits, p=shares)
        for v in range(visits):
            channel, _, arrival, lift = CHANNELS[int(channels[v])]
            when = datetime.combine(day, datetime.min.time(), UTC) + timedelta(
                seconds=int(rng.integers(6 * 3600, 24 * 3600))
            )
            if when > cutoff - timedelta(hours=1):
                continue  # a visit and its orders must have happened already
            session = f"demo-s{offset:03d}-{v:05d}"
            customer = f"demo-c{int(rng.integers(0, customers)):06d}" if rng.random() < 0.55 else None
            # Visitors come back: a customer browses from their own device, and about a third of
            # the anonymous visits are a return of an earlier visitor (so visitors < sessions).
            if customer:
                anonymous = f"demo-a-{customer}"
            elif returning and rng.random() < 0.35:
                anonymous = returning[int(rng.integers(0, len(returning)))]
            else:
                anonymous = f"demo-a{offset:03d}-{v:05d}"
                returning.append(anonymous)
                del returning[:-500]  # the recent ones return
            pages = 1 + int(rng.poisson(2.2))
            for p in range(pages):
                sku = products[int(rng.integers(0, len(products)))][0]
                url = f"{SITE}/" if p == 0 and rng.random() < 0.5 else f"{SITE}/p/{sku.lower()}"
                query = "&".join(f"{k}={val}" for k, val in arrival.items() if k.startswith("utm_"))
                record: dict[str, Any] = {
                    "event_id": f"demo-e{event_n:08d}",
                    "name": "page_view",
                    "anonymous_id": anonymous,
                    "session_id": session,
                    "url": url + (f"?{query}" if p == 0 and query else ""),
                    "referrer": arrival.get("referrer", "") if p == 0 else f"{SITE}/",
                    "occurred_at": (when + timedelta(seconds=40 * p)).isoformat(),
                    **({k: val for k, val in arrival.items() if k.startswith("utm_")} if p == 0 else {}),
                }
                if p > 0:
                    record["channel"] = channel  # the visit's channel, not the internal referrer's
                if customer:
                    record["customer_id"] = customer
                out.add("events", record)
                event_n += 1
            if rng.random() > 0.22 * min(lift, 1.6):
                continue
            t = when + timedelta(seconds=40 * pages + 30)
            out.add(
                "events",
                {
                    "event_id": f"demo-e{event_n:08d}",
                    "name": "add_to_cart",
                    "anonymous_id": anonymous,
                    "session_id": session,
                    "channel": channel,
                    "occurred_at": t.isoformat(),
                    **({"customer_id": customer} if customer else {}),
                },
            )
            event_n += 1
            if customer is None or rng.random() > 0.45:
                continue
            items = [products[int(i)] for i in rng.choice(len(products), size=1 + int(rng.poisson(0.7)), replace=False)]
            quantities = [1 + int(rng.poisson(0.4)) for _ in items]
            total = sum(q * p[3] for q, p in zip(quantities, items, strict=True))
            order_id = f"demo-o{order_n:07d}"
            rz_order = f"order_demo{order_n:07d}"
            order_n += 1
            method, _, fail_rate, reasons = METHODS[int(rng.choice(len(METHODS), p=method_shares))]
            attempts = []
            paid_at = None
            pay_time = t + timedelta(seconds=60)
            for _attempt in range(3):
                failed = rng.random() < fail_rate * (1.6 if day.timetuple().tm_yday in range(300, 310) else 1.0)
                pid = f"pay_demo{pay_n:08d}"
                pay_n += 1
                payment: dict[str, Any] = {
                    "razorpay_payment_id": pid,
                    "razorpay_order_id": rz_order,
                    "order_id": order_id,
                    "customer_id": customer,
                    "status": "failed" if failed else "captured",
                    "method": method,
                    "amount_paise": total,
                    "fee_paise": 0 if failed else round(total * 0.02),
                    "created_at": pay_time.isoformat(),
                }
                if method == "card":
                    payment["card_network"] = NETWORKS[int(rng.integers(0, len(NETWORKS)))]
                if method == "netbanking":
                    payment["bank"] = BANKS[int(rng.integers(0, len(BANKS)))]
                if method == "wallet":
                    payment["wallet"] = WALLETS[int(rng.integers(0, len(WALLETS)))]
                if failed:
                    payment["error_code"] = "BAD_REQUEST_ERROR"
                    payment["error_reason"] = reasons[int(rng.integers(0, len(reasons)))]
                else:
                    paid_at = pay_time + timedelta(seconds=int(rng.integers(2, 40)))
                    payment["captured_at"] = paid_at.isoformat()
                attempts.append(payment)
                if not failed or rng.random() > 0.6:  # most who fail try again
                    break
                pay_time += timedelta(seconds=int(rng.integers(30, 300)))
            out.add(
                "orders",
                {
                    "external_id": order_id,
                    "customer_id": customer,
                    "status": "paid" if paid_at else "created",
                    "total_paise": total,
                    "razorpay_order_id": rz_order,
                    "created_at": t.isoformat(),
                    **({"paid_at": paid_at.isoformat()} if paid_at else {}),
                    "items": [
                        {"sku": p[0], "name": p[1], "quantity": q, "unit_price_paise": p[3]}
                        for q, p in zip(quantities, items, strict=True)
                    ],
                },
            )
            for payment in attempts:
                out.add("payments", payment)
            if paid_at:
                out.add(
                    "events",
                    {
                        "event_id": f"demo-e{event_n:08d}",
                        "name": "purchase",
                        "anonymous_id": anonymous,
                        "session_id": session,
                        "customer_id": customer,
                        "channel": channel,
                        "revenue_paise": total,
                        "occurred_at": paid_at.isoformat(),
                    },
                )
                event_n += 1
                if rng.random() < 0.03 and paid_at + timedelta(days=3) < cutoff:
                    out.add(
                        "refunds",
                        {
                            "razorpay_refund_id": f"rfnd_demo{order_n:07d}",
                            "razorpay_payment_id": attempts[-1]["razorpay_payment_id"],
                            "amount_paise": total,
                            "created_at": (paid_at + timedelta(days=3)).isoformat(),
                        },
                    )
    _deliberate_mismatches(out, last=min(end, cutoff.date()), customers=customers, products=products)
    out.flush()
    return out.written


def _deliberate_mismatches(out: Batches, *, last: date, customers: int, products: list[Any]) -> None:
    """A few labelled reconciliation cases, so Payments -> Reconciliation has something true to show:
    every other demo payment is linked to its order with the same amount. Their ids say what they are."""
    day = datetime.combine(last - timedelta(days=2), datetime.min.time(), UTC)
    sku, name, _, price = products[0]
    for n in (1, 2):
        customer = f"demo-c{(n * 7) % customers:06d}"
        when = day.replace(hour=10 + n, minute=0, second=0, microsecond=0)
        paid = when + timedelta(minutes=2)
        for case in ("amount", "no-payment"):
            out.add(
                "orders",
                {
                    "external_id": f"demo-mismatch-{case}-{n}",
                    "customer_id": customer,
                    "status": "paid",
                    "total_paise": price,
                    "created_at": when.isoformat(),
                    "paid_at": paid.isoformat(),
                    "items": [{"sku": sku, "name": name, "quantity": 1, "unit_price_paise": price}],
                },
            )
        out.add(  # captured ₹50 short of the order's total
            "payments",
            {
                "razorpay_payment_id": f"pay_demo_mismatch_amount_{n}",
                "order_id": f"demo-mismatch-amount-{n}",
                "customer_id": customer,
                "status": "captured",
                "method": "upi",
                "amount_paise": price - 5_000,
                "created_at": when.isoformat(),
                "captured_at": paid.isoformat(),
            },
        )
        out.add(  # a captured payment no order refers to (e.g. a payment link)
            "payments",
            {
                "razorpay_payment_id": f"pay_demo_mismatch_no_order_{n}",
                "customer_id": customer,
                "status": "captured",
                "method": "card",
                "amount_paise": price,
                "created_at": when.isoformat(),
                "captured_at": paid.isoformat(),
            },
        )
