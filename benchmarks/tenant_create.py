"""How long creating a tenant takes (schema cloned from the template, domain, owner), end to end.

    .venv/bin/python benchmarks/tenant_create.py [--count 20]

Uses its own database (``suresh_ai_bench_tenants`` on the local PostgreSQL, or DATABASE_URL),
migrates it, creates ``--count`` tenants through tenants.services.tenant_create, prints each
timing and a summary, then drops what it created.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from dev import local_postgres_url  # noqa: E402 - scripts/ is not a package

DB_NAME = "suresh_ai_bench_tenants"


def _ensure_database() -> str:
    url = local_postgres_url(DB_NAME)
    if url is None:
        raise SystemExit("No PostgreSQL on 127.0.0.1:5432: set DATABASE_URL.")
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", _ensure_database())
    os.environ["DJANGO_SETTINGS_MODULE"] = "suresh_ai.settings.dev"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    from tenants.models import Tenant, User
    from tenants.services import platform_ensure, tenant_create, tenant_purge

    call_command("migrate_schemas", verbosity=0)
    platform_ensure()
    timings: list[float] = []
    run = int(time.time())
    try:
        for i in range(args.count):
            started = time.perf_counter()
            tenant_create(
                name=f"Bench {i}",
                slug=f"bench-{run}-{i}",
                owner_email=f"owner{i}@bench-{run}.example",
                owner_password="bench-passphrase-2026",
            )
            timings.append(time.perf_counter() - started)
            print(f"tenant {i + 1:>3}/{args.count}: {timings[-1] * 1000:7.1f} ms", flush=True)
    finally:
        for tenant in Tenant.objects.filter(slug__startswith=f"bench-{run}-"):
            tenant_purge(tenant=tenant)
        User.objects.filter(email__endswith=f"@bench-{run}.example").delete()
    ms = sorted(t * 1000 for t in timings)
    print(
        f"\ntenant_create x{len(ms)} (includes an Argon2 hash of the owner's password): "
        f"median {statistics.median(ms):.0f} ms, p95 {ms[int(0.95 * (len(ms) - 1))]:.0f} ms, max {ms[-1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
