"""Benchmark ingestion and the analytics engines on one tenant with ~1,000,000 events and 100,000
customers.

    .venv/bin/python benchmarks/ingest_analytics.py                 # seeds once, then measures
    .venv/bin/python benchmarks/ingest_analytics.py --reseed        # drop and seed again

1. **Seed** (once per database): ``intelligence.demo.generate`` writes 100,000 customers and a
   year of visits tuned to ~1,000,000 events (plus their orders and payments) into the tenant
   ``bench`` of the benchmark database (``suresh_ai_bench``, shared with api_read.py), through
   the ingestion service. Timed, but not the target.
2. **Batch-API ingestion rate**: ``POST /api/v1/data/events/`` with 1,000 new events per call
   through Django's full stack in-process (middleware, key auth, rate limit, tenant routing,
   per-record validation, the upsert), one client. Target: at least 5,000 events/s.
3. **Warm computation times** (the median of 5 runs after one warm-up): the funnel page_view →
   add_to_cart → purchase over 90 days with a 7-day window; monthly retention by first purchase
   over 12 months; today's RFM scores and segments for every customer; 90-day KPIs with the
   previous period; attribution (all models) over 30 days. Targets: funnel, retention and RFM
   under 1 s each; KPIs under 200 ms.

Production settings; figures printed as a Markdown table for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import api_read  # noqa: E402 - the shared set-up of the benchmark database

CUSTOMERS = 100_000
TARGET_EVENTS = 1_000_000


def _timed(fn: Any, runs: int = 5) -> tuple[float, Any]:
    fn()  # warm-up: caches, plans, pages in memory
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reseed", action="store_true", help="Delete the bench tenant's business data and seed again.")
    parser.add_argument("--batches", type=int, default=50, help="API batches of 1,000 events to time (default 50).")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", api_read.DEFAULT_DATABASE_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()
    args.rate_limit, args.members = "raised", 5
    env = api_read.server_env(args)
    api_read.set_up(args, env)
    os.environ.update(env)
    os.environ["ALLOWED_HOSTS"] = "*"
    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from intelligence import analytics
    from intelligence.demo import generate
    from intelligence.engines import attribution, funnels, retention, segments
    from intelligence.models import Customer, Event, Order
    from intelligence.ranges import range_from
    from tenants.models import ApiKey, Tenant
    from tenants.services import api_key_create

    tenant = Tenant.objects.get(slug=api_read.TENANT_SLUG)
    today = timezone.now().date()
    with schema_context(tenant.schema_name):
        if args.reseed:
            with connection.cursor() as cursor:
                cursor.execute(
                    "TRUNCATE intelligence_event, intelligence_orderitem, intelligence_refund, intelligence_payment, "
                    "intelligence_order, intelligence_segmentsnapshot, intelligence_customer, intelligence_product, "
                    "intelligence_marketingspend RESTART IDENTITY CASCADE"
                )
        seeded = None
        if not Customer.objects.exists():
            api_read.say("seeding 100,000 customers and ~1,000,000 events (once per database; several minutes)")
            t0 = time.perf_counter()
            written = generate(customers=CUSTOMERS, days=365, end=today, seed=11, visits_per_day=700)
            seeded = (time.perf_counter() - t0, written)
        with connection.cursor() as cursor:  # what autovacuum does after a bulk load: statistics, visibility map
            cursor.execute("VACUUM ANALYZE intelligence_event")
            cursor.execute("VACUUM ANALYZE intelligence_order")
        n_events, n_customers, n_orders = Event.objects.count(), Customer.objects.count(), Order.objects.count()
    ApiKey.objects.filter(tenant=tenant, name="ingest-benchmark").delete()
    key = api_key_create(tenant=tenant, name="ingest-benchmark", scopes=["write"], created_by=None).raw_key
    client = Client(HTTP_HOST=f"{api_read.TENANT_SLUG}.localhost", HTTP_AUTHORIZATION=f"Bearer {key}")
    stamp = int(time.time())
    now = timezone.now()
    rates = []
    for b in range(args.batches):
        batch = [
            {
                "event_id": f"bench-{stamp}-{b}-{i}",
                "name": "page_view",
                "anonymous_id": f"bench-a{i % 300}",
                "session_id": f"bench-s{b}-{i % 300}",
                "url": f"https://bench.example/p/{i % 40}?utm_source=google&utm_medium=cpc",
                "occurred_at": (now - timedelta(seconds=i)).isoformat(),
            }
            for i in range(1000)
        ]
        t0 = time.perf_counter()
        response = client.post("/api/v1/data/events/", {"records": batch}, content_type="application/json")
        elapsed = time.perf_counter() - t0
        if response.status_code != 200 or response.json()["created"] != 1000:
            raise SystemExit(f"batch {b}: {response.status_code} {response.content[:300]!r}")
        rates.append(1000 / elapsed)
    with schema_context(tenant.schema_name):
        end = timezone.now()
        start90 = end - timedelta(days=90)
        steps = funnels.steps_from("page_view,add_to_cart,purchase")
        funnel_ms, _ = _timed(lambda: funnels.funnel(steps=steps, start=start90, end=end, window_hours=168))
        retention_ms, _ = _timed(
            lambda: retention.retention_from_query({"basis": "first_purchase", "period": "month", "periods": "12"})
        )
        rfm_ms, _ = _timed(lambda: segments.segments_live(day=today))
        kpi_ms, _ = _timed(lambda: analytics.kpis_compared(start90, end))
        span30 = range_from({"start": (today - timedelta(days=29)).isoformat(), "end": today.isoformat()})
        params = attribution.attribution_params({})
        attribution_ms, _ = _timed(lambda: attribution.attribution_report(span=span30, params=params), runs=3)
    ApiKey.objects.filter(tenant=tenant, name="ingest-benchmark").delete()
    print(
        f"\nTenant {api_read.TENANT_SLUG}: {n_customers:,} customers, {n_events:,} events, {n_orders:,} orders; "
        f"{os.cpu_count()} CPUs"
    )
    if seeded:
        print(f"seeded in {seeded[0]:.0f} s: " + ", ".join(f"{v:,} {k}" for k, v in seeded[1].items()))
    print("| measurement | result | target |")
    print("|---|---:|---|")
    rate = statistics.median(rates)
    verdict = "PASS" if rate >= 5000 else "FAIL"
    print(
        f"| batch API ingestion (1,000 events a call, median of {len(rates)}) "
        f"| {rate:,.0f} events/s | ≥ 5,000: {verdict} |"
    )
    for name, ms, target in (
        ("funnel, 3 steps, 90 days, 7-day window (warm)", funnel_ms, 1000),
        ("retention, monthly by first purchase, 12 months (warm)", retention_ms, 1000),
        ("RFM scores and segments, all customers (warm)", rfm_ms, 1000),
        ("KPIs, 90 days with the previous 90 (warm)", kpi_ms, 200),
        ("attribution, all models, 30 days (warm)", attribution_ms, None),
    ):
        verdict = f"< {target} ms: {'PASS' if ms < target else 'FAIL'}" if target else "(no target)"
        print(f"| {name} | {ms:,.0f} ms | {verdict} |")


if __name__ == "__main__":
    main()
