"""Create the public tenant and its domain, and bring the tenant template schema up to date."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tenants.services import platform_ensure


class Command(BaseCommand):
    help = "Idempotent: ensure the platform's public tenant and domain exist and the template schema is migrated."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--domain", help="The platform's own host (default: PLATFORM_DOMAIN).")

    def handle(self, *args: Any, **options: Any) -> None:
        public = platform_ensure(domain=options.get("domain"))
        self.stdout.write(self.style.SUCCESS(f"Platform ready (public tenant id {public.pk})."))
