"""Fill a workspace with the labelled synthetic demo data set (intelligence/demo.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django_tenants.utils import tenant_context
from tqdm import tqdm

from intelligence.demo import generate
from intelligence.models import Customer
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Generate labelled synthetic demo data (customers, products, orders, payments, events, spend)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", default="demo", help="Workspace slug (default: demo).")
        parser.add_argument("--customers", type=int, default=10_000)
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--end", default=None, help="Last day, YYYY-MM-DD (default: today).")
        parser.add_argument("--seed", type=int, default=7, help="Same seed, same data (default: 7).")
        parser.add_argument("--visits-per-day", type=int, default=None)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if the workspace has customers.")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No workspace {options['tenant']!r} (manage.py ensure_demo creates 'demo').")
        if not 1 <= options["customers"] <= 1_000_000 or not 1 <= options["days"] <= 3_650:
            raise CommandError("--customers 1..1,000,000 and --days 1..3,650.")
        end = date.fromisoformat(options["end"]) if options["end"] else timezone.now().date()
        bars: dict[str, tqdm[Any]] = {}

        def progress(kind: str, count: int) -> None:
            if kind not in bars:
                bars[kind] = tqdm(desc=f"{kind:>9}", unit=" records", file=self.stderr, leave=True)
            bars[kind].update(count)

        with tenant_context(tenant):
            if options["if_empty"] and Customer.objects.exists():
                self.stdout.write(f"{tenant.slug} has data already; nothing generated.")
                return
            written = generate(
                customers=options["customers"],
                days=options["days"],
                end=end,
                seed=options["seed"],
                visits_per_day=options["visits_per_day"],
                on_flush=progress,
            )
        for bar in bars.values():
            bar.close()
        summary = ", ".join(f"{n:,} {kind}" for kind, n in written.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data (labelled demo) written to {tenant.slug}: {summary}."))
