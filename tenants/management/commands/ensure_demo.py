"""Create the labelled demo tenant and its owner once, printing the login a single time."""

import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tenants.models import Tenant
from tenants.services import tenant_create


class Command(BaseCommand):
    help = "If no tenant with the given slug exists, create it with an owner and print the login once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", default="demo", help="Slug of the demo tenant (default: demo).")
        parser.add_argument("--email", default="owner@demo.example", help="Owner email (default: owner@demo.example).")
        parser.add_argument("--url-port", default="8000", help="Port shown in the printed URL.")

    def handle(self, *args: Any, **options: Any) -> None:
        if Tenant.objects.filter(slug=options["slug"]).exists():
            self.stdout.write(f"Demo tenant '{options['slug']}' exists; its login was printed when it was created.")
            return
        password = secrets.token_urlsafe(12)
        created = tenant_create(
            name="Demo Store (demo data)", slug=options["slug"], owner_email=options["email"], owner_password=password
        )
        self.stdout.write(
            self.style.SUCCESS(
                "\nDemo workspace created. This login is shown once; keep it:\n"
                f"  URL:      http://{created.domain}:{options['url_port']}/login/\n"
                f"  Email:    {created.owner.email}\n"
                f"  Password: {password}\n"
            )
        )
