"""What a newcomer trips over: the demo login, one workspace-address rule everywhere, and a sign-up
that tells nobody whether an email has an account and signs the new owner in."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from suresh_ai.errors import ValidationFailed
from suresh_ai.testing import PASSWORD, TenantFixture, login_client, make_member, staff_client
from tenants.forms import SignupForm, TenantCreateForm
from tenants.models import Membership, Role, Tenant, User, workspace_address_suggestion
from tenants.services import tenant_create, welcome_token


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _password(output: str) -> str:
    return next(line.split(":", 1)[1].strip() for line in output.splitlines() if "Password:" in line)


def test_ensure_demo_reset_password_gives_a_new_working_password(db: None) -> None:
    first = _password(_run("ensure_demo", "--slug", "demo-reset", "--url-port", "8123"))
    reset = _run("ensure_demo", "--slug", "demo-reset", "--reset-password", "--url-port", "8123")
    assert "http://demo-reset.localhost:8123/login/" in reset
    second = _password(reset)
    assert second != first
    client = Client(HTTP_HOST="demo-reset.localhost")
    assert client.post("/login/", {"username": "owner@demo.example", "password": first}).status_code == 200
    assert client.post("/login/", {"username": "owner@demo.example", "password": second}).url == "/"
    with pytest.raises(CommandError, match="No workspace 'nope'"):
        _run("ensure_demo", "--slug", "nope", "--reset-password")


BAD = {
    "my_shop": "Use only lowercase letters (a-z), digits and hyphens: '_' can't be used.",
    "My-Shop": "Use only lowercase letters (a-z), digits and hyphens: 'M', 'S' can't be used; use lowercase letters.",
    "ab": "Use 3 to 40 characters (this has 2).",
    "9lives": "Start with a letter.",
    "shop-": "End with a letter or digit, not a hyphen.",
}


@pytest.mark.parametrize(("address", "message"), BAD.items())
def test_one_workspace_address_rule_in_form_api_model_and_service(db: None, address: str, message: str) -> None:
    form = SignupForm({"company": "Shop", "slug": address, "email": "x@shop.in"})
    assert not form.is_valid()
    assert form.errors["slug"] == [message]
    admin_form = TenantCreateForm({"name": "Shop", "slug": address, "owner_email": "x@shop.in"})
    assert not admin_form.is_valid()
    assert admin_form.errors["slug"] == [message]
    api = staff_client().post(
        "/api/v1/platform/tenants/",
        {"name": "Shop", "slug": address, "owner_email": "x@shop.in", "owner_password": PASSWORD},
        content_type="application/json",
    )
    assert api.status_code == 400
    assert api.json()["detail"]["slug"] == [message]
    with pytest.raises(ValidationError) as model_error:
        Tenant(name="Shop", slug=address, schema_name="t_shop").full_clean()
    assert model_error.value.message_dict["slug"] == [message]
    with pytest.raises(ValidationFailed) as service_error:
        tenant_create(name="Shop", slug=address, owner_email="x@shop.in", owner_password=PASSWORD)
    assert service_error.value.detail == {"slug": [message]}


def test_a_good_address_passes_every_check(db: None) -> None:
    assert SignupForm({"company": "Shop", "slug": "my-shop-2", "email": "x@shop.in"}).is_valid()
    Tenant(name="Shop", slug="my-shop-2", schema_name="t_my_shop_2").full_clean(validate_unique=False)


@pytest.mark.parametrize(
    ("name", "address"),
    [
        ("Kappa Crafts", "kappa-crafts"),
        ("Café Délice & Co.", "cafe-delice-co"),
        ("  42 Spices_Mart ", "spices-mart"),
        ("Ab", ""),
        ("x" * 60, "x" * 40),
    ],
)
def test_address_suggested_from_the_business_name(name: str, address: str) -> None:
    assert workspace_address_suggestion(name) == address


# --- Sign-up by email: the same answer whether or not the email has an account -------------------

SIGNUP_LINK = re.compile(r"http://localhost(/signup/confirm/[^/\s]+/)")


def _sign_up(capture, form: dict[str, str]) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """POST the form; return the page and the emailed link's path."""
    mail.outbox.clear()
    with capture(execute=True):
        page = Client(HTTP_HOST="localhost").post("/signup/", form).content.decode()
    [message] = mail.outbox
    link = SIGNUP_LINK.search(message.body)
    assert link is not None, message.body
    return page, link.group(1)


def test_signup_answers_alike_for_a_new_and_a_known_email(
    alpha: TenantFixture, eager_tasks: None, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    new_page, _ = _sign_up(
        django_capture_on_commit_callbacks, {"company": "Gamma Goods", "slug": "gamma", "email": "g@gamma.in"}
    )
    new_mail = mail.outbox[0]
    known_page, _ = _sign_up(
        django_capture_on_commit_callbacks, {"company": "Gamma Goods", "slug": "gamma", "email": "OWNER@alpha.in"}
    )
    known_mail = mail.outbox[0]
    # The pages differ only in the address typed in; nothing says whether an account exists.
    assert new_page.replace("g@gamma.in", "EMAIL") == known_page.replace("OWNER@alpha.in", "EMAIL")
    assert "Check your email" in new_page
    assert "password" not in new_page.lower().replace("set your password", "")
    # Only the inbox's owner learns it, by email.
    assert "choose your password" in new_mail.body
    assert "enter your account's password" in known_mail.body
    assert not Tenant.objects.filter(slug="gamma").exists()
    assert not User.objects.filter(email="g@gamma.in").exists()


def test_new_person_confirms_chooses_a_password_and_is_signed_in(
    db: None, eager_tasks: None, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    # The address is suggested from the business name when left empty.
    _, link = _sign_up(django_capture_on_commit_callbacks, {"company": "Kappa Crafts", "email": "k@kappa.in"})
    public = Client(HTTP_HOST="localhost")
    page = public.get(link).content.decode()
    assert "kappa-crafts.localhost" in page
    assert "Choose a password" in page
    assert "at least 12 characters" in public.post(link, {"password": "short"}).content.decode()
    handoff = public.post(link, {"password": PASSWORD})
    assert handoff.status_code == 302
    assert handoff.url.startswith("http://kappa-crafts.localhost/welcome/")
    browser = Client(HTTP_HOST="kappa-crafts.localhost")
    welcome = browser.get(handoff.url.removeprefix("http://kappa-crafts.localhost"), follow=True)
    home = welcome.content.decode()
    assert "Your workspace Kappa Crafts is ready, and you are signed in." in home
    assert "Welcome to Kappa Crafts" in home
    assert Membership.objects.get(user__email="k@kappa.in").role == Role.OWNER
    # The ticket works once; the link then says the workspace exists.
    again = Client(HTTP_HOST="kappa-crafts.localhost").get(handoff.url.removeprefix("http://kappa-crafts.localhost"))
    assert again.url == "/login/"
    assert "This link has already created its workspace" in public.get(link).content.decode()


def test_known_account_adds_the_workspace_with_its_password(
    alpha: TenantFixture, eager_tasks: None, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    _, link = _sign_up(
        django_capture_on_commit_callbacks, {"company": "Second Shop", "slug": "second-shop", "email": "OWNER@alpha.in"}
    )
    public = Client(HTTP_HOST="localhost")
    assert "This email has an account" in public.get(link).content.decode()
    wrong = public.post(link, {"password": "not-the-password-1"})
    assert "That password is wrong for this account." in wrong.content.decode()
    assert not Tenant.objects.filter(slug="second-shop").exists()
    handoff = public.post(link, {"password": PASSWORD})
    browser = Client(HTTP_HOST="second-shop.localhost")
    home = browser.get(handoff.url.removeprefix("http://second-shop.localhost"), follow=True).content.decode()
    assert "Your workspace Second Shop is ready" in home
    assert Membership.objects.get(tenant__slug="second-shop").user == alpha.owner


def test_signup_link_cannot_be_altered(db: None) -> None:
    page = Client(HTTP_HOST="localhost").get("/signup/confirm/not-a-real-token/")
    assert page.status_code == 400
    assert "not valid or is over a day old" in page.content.decode()


def test_welcome_ticket_only_works_on_its_own_workspace(alpha: TenantFixture, beta: TenantFixture) -> None:
    ticket = welcome_token(user=alpha.owner, tenant=alpha.tenant)
    assert beta.client().get(f"/welcome/{ticket}/").url == "/login/"
    assert alpha.client().get(f"/welcome/{ticket}/").url == "/"


def test_home_shows_each_role_only_the_steps_it_can_take(alpha: TenantFixture) -> None:
    owner = login_client(alpha, alpha.owner).get("/").content.decode()
    assert "Invite your team" in owner
    assert '<a href="/analytics/data/">Import a CSV</a> of customers, orders, payments, events or spend' in owner
    assert '<a href="/api-keys/">create an API key</a>' in owner
    analyst = login_client(alpha, make_member(alpha.tenant, Role.ANALYST)).get("/").content.decode()
    for owner_only in ("Invite your team", "Make it yours", 'href="/api-keys/"', 'href="/branding/"'):
        assert owner_only not in analyst
    assert '<a href="/analytics/data/">Import a CSV</a>' in analyst
    viewer = login_client(alpha, make_member(alpha.tenant, Role.VIEWER)).get("/").content.decode()
    for not_theirs in ("Invite your team", "Import a CSV", 'href="/api-keys/"', 'href="/ai/content/"'):
        assert not_theirs not in viewer
    assert 'See the <a href="/analytics/">dashboards</a>' in viewer
