"""Create the labelled demo tenant and its owner once, printing the login a single time; or give
its owner a new password (--reset-password) when the first one is lost."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from suresh_ai.errors import ApplicationError
from tenants.services import DemoLogin, demo_ensure, demo_password_reset


def login_lines(login: DemoLogin, port: str) -> str:
    url = f"http://{login.url_host}:{port}/login/" if port else f"http://{login.url_host}/login/"
    password = login.password or "(set when the demo was created; `make demo-password` gives it a new one)"
    return f"  URL:      {url}\n  Email:    {login.email}\n  Password: {password}\n"


class Command(BaseCommand):
    help = "If no tenant with the given slug exists, create it with an owner and print the login once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", default="demo", help="Slug of the demo tenant (default: demo).")
        parser.add_argument("--email", default="owner@demo.example", help="Owner email (default: owner@demo.example).")
        parser.add_argument("--url-port", default="8000", help="Port shown in the printed URL.")
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help="Give the demo owner a new random password and print it (the old one stops working).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["reset_password"]:
            try:
                login = demo_password_reset(slug=options["slug"])
            except ApplicationError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(self.style.SUCCESS("New demo password:\n" + login_lines(login, options["url_port"])))
            return
        login = demo_ensure(slug=options["slug"], email=options["email"])
        if login.password is None:
            self.stdout.write(
                f"Demo tenant '{options['slug']}' exists; its login was printed when it was created "
                "(`make demo-password` gives its owner a new one)."
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                "\nDemo workspace created. This login is shown once; keep it:\n"
                + login_lines(login, options["url_port"])
            )
        )
