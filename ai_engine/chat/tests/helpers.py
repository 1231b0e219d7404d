"""Test steps shared by the chatbot's tests: a small knowledge base, SSE reading, the widget's client."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from ai_engine.chat import services
from ai_engine.chat.models import KnowledgeSource
from ai_engine.testing.sse import sse_events
from suresh_ai.testing import TenantFixture

JSON = "application/json"
BOT_MODEL = "llama-3.1-8b-instant"  # first on the "short" route
SHOP = "https://shop.alpha.in"


def kb(fixture: TenantFixture) -> dict[str, KnowledgeSource]:
    """Three FAQ entries and a product in the tenant's schema."""
    with schema_context(fixture.tenant.schema_name):
        return {
            "refund": services.knowledge_faq_create(
                question="What is your refund policy?",
                answer="Unopened items can be returned within 7 days for a full refund to the original payment.",
            ),
            "shipping": services.knowledge_faq_create(
                question="How long does shipping take?",
                answer="We ship across India in 3 to 5 working days. Shipping is free above Rs 500.",
            ),
            "cod": services.knowledge_faq_create(
                question="Do you offer cash on delivery?",
                answer="Yes, cash on delivery is available for orders under Rs 2,000.",
            ),
            "pickle": services.knowledge_product_create(
                name="Mango pickle",
                sku="MP-500",
                price_paise=25_000,
                description="Homemade raw mango pickle in cold-pressed mustard oil, 500 g jar.",
                url="https://shop.alpha.in/p/mango-pickle",
            ),
        }


events = sse_events


def streamed_text(pairs: list[tuple[str, Any]]) -> str:
    return "".join(data["delta"] for name, data in pairs if name == "message")


def widget_setup(fixture: TenantFixture, origins: list[str] | None = None) -> str:
    """Allow the shop's origin; the site key."""
    with schema_context(fixture.tenant.schema_name):
        return services.chat_settings_update(data={"allowed_origins": origins or [SHOP]}).site_key


def widget_client(fixture: TenantFixture, key: str, origin: str | None = SHOP) -> Client:
    extra = {"HTTP_X_SITE_KEY": key}
    if origin is not None:
        extra["HTTP_ORIGIN"] = origin
    return Client(HTTP_HOST=fixture.host, **extra)


def chat_objects(fixture: TenantFixture) -> dict[str, int]:
    """A knowledge source and a conversation (with a message) for object-level isolation checks.
    Each schema numbers its rows from its own sequence, so this tenant's sequences are first moved
    past every other tenant's: the ids then never exist in another tenant, and a 404 there means
    isolation, not an id that happens to be missing."""
    from django.db import connection

    from tenants.models import Tenant

    schemas = list(Tenant.objects.exclude(schema_name="public").values_list("schema_name", flat=True))
    with connection.cursor() as cursor:
        for table in ("ai_chat_knowledgesource", "ai_chat_conversation"):
            highest = 1
            for schema in schemas:
                cursor.execute(f'SELECT last_value FROM "{schema}".{table}_id_seq')  # noqa: S608 - our own names
                highest = max(highest, cursor.fetchone()[0])
            cursor.execute("SELECT setval(%s, %s)", [f'"{fixture.tenant.schema_name}".{table}_id_seq', highest])
    with schema_context(fixture.tenant.schema_name):
        source = services.knowledge_faq_create(question="Do you gift-wrap?", answer="Yes, for Rs 30.")
        conversation = services.conversation_start(channel="staff").conversation
        services.conversation_agent_reply(conversation=conversation, content="Hello from the team", user_id=None)
    return {"chat_source": source.pk, "chat_conversation": conversation.pk}
