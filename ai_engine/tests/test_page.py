"""The AI page: usage with a chart, the playground, the latest requests."""

from __future__ import annotations

from django.test import override_settings

from ai_engine.testing.fake_llm import FakeLLM
from suresh_ai.testing import TenantFixture, login_client, make_member
from tenants.models import Role


def test_the_playground_answers_and_the_usage_counts_it(alpha: TenantFixture, llm: FakeLLM) -> None:
    page = login_client(alpha, alpha.owner)
    shown = page.get("/ai/")
    assert shown.status_code == 200
    assert "0</strong> of 10,000 AI requests used" in shown.content.decode()
    asked = page.post("/ai/", {"task": "short", "prompt": "Write a thank-you line", "use_cache": "on"})
    html = asked.content.decode()
    assert "[fake llama-3.1-8b-instant] reply to: Write a thank-you line" in html
    assert "1</strong> of 10,000 AI requests used" in html
    assert "pygal-chart" in html  # the requests-per-day chart
    assert html.count("llama-3.1-8b-instant") >= 2  # the answer and the latest-requests table


def test_without_a_provider_the_page_names_the_setting(alpha: TenantFixture) -> None:
    with override_settings(GROQ_API_KEY="", AI_OPENAI_BASE_URL=""):
        html = login_client(alpha, alpha.owner).post("/ai/", {"task": "short", "prompt": "hi"}).content.decode()
    assert "GROQ_API_KEY" in html


def test_viewers_do_not_get_the_ai_page(alpha: TenantFixture) -> None:
    viewer = login_client(alpha, make_member(alpha.tenant, Role.VIEWER))
    assert viewer.get("/ai/").status_code == 403
