"""The API keeps its own contract: a bounded, seeded schemathesis run over every operation of the
OpenAPI schema, in-process through the real WSGI application and all its middleware.

Each operation gets schemathesis's example, coverage (boundary and wrong-type values, undeclared
methods, missing parameters) and fuzzing phases, with a fixed number of fuzzed examples and a fixed
seed, so a failure reproduces. Every response must be no 5xx, match its documented status code,
content type, headers and schema; invalid input must be refused, an undeclared method answer 405,
and credentials be enforced. Not checked: that every schema-valid request is accepted
(``positive_data_acceptance``): the schema cannot say "an existing plan", "a cursor this API
issued", "today or earlier" or "a UTF-8 CSV", and a 400 naming the field is the right answer there.
Tenant operations are called on alpha's domain with a tenant admin API key; platform operations on
the platform domain as staff signed in with a second factor (on a tenant domain they only answer
404). The AI and payment providers are the local fakes, so those operations run their real paths
instead of answering 503.

Nothing persists: every example runs in a savepoint that is rolled back, so each one starts from the
same state (a DELETE of the very key the run authenticates with, or of a member, does not change
what the next example sees) and the test's own transaction leaves the committed tenants as they
were for the rest of the suite.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import positive_data_acceptance

from ai_engine.testing.fake_llm import fake_llm_server
from billing.testing.fake_razorpay import fake_razorpay_server
from suresh_ai.testing import TenantFixture, staff_client

SEED = 13
# Fuzzed examples per operation, on top of the explicit examples and the coverage phase's cases.
EXAMPLES = 5
CSRF_TOKEN = "schemathesis0csrf0token000000000"  # 32 characters: Django's unmasked secret length
PLATFORM_HOST = "localhost"

# Built at collection (parametrize needs the operations): drf-spectacular's generator, the same code
# that serves /api/v1/schema/, without a request.
_document = SchemaGenerator(urlconf="suresh_ai.urls_api").get_schema(request=None, public=True)
schema = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(_document)))
schema.app = WSGIHandler()
schema.config.seed = SEED
# Unknown query parameters are ignored, as DRF does everywhere (a cache-buster must not break a
# call), so a request that only adds one is not invalid input.
schema.config.generation.allow_extra_parameters = False
# A body over the size limit is refused with 413 before it is read: a rejection like a 400.
_rejection = schema.config.checks.negative_data_rejection
_rejection.expected_statuses = [*_rejection.expected_statuses, "413"]


@dataclass(frozen=True)
class Caller:
    base_url: str
    headers: dict[str, str]
    cookies: dict[str, str]


@pytest.fixture(scope="module")
def providers() -> Iterator[None]:
    """The AI gateway and Razorpay pointed at their local fakes (real SDKs, real HTTP)."""
    with (
        fake_llm_server() as (llm, llm_url),
        fake_razorpay_server() as (razorpay, razorpay_url),
        override_settings(
            GROQ_API_KEY=llm.api_key,
            GROQ_BASE_URL=llm_url,
            AI_TIMEOUT_SECONDS=2.0,
            AI_BACKOFF_SECONDS=0.01,
            RAZORPAY_KEY_ID=razorpay.key_id,
            RAZORPAY_KEY_SECRET=razorpay.key_secret,
            RAZORPAY_WEBHOOK_SECRET=razorpay.webhook_secret,
            RAZORPAY_API_BASE=razorpay_url,
            RATE_LIMIT_ENABLED=False,  # thousands of calls from one key; the limiter has its own tests
        ),
    ):
        yield


@pytest.fixture
def in_process(providers: None) -> Iterator[None]:
    """Requests run in the test's thread and transaction: keep Django from closing the connection
    at each request's start and end (Django's test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


class Callers(dict[bool, Caller]):
    """Who calls, by whether the operation is a platform one; the staff user is made on first use."""

    def __missing__(self, platform: bool) -> Caller:
        staff = staff_client("schemathesis@platform.in")
        self[platform] = Caller(
            base_url=f"http://{PLATFORM_HOST}",
            headers={"X-CSRFToken": CSRF_TOKEN},
            cookies={"sessionid": staff.cookies["sessionid"].value, "csrftoken": CSRF_TOKEN},
        )
        return self[platform]


# Credentials go on each case through schemathesis's auth hook, so that it knows them as the run's
# own and can take them away to check that the operation then refuses the call. The hook also runs
# at collection (the coverage cases are built then), before any test has a key or a session: it
# sets placeholders, and each test puts its own credentials in their place before calling.
KEY_PLACEHOLDER = "Bearer (the test's admin key)"
SESSION_PLACEHOLDER = "the-test-staff-session"


def _is_platform(case: Case) -> bool:
    return case.operation.path.startswith("/api/v1/platform/")


@schema.auth(refresh_interval=None)
class Credentials:
    def get(self, case: Case, context: schemathesis.AuthContext) -> bool:
        return _is_platform(case)

    def set(self, case: Case, platform: bool, context: schemathesis.AuthContext) -> None:
        if platform:
            case.headers = {**(case.headers or {}), "X-CSRFToken": CSRF_TOKEN}
            case.cookies = {**(case.cookies or {}), "sessionid": SESSION_PLACEHOLDER, "csrftoken": CSRF_TOKEN}
        else:
            case.headers = {**(case.headers or {}), "Authorization": KEY_PLACEHOLDER}


def _with_credentials(case: Case, caller: Caller) -> None:
    if case.headers and case.headers.get("Authorization") == KEY_PLACEHOLDER:
        case.headers["Authorization"] = caller.headers["Authorization"]
    if case.cookies and case.cookies.get("sessionid") == SESSION_PLACEHOLDER:
        case.cookies["sessionid"] = caller.cookies["sessionid"]


@pytest.fixture
def callers(alpha: TenantFixture) -> Callers:
    tenant = Caller(base_url=f"http://{alpha.host}", headers={"Authorization": f"Bearer {alpha.admin_key}"}, cookies={})
    return Callers({False: tenant})


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    # Fixtures are set up once per operation on purpose: each example is rolled back instead.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_operation_keeps_its_contract(case: Case, callers: Callers, in_process: None) -> None:
    caller = callers[_is_platform(case)]
    _with_credentials(case, caller)
    with transaction.atomic():
        case.call_and_validate(base_url=caller.base_url, excluded_checks=[positive_data_acceptance])
        transaction.set_rollback(True)
