"""List tenants with their schema, domains, status and member count."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count

from tenants.models import Tenant


class Command(BaseCommand):
    help = "List tenants (excluding the public one): slug, schema, status, plan, members, domains."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--status", choices=[s.value for s in Tenant.Status], help="Only this status.")

    def handle(self, *args: Any, **options: Any) -> None:
        tenants = (
            Tenant.objects.exclude(schema_name="public")
            .annotate(members=Count("memberships"))
            .prefetch_related("domains")
            .order_by("slug")
        )
        if options["status"]:
            tenants = tenants.filter(status=options["status"])
        self.stdout.write(f"{'slug':<20} {'schema':<24} {'status':<10} {'plan':<10} {'members':>7}  domains")
        for t in tenants:
            domains = ", ".join(d.domain for d in t.domains.all())
            self.stdout.write(f"{t.slug:<20} {t.schema_name:<24} {t.status:<10} {t.plan:<10} {t.members:>7}  {domains}")
