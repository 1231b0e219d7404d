"""Create a tenant with its owner, through the same service as sign-up and the admin."""

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from suresh_ai.errors import ApplicationError
from tenants.models import Partner
from tenants.services import tenant_create


class Command(BaseCommand):
    help = (
        "Create a tenant (schema, domain <slug>.<TENANT_BASE_DOMAIN>) and its owner. "
        "Example: manage.py add_tenant --name 'Acme Store' --slug acme --owner-email owner@acme.in"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="Business name shown to people.")
        parser.add_argument("--slug", required=True, help="Subdomain and schema name: 3-40 of a-z, 0-9, '-'.")
        parser.add_argument("--owner-email", required=True, help="The owner's email (login).")
        parser.add_argument(
            "--owner-password",
            help="Password for a new owner account (prompted when omitted; use --existing-owner for an existing user). "
            "Prefer the prompt: arguments show in the process list.",
        )
        parser.add_argument("--existing-owner", action="store_true", help="Make an existing account the owner.")
        parser.add_argument("--custom-domain", help="Also serve the tenant on this domain.")
        parser.add_argument("--partner", help="Name of the white-label partner that owns this tenant.")

    def handle(self, *args: Any, **options: Any) -> None:
        password = None
        if not options["existing_owner"]:
            password = options["owner_password"] or getpass.getpass("Owner password (12+ characters): ")
        partner = None
        if options["partner"]:
            partner = Partner.objects.filter(name=options["partner"]).first()
            if partner is None:
                raise CommandError(f"No partner named {options['partner']!r}.")
        try:
            created = tenant_create(
                name=options["name"],
                slug=options["slug"],
                owner_email=options["owner_email"],
                owner_password=password,
                custom_domain=options["custom_domain"],
                partner=partner,
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {created.tenant.name}: schema {created.tenant.schema_name}, domain {created.domain}, "
                f"owner {created.owner.email} ({created.seconds * 1000:.0f} ms)"
            )
        )
