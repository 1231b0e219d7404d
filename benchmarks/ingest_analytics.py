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
4. **Attribution at scale** (also alone: ``--attribution-only``): three workspaces on Premium,
   ``attr-10k``, ``attr-100k`` and ``attr-1m``, seeded once with the demo generator over 60 days
   (a 30-day range and its 30-day look-back, so the report reads every event).
   ``GET /api/v1/analytics/attribution/`` over HTTP on gunicorn (production settings, one sync
   worker, port ``--port``): first with the tables' statistics removed (a bulk load nobody has
   analysed), then after ``ANALYZE``; the first request and the median of ``--attribution-runs``
   warm ones. Beside each, in the same run, two floors: ``GET /api/v1/me/`` on the same server
   and one SQL pass over the window's events. Target: under 1 s warm at 1M events.

Production settings; figures printed as Markdown tables for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
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
    parser.add_argument(
        "--attribution-only", action="store_true", help="Only the attribution benchmark at 10k, 100k and 1M events."
    )
    parser.add_argument("--port", type=int, default=18150, help="gunicorn's port for the attribution requests.")
    parser.add_argument("--attribution-runs", type=int, default=5, help="Warm requests per size (median).")
    args = parser.parse_args()
    args.rate_limit, args.members = "raised", 5
    args.worker_class, args.workers, args.threads = "sync", 1, 1
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

    if args.attribution_only:
        attribution_benchmark(args, env)
        return
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
    attribution_benchmark(args, env)


# --- Attribution at 10k, 100k and 1M events --------------------------------------------------------

ATTRIBUTION_SIZES = (("attr-10k", 10_000), ("attr-100k", 100_000), ("attr-1m", 1_000_000))
ATTRIBUTION_DAYS = 60  # the 30-day range and its 30-day look-back: the report reads every event
# Events per planned visit: 3.7 a visit (1 + 2.2 pages, some carts and purchases) times the
# demo's seasonality over October-December (the festive peak): 3.7 gave 13.9k, 139k and 1.38M.
EVENTS_PER_VISIT = 5.1
ATTRIBUTION_TARGET_MS = 1000  # warm, at 1M events
STATS_TABLES = ("intelligence_event", "intelligence_order", "intelligence_customer", "intelligence_visit")
# What any path builder must pay at least: one pass over the window's events, reading every
# column the paths use.
SCAN_FLOOR_SQL = (
    "SELECT count(customer_id), sum(length(visitor_id) + length(session_id) + length(channel)), max(event_id) "
    "FROM intelligence_event WHERE occurred_at >= %s AND occurred_at < %s"
)


def attribution_tenants_seed(today: Any) -> list[tuple[str, Any]]:
    """One workspace per size on Premium (attribution is a plan feature), seeded once with the demo
    generator over ATTRIBUTION_DAYS days ending ``today`` through the ingestion service."""
    import secrets

    from django_tenants.utils import schema_context

    from intelligence.demo import generate
    from intelligence.models import Event
    from tenants.models import Tenant
    from tenants.services import tenant_create

    tenants = []
    for slug, events in ATTRIBUTION_SIZES:
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            tenant = tenant_create(
                name=f"Attribution {slug}",
                slug=slug,
                owner_email=f"owner@{slug}.bench.example",
                owner_password=secrets.token_urlsafe(24),
            ).tenant
        Tenant.objects.filter(pk=tenant.pk).update(plan="premium")
        with schema_context(tenant.schema_name):
            if not Event.objects.exists():
                api_read.say(f"{slug}: seeding ~{events:,} events over {ATTRIBUTION_DAYS} days (once per database)")
                t0 = time.perf_counter()
                written = generate(
                    customers=max(100, events // 10),
                    days=ATTRIBUTION_DAYS,
                    end=today,
                    seed=13,
                    visits_per_day=round(events / ATTRIBUTION_DAYS / EVENTS_PER_VISIT),
                )
                api_read.say(f"{slug}: seeded in {time.perf_counter() - t0:.0f} s: {written}")
        tenants.append((slug, tenant))
    return tenants


def statistics_forget(schema: str) -> None:
    """Put the tables back in the state of a bulk load that nobody has analysed (autovacuum off or
    behind): no column statistics, row count unknown. (Superuser only; the benchmark database's.)"""
    from django.db import connection

    with connection.cursor() as cursor:
        tables = [f"{schema}.{t}" for t in STATS_TABLES]
        cursor.execute("DELETE FROM pg_statistic WHERE starelid = ANY(%s::regclass[])", [tables])
        cursor.execute(
            "UPDATE pg_class SET reltuples = -1, relpages = 0, relallvisible = 0 WHERE oid = ANY(%s::regclass[])",
            [tables],
        )


def statistics_gather(schema: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in STATS_TABLES:
            cursor.execute(f'ANALYZE "{schema}".{table}')


def attribution_benchmark(args: argparse.Namespace, env: dict[str, str]) -> None:
    """``GET /api/v1/analytics/attribution/`` over HTTP on gunicorn (production settings) for each
    size, first with no table statistics, then after ANALYZE; beside it in the same run, the two
    floors: ``GET /api/v1/me/`` on the same server (what any request costs) and one SQL pass over
    the window's events (what reading the data costs)."""
    import requests
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from intelligence.models import Event
    from tenants.models import ApiKey
    from tenants.services import api_key_create

    tenants = attribution_tenants_seed(timezone.now().date())
    sizes = []
    for slug, tenant in tenants:
        with schema_context(tenant.schema_name):
            last = Event.objects.order_by("-occurred_at").values_list("occurred_at", flat=True).first()
            end_day = last.date()
            start_day = end_day - timedelta(days=29)
            since = datetime.combine(start_day - timedelta(days=30), datetime.min.time(), UTC)
            until = datetime.combine(end_day + timedelta(days=1), datetime.min.time(), UTC)
            events = Event.objects.filter(occurred_at__gte=since, occurred_at__lt=until).count()
        ApiKey.objects.filter(tenant=tenant, name="attribution-benchmark").delete()
        key = api_key_create(tenant=tenant, name="attribution-benchmark", scopes=["read"], created_by=None).raw_key
        query = f"start={start_day.isoformat()}&end={end_day.isoformat()}"
        sizes.append((slug, tenant, key, query, events, (since, until)))

    port = args.port
    log = api_read.VAR / "bench-attribution-gunicorn.log"
    log.parent.mkdir(exist_ok=True)
    server = api_read.start_gunicorn(args, env | {"ALLOWED_HOSTS": "*"}, port, log)
    base = f"http://127.0.0.1:{port}"
    rows: list[tuple[str, str, int, float, float, float, float]] = []
    try:
        api_read.wait_ready(server, base, log)

        def get(slug: str, key: str, path: str) -> float:
            t0 = time.perf_counter()
            response = requests.get(
                base + path, headers={"Host": f"{slug}.localhost", "Authorization": f"Bearer {key}"}, timeout=120
            )
            elapsed = (time.perf_counter() - t0) * 1000
            if response.status_code != 200:
                raise SystemExit(f"GET {path} on {slug}: {response.status_code} {response.text[:300]}")
            return elapsed

        for state in ("no statistics", "after ANALYZE"):
            for slug, tenant, key, query, events, window in sizes:
                (statistics_forget if state == "no statistics" else statistics_gather)(tenant.schema_name)
                path = f"/api/v1/analytics/attribution/?{query}"
                first = get(slug, key, path)  # the first report after the load (or the ANALYZE)
                warm = statistics.median(get(slug, key, path) for _ in range(args.attribution_runs))
                floor_http = statistics.median(get(slug, key, "/api/v1/me/") for _ in range(args.attribution_runs))
                with schema_context(tenant.schema_name), connection.cursor() as cursor:
                    scans = []
                    for _ in range(args.attribution_runs + 1):
                        t0 = time.perf_counter()
                        # A scan whatever the statistics (without them the planner walks an index).
                        cursor.execute("SET LOCAL enable_indexscan = off; " + SCAN_FLOOR_SQL, list(window))
                        cursor.fetchall()
                        scans.append((time.perf_counter() - t0) * 1000)
                floor_scan = statistics.median(scans[1:])
                rows.append((state, slug, events, first, warm, floor_http, floor_scan))
                api_read.say(f"{state}, {slug}: first {first:,.0f} ms, warm {warm:,.0f} ms, scan {floor_scan:,.0f} ms")
    finally:
        api_read.stop_gunicorn(server)
        for _, tenant, *_ in sizes:
            ApiKey.objects.filter(tenant=tenant, name="attribution-benchmark").delete()

    print(f"\nAttribution over HTTP (gunicorn, 1 sync worker, production settings); {os.cpu_count()} CPUs")
    print(
        "| statistics | events in the window | first request | warm (median) | per 1k events "
        "| floor: `/me/` | floor: one scan of the events | warm / scan | target |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for state, slug, events, first, warm, floor_http, floor_scan in rows:
        target = ""
        if slug == ATTRIBUTION_SIZES[-1][0]:
            target = f"< {ATTRIBUTION_TARGET_MS} ms: {'PASS' if warm < ATTRIBUTION_TARGET_MS else 'FAIL'}"
        print(
            f"| {state} | {events:,} | {first:,.0f} ms | {warm:,.0f} ms | {warm / events * 1000:.2f} ms "
            f"| {floor_http:,.1f} ms | {floor_scan:,.0f} ms | {warm / floor_scan:.1f} x | {target} |"
        )


if __name__ == "__main__":
    main()
