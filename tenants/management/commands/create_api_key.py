"""Create an API key for a tenant and print it once."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from suresh_ai.errors import ApplicationError
from tenants.models import Tenant
from tenants.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key: manage.py create_api_key --tenant acme --name 'Shop sync' --scope read --scope write"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="Tenant slug.")
        parser.add_argument("--name", required=True, help="What uses the key.")
        parser.add_argument(
            "--scope", action="append", choices=["read", "write", "admin"], help="Repeat for several (default: read)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug {options['tenant']!r}.")
        try:
            issued = api_key_create(
                tenant=tenant, name=options["name"], scopes=options["scope"] or ["read"], created_by=None
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"API key for {tenant.slug} (shown once): {issued.raw_key}")
