"""The content generator, prompt library and quality pages, as a person uses them."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django_tenants.utils import schema_context

from ai_engine.models import BrandVoice, Generation, GenerationBatch, PromptVersion
from ai_engine.testing.fake_llm import FakeLLM
from suresh_ai.testing import TenantFixture, login_client, make_member
from tenants.models import Role

DESCRIBE = {
    "product_name": "Kashmiri Saffron",
    "category": "Spices",
    "features": "Grade A1\nHand-picked",
    "label": "production",
}


def test_generate_review_and_see_it_in_the_list(alpha: TenantFixture, llm: FakeLLM) -> None:
    page = login_client(alpha, make_member(alpha.tenant, Role.ANALYST))
    shown = page.get("/ai/content/?template=product_description")
    assert shown.status_code == 200
    assert 'name="product_name"' in shown.content.decode()
    posted = page.post("/ai/content/?template=product_description", DESCRIBE)
    assert posted.status_code == 302  # shown on a GET: reloading never spends another AI request
    html = page.get(posted["Location"]).content.decode()
    assert "Quality " in html
    assert " / 10" in html
    sent = llm.requests[-1]["messages"][1]["content"]
    assert "Features: Grade A1, Hand-picked." in sent  # one per line became a list
    with schema_context(alpha.tenant.schema_name):
        generation = Generation.objects.get()
    reviewed = page.post(
        f"/ai/content/{generation.pk}/review/", {"rating": "4", "edited_output": "Better words.", "used": "on"}
    )
    assert reviewed.status_code == 302
    with schema_context(alpha.tenant.schema_name):
        generation.refresh_from_db()
    assert (generation.rating, generation.edited_output, generation.used_at is not None) == (4, "Better words.", True)


def test_missing_variables_are_shown_on_the_form_without_a_call(alpha: TenantFixture, llm: FakeLLM) -> None:
    page = login_client(alpha, alpha.owner)
    html = page.post("/ai/content/?template=product_description", {"label": "production"}).content.decode()
    assert "This field is required." in html
    assert sum(llm.calls.values()) == 0


def test_without_a_provider_the_content_page_names_the_setting(alpha: TenantFixture) -> None:
    with override_settings(GROQ_API_KEY="", AI_OPENAI_BASE_URL=""):
        html = login_client(alpha, alpha.owner).post("/ai/content/?template=product_description", DESCRIBE)
    assert "GROQ_API_KEY" in html.content.decode()


def test_batch_from_a_csv(
    alpha: TenantFixture, llm: FakeLLM, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    page = login_client(alpha, alpha.owner)
    bad = b"product_name,category,features\nTea,Drinks,Assam;Strong\n,Drinks,Green\n"
    response = page.post(
        "/ai/content/batches/product_description/",
        {"file": SimpleUploadedFile("items.csv", bad, "text/csv"), "label": "production"},
        follow=True,
    )
    assert "Nothing was queued. Line 3: Product name: required." in response.content.decode()
    odd = b"Product Name,category,colour\nTea,Drinks,red\n"
    response = page.post(
        "/ai/content/batches/product_description/",
        {"file": SimpleUploadedFile("items.csv", odd, "text/csv"), "label": "production"},
        follow=True,
    )
    assert "Unknown column(s): colour. Product description takes: business_name, product_name" in (
        response.content.decode()
    )
    good = b"product_name,category,features\nTea,Drinks,Assam;Strong\n,,\n\nCoffee,Drinks,Coorg\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(
            "/ai/content/batches/product_description/",
            {"file": SimpleUploadedFile("items.csv", good, "text/csv"), "label": "production"},
            follow=True,
        )
    assert "queued: 2 items" in response.content.decode()
    with schema_context(alpha.tenant.schema_name):
        batch = GenerationBatch.objects.get()
        assert (batch.status, batch.succeeded) == ("done", 2)
        assert Generation.objects.get(batch_index=0).variables["features"] == ["Assam", "Strong"]
    assert "<progress" in page.get("/ai/content/").content.decode()


def test_the_page_uses_the_ab_split_for_a_customer(alpha: TenantFixture, llm: FakeLLM) -> None:
    client = alpha.key_client()
    client.post(
        "/api/v1/ai/prompts/product_description/versions/",
        {"system": "Short.", "user": "On $product_name."},
        content_type="application/json",
    )
    client.patch(
        "/api/v1/ai/prompts/product_description/",
        {"split": [{"version": 1, "weight": 1}, {"version": 2, "weight": 99}]},
        content_type="application/json",
    )
    page = login_client(alpha, alpha.owner)
    page.post("/ai/content/?template=product_description", {**DESCRIBE, "label": "", "subject": "cust-2"})
    with schema_context(alpha.tenant.schema_name):
        generation = Generation.objects.get()
    assert (generation.assignment, generation.subject) == ("split", "cust-2")


def test_prompt_library_pages(alpha: TenantFixture, llm: FakeLLM) -> None:
    owner = login_client(alpha, alpha.owner)
    assert "Product description" in owner.get("/ai/prompts/").content.decode()
    saved = owner.post(
        "/ai/prompts/", {"tone": "friendly", "audience": "", "words_to_use": "", "words_to_avoid": "cheap, bargain"}
    )
    assert saved.status_code == 302
    with schema_context(alpha.tenant.schema_name):
        assert BrandVoice.objects.get().words_to_avoid == ["cheap", "bargain"]
    bad = owner.post(
        "/ai/prompts/summary/",
        {"action": "version", "system": "S", "user": "Sum up $txt", "temperature": "0.2", "max_tokens": "300"},
    )
    assert "Unknown variable(s): txt" in bad.content.decode()
    added = owner.post(
        "/ai/prompts/summary/",
        {"action": "version", "system": "S", "user": "Sum up $text", "temperature": "0.2", "max_tokens": "300"},
    )
    assert added.status_code == 302
    owner.post("/ai/prompts/summary/label/", {"label": "production", "version": "2"})
    html = owner.get("/ai/prompts/summary/").content.decode()
    assert "Production: <strong>v2</strong>" in html
    assert "production v1 → v2" in html
    with schema_context(alpha.tenant.schema_name):
        assert PromptVersion.objects.filter(template__key="summary").count() == 2
    analyst = login_client(alpha, make_member(alpha.tenant, Role.ANALYST))
    assert analyst.post("/ai/prompts/summary/label/", {"label": "production", "version": "1"}).status_code == 403
    assert analyst.post("/ai/prompts/", {"tone": "rude"}).status_code == 403


def test_quality_page_has_the_chart(alpha: TenantFixture, llm: FakeLLM) -> None:
    page = login_client(alpha, alpha.owner)
    assert "No generations in this period." in page.get("/ai/quality/").content.decode()
    page.post("/ai/content/?template=product_description", DESCRIBE)
    html = page.get("/ai/quality/?days=30").content.decode()
    assert "pygal-chart" in html
    assert "llama-3.3-70b-versatile" in html


def test_viewers_do_not_get_the_content_pages(alpha: TenantFixture) -> None:
    viewer = login_client(alpha, make_member(alpha.tenant, Role.VIEWER))
    for path in ("/ai/content/", "/ai/prompts/", "/ai/quality/"):
        assert viewer.get(path).status_code == 403, path


def test_choices_are_case_insensitive_on_input(
    alpha: TenantFixture, llm: FakeLLM, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    """The form shows "Google"; a CSV typed from it says "Google" (or "GOOGLE"): stored as defined."""
    page = login_client(alpha, alpha.owner)
    assert ">Google</option>" in page.get("/ai/content/?template=ad_copy").content.decode()
    rows = b"product_name,platform,audience\nTea,Google,tea lovers\nCoffee,META,night owls\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(
            "/ai/content/batches/ad_copy/",
            {"file": SimpleUploadedFile("ads.csv", rows, "text/csv"), "label": "production"},
            follow=True,
        )
    assert "queued: 2 items" in response.content.decode()
    with schema_context(alpha.tenant.schema_name):
        assert [g.variables["platform"] for g in Generation.objects.order_by("batch_index")] == ["google", "meta"]
    wrong = b"product_name,platform,audience\nTea,Gogle,tea lovers\n"
    response = page.post(
        "/ai/content/batches/ad_copy/",
        {"file": SimpleUploadedFile("ads.csv", wrong, "text/csv"), "label": "production"},
        follow=True,
    )
    assert "Line 2: Ad platform: choose one of: google, meta." in response.content.decode()
