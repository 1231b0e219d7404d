"""Prompt library and content generator through the API, the real SDKs and the fake provider."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from ai_engine.models import AIRequest, Generation, GenerationBatch, PromptVersion
from ai_engine.prompt_library import BUILTINS
from ai_engine.quota import quota_key
from ai_engine.services.prompts import split_bucket
from ai_engine.testing.fake_llm import FakeLLM
from suresh_ai.redisclient import redis_client
from suresh_ai.testing import TenantFixture

JSON = "application/json"
LONG = "llama-3.3-70b-versatile"
SHORT = "llama-3.1-8b-instant"
GOOD_DESCRIPTION = (
    "Meet Alphonso Mango Pickle, made in small batches from ripe Ratnagiri mangoes. Every jar is "
    "cut by hand, cured in cold-pressed mustard oil and spiced with fenugreek and red chilli for a "
    "bright, tangy taste. It keeps for a year without a fridge and goes with dal, rice, parathas "
    "and curd rice. Open a jar and the kitchen smells like summer at home. The oil is pressed "
    "fresh each week, the salt is rock salt, and there is nothing else in the jar: no vinegar, no "
    "colour, no preservative. Order two jars and keep one for the rainy days."
)
PICKLE = {
    "product_name": "Alphonso Mango Pickle",
    "category": "Pickles",
    "features": ["hand-cut", "cold-pressed mustard oil", "no preservatives"],
}


def _generate(fixture: TenantFixture, **body: Any) -> Any:
    payload = {"template": "product_description", "variables": PICKLE, **body}
    return fixture.key_client().post("/api/v1/ai/generations/", payload, content_type=JSON)


def test_every_workspace_starts_with_the_twelve_builtins_labelled(alpha: TenantFixture) -> None:
    response = alpha.key_client().get("/api/v1/ai/prompts/?page_size=50")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert sorted(r["key"] for r in rows) == sorted(t.key for t in BUILTINS)
    assert len(rows) == 12
    assert all((r["production"], r["staging"]) == (1, 1) for r in rows)


def test_variables_are_checked_before_any_model_call(alpha: TenantFixture, llm: FakeLLM) -> None:
    response = _generate(
        alpha, variables={"category": 7, "features": "not a list", "colour": "red", "product_name": ""}
    )
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert set(detail) == {
        "variables.product_name",
        "variables.category",
        "variables.features",
        "variables.colour",
    }
    assert detail["variables.category"] == ["Category: must be text."]
    assert detail["variables.product_name"] == ["Product name: required."]
    assert sum(llm.calls.values()) == 0
    with schema_context(alpha.tenant.schema_name):
        assert not AIRequest.objects.exists()
        assert not Generation.objects.exists()


def test_a_generation_is_stored_metered_and_scored(alpha: TenantFixture, llm: FakeLLM) -> None:
    alpha.key_client().patch(
        "/api/v1/ai/brand-voice/",
        {"tone": "warm and homely", "words_to_avoid": ["cheap"], "audience": "home cooks"},
        content_type=JSON,
    )
    llm.replies[LONG] = GOOD_DESCRIPTION
    response = _generate(alpha)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["template"], data["version"], data["assignment"]) == ("product_description", 1, "production")
    assert (data["output"], data["model"], data["cached"]) == (GOOD_DESCRIPTION, LONG, False)
    assert data["variables"]["business_name"] == "Alpha Traders"  # the workspace's own name by default
    # What the model saw: the rendered template, with the brand voice in the system prompt.
    sent = llm.requests[-1]["messages"]
    assert "You write for Alpha Traders" in sent[0]["content"]
    assert sent[0]["content"].endswith(
        "Brand voice. Tone: warm and homely. Audience: home cooks. Never use these words: cheap."
    )
    assert "Features: hand-cut, cold-pressed mustard oil, no preservatives." in sent[1]["content"]
    checks = {c["name"]: c for c in data["quality_checks"]}
    assert set(checks) == {"mentions", "length", "format", "banned_words", "readability"}
    assert [checks[n]["passed"] for n in ("mentions", "length", "format", "banned_words")] == [1.0, 1.0, 1.0, 1.0]
    with schema_context(alpha.tenant.schema_name):
        generation = Generation.objects.get()
        record = AIRequest.objects.get()
    assert (record.template, record.template_version, record.task) == ("product_description", 1, "long_form")
    assert generation.ai_request_id == record.pk
    assert generation.cost_usd_micros == record.cost_usd_micros > 0
    readability = checks["readability"]["passed"]
    expected = (Decimal(9) + Decimal(str(readability))) * 10 / 10
    assert generation.quality_score == expected.quantize(Decimal("0.01"))


def test_a_weak_answer_scores_low_for_the_reasons_given(alpha: TenantFixture, llm: FakeLLM) -> None:
    llm.replies[LONG] = "# Pickle\nGuaranteed best pickle. Buy now."
    data = _generate(alpha).json()
    checks = {c["name"]: c for c in data["quality_checks"]}
    assert checks["mentions"]["detail"] == "missing: product_name"
    assert checks["length"]["detail"] == "6 words, fewer than 60"
    assert checks["format"]["detail"] == "has Markdown headings"
    assert checks["banned_words"]["detail"] == "found: guaranteed"
    assert Decimal(data["quality_score"]) <= Decimal("1.00")


def test_versions_labels_and_rollback(alpha: TenantFixture, llm: FakeLLM) -> None:
    client = alpha.key_client()
    base = "/api/v1/ai/prompts/product_description/"
    bad = client.post(base + "versions/", {"system": "You write.", "user": "About $produkt"}, content_type=JSON)
    assert bad.status_code == 400
    assert "Unknown variable(s): produkt" in bad.json()["detail"]["user"][0]
    created = client.post(
        base + "versions/",
        {"system": "You write for $business_name.", "user": "Two lines on $product_name.", "temperature": 0.3},
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    assert (created.json()["number"], created.json()["origin"]) == (2, "workspace")
    assert client.post(base + "labels/", {"label": "staging", "version": 2}, content_type=JSON).status_code == 200
    staged = _generate(alpha, label="staging").json()
    assert (staged["version"], staged["assignment"]) == (2, "staging")
    assert llm.requests[-1]["messages"][1]["content"] == "Two lines on Alphonso Mango Pickle."
    assert llm.requests[-1]["temperature"] == 0.3
    assert _generate(alpha).json()["version"] == 1  # production has not moved
    promoted = client.post(base + "labels/", {"label": "production", "version": 2}, content_type=JSON).json()
    assert promoted["production"] == 2
    rolled_back = client.post(base + "labels/", {"label": "production", "version": 1}, content_type=JSON).json()
    assert rolled_back["production"] == 1
    history = [(m["label"], m["from_number"], m["to_number"]) for m in rolled_back["label_history"]]
    assert history[:3] == [("production", 2, 1), ("production", 1, 2), ("staging", 1, 2)]
    missing = client.post(base + "labels/", {"label": "production", "version": 9}, content_type=JSON)
    assert missing.status_code == 400
    assert missing.json()["detail"] == {"version": ["Product description has no version 9."]}


def test_versions_are_immutable_in_the_database(alpha: TenantFixture) -> None:
    alpha.key_client().get("/api/v1/ai/prompts/")
    with schema_context(alpha.tenant.schema_name):
        version = PromptVersion.objects.get(template__key="summary", number=1)
        with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
            PromptVersion.objects.filter(pk=version.pk).update(user="changed")
        assert PromptVersion.objects.get(pk=version.pk).user == version.user


def test_prompt_ab_split_is_deterministic_per_subject(alpha: TenantFixture, llm: FakeLLM) -> None:
    client = alpha.key_client()
    base = "/api/v1/ai/prompts/product_description/"
    client.post(base + "versions/", {"system": "Short.", "user": "On $product_name."}, content_type=JSON)
    bad = client.patch(base, {"split": [{"version": 1, "weight": 50}, {"version": 7, "weight": 50}]}, content_type=JSON)
    assert bad.status_code == 400
    assert bad.json()["detail"] == {"split": ["Entry 1: version must be one of [1, 2]."]}
    split = [{"version": 1, "weight": 30}, {"version": 2, "weight": 70}]
    assert client.patch(base, {"split": split}, content_type=JSON).json()["split"] == split
    seen: dict[str, int] = {}
    for i in range(20):
        data = _generate(alpha, subject=f"customer-{i}", cache=False).json()
        assert data["assignment"] == "split"
        seen[f"customer-{i}"] = data["version"]
        expected = 1 if split_bucket("product_description", f"customer-{i}", 100) < 30 else 2
        assert data["version"] == expected
    assert set(seen.values()) == {1, 2}
    again = _generate(alpha, subject="customer-3").json()
    assert again["version"] == seen["customer-3"]  # the same customer always gets the same version
    assert _generate(alpha).json()["assignment"] == "production"  # no subject: production


def test_rate_edit_and_mark_used(alpha: TenantFixture, llm: FakeLLM) -> None:
    generation = _generate(alpha).json()
    url = f"/api/v1/ai/generations/{generation['id']}/"
    client = alpha.key_client()
    bad = client.patch(url, {"rating": 6}, content_type=JSON)
    assert bad.status_code == 400
    assert "rating" in bad.json()["detail"]
    updated = client.patch(url, {"rating": 4, "edited_output": "My own words.", "used": True}, content_type=JSON).json()
    assert (updated["rating"], updated["edited_output"], updated["used"]) == (4, "My own words.", True)
    assert updated["output"] == generation["output"]  # the original stays beside the edit
    listed = client.get("/api/v1/ai/generations/?used=true").json()["results"]
    assert [g["id"] for g in listed] == [generation["id"]]
    assert client.get("/api/v1/ai/generations/?used=false").json()["results"] == []


def test_template_cache_lifetime(alpha: TenantFixture, llm: FakeLLM) -> None:
    assert _generate(alpha).json()["cached"] is False
    assert _generate(alpha).json()["cached"] is True  # identical request within the default 5 minutes
    assert sum(llm.calls.values()) == 1
    alpha.key_client().patch("/api/v1/ai/prompts/product_description/", {"cache_ttl_seconds": 0}, content_type=JSON)
    assert _generate(alpha, variables={**PICKLE, "category": "Relish"}).json()["cached"] is False
    assert _generate(alpha, variables={**PICKLE, "category": "Relish"}).json()["cached"] is False
    assert sum(llm.calls.values()) == 3


def test_batch_generation_with_progress(
    alpha: TenantFixture, llm: FakeLLM, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    client = alpha.key_client()
    items = [{**PICKLE, "product_name": f"Pickle {i}"} for i in range(3)]
    invalid = client.post(
        "/api/v1/ai/generation-batches/",
        {"template": "product_description", "items": [items[0], {"category": "x"}]},
        content_type=JSON,
    )
    assert invalid.status_code == 400
    assert invalid.json()["detail"]["items.1.variables.product_name"] == ["Product name: required."]
    with schema_context(alpha.tenant.schema_name):
        assert not GenerationBatch.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/ai/generation-batches/", {"template": "product_description", "items": items}, content_type=JSON
        )
    assert response.status_code == 202
    batch = client.get(f"/api/v1/ai/generation-batches/{response.json()['id']}/").json()
    assert (batch["status"], batch["succeeded"], batch["failed"], batch["progress"]) == ("done", 3, 0, 1.0)
    assert sum(llm.calls.values()) == 3
    from ai_engine.tasks import generation_batch_run

    with schema_context(alpha.tenant.schema_name):
        generation_batch_run.apply(kwargs={"batch_id": batch["id"]})  # a rerun repeats nothing
        names = sorted(g.variables["product_name"] for g in Generation.objects.filter(batch_id=batch["id"]))
    assert names == ["Pickle 0", "Pickle 1", "Pickle 2"]
    assert sum(llm.calls.values()) == 3


def test_a_batch_stops_when_the_quota_runs_out_and_keeps_what_it_made(
    alpha: TenantFixture, llm: FakeLLM, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    redis_client().set(quota_key(alpha.tenant.schema_name, timezone.now()), 9_998)  # Pro: 2 left
    items = [{**PICKLE, "product_name": f"Pickle {i}"} for i in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        response = alpha.key_client().post(
            "/api/v1/ai/generation-batches/", {"template": "product_description", "items": items}, content_type=JSON
        )
    batch = alpha.key_client().get(f"/api/v1/ai/generation-batches/{response.json()['id']}/").json()
    assert (batch["status"], batch["succeeded"], batch["failed"]) == ("failed", 2, 0)
    assert batch["stop_reason"] == "This workspace has used its 10000 AI requests for the month."
    assert batch["progress"] == 0.4


def test_llm_judge_scores_on_the_rubric_when_enabled(
    alpha: TenantFixture, llm: FakeLLM, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    turned_on = alpha.key_client().patch("/api/v1/ai/settings/", {"judge_enabled": True}, content_type=JSON)
    assert turned_on.json()["judge_enabled"] is True
    llm.replies[LONG] = GOOD_DESCRIPTION
    llm.replies[SHORT] = 'Verdict: {"score": 8.5, "reason": "Specific and clear."}'
    with django_capture_on_commit_callbacks(execute=True):
        created = _generate(alpha).json()
    data = alpha.key_client().get(f"/api/v1/ai/generations/{created['id']}/").json()
    assert (data["judge_score"], data["judge_reason"]) == ("8.50", "Specific and clear.")
    judge_prompt = llm.requests[-1]["messages"]
    assert judge_prompt[0]["content"].startswith("You grade marketing and customer-service text")
    assert GOOD_DESCRIPTION in judge_prompt[1]["content"]


def test_quality_report_by_template_version_and_model(alpha: TenantFixture, llm: FakeLLM) -> None:
    client = alpha.key_client()
    llm.replies[LONG] = GOOD_DESCRIPTION
    first = _generate(alpha).json()
    second = _generate(alpha, variables={**PICKLE, "category": "Relish"}).json()
    client.patch(f"/api/v1/ai/generations/{first['id']}/", {"rating": 5}, content_type=JSON)
    client.patch(f"/api/v1/ai/generations/{second['id']}/", {"rating": 2, "used": True}, content_type=JSON)
    report = client.get("/api/v1/ai/quality/").json()
    assert report["rows"] == [
        {
            "template": "product_description",
            "version": 1,
            "model": LONG,
            "generations": 2,
            "avg_quality": float(first["quality_score"]),
            "avg_judge": None,
            "avg_rating": 3.5,
            "rated": 2,
            "used": 1,
        }
    ]
    assert [(w["template"], w["generations"]) for w in report["weekly"]] == [("product_description", 2)]
    assert client.get("/api/v1/ai/quality/?days=0").json()["detail"] == {
        "days": ["A whole number of days from 1 to 365."]
    }


def test_brand_voice_validation(alpha: TenantFixture) -> None:
    response = alpha.key_client().patch(
        "/api/v1/ai/brand-voice/", {"words_to_avoid": ["ok", "<script>"]}, content_type=JSON
    )
    assert response.status_code == 400
    assert "words_to_avoid" in response.json()["detail"]


def test_split_bucket_is_stable() -> None:
    # Fixed values: a change to the hashing would move customers between versions mid-test.
    buckets = Counter(split_bucket("welcome_email", f"c{i}", 100) < 50 for i in range(1000))
    assert split_bucket("welcome_email", "c1", 100) == split_bucket("welcome_email", "c1", 100)
    assert 450 < buckets[True] < 550


def test_quality_follows_the_request_and_plain_typography(alpha: TenantFixture, llm: FakeLLM) -> None:
    long_text = "word " * 300
    llm.replies[SHORT] = ("Short summary. " * 40).strip()  # 80 words
    data = (
        alpha.key_client()
        .post(
            "/api/v1/ai/generations/",
            {"template": "summary", "variables": {"text": long_text, "max_words": 20}},
            content_type=JSON,
        )
        .json()
    )
    checks = {c["name"]: c for c in data["quality_checks"]}
    assert checks["length"]["detail"] == "80 words, more than 22"
    llm.replies[LONG] = "**Subject:** Welcome, D\u2019Souza\n\nHello D\u2019Souza, thanks for joining Alpha Traders."
    data = (
        alpha.key_client()
        .post(
            "/api/v1/ai/generations/",
            {"template": "welcome_email", "variables": {"customer_name": "D'Souza"}},
            content_type=JSON,
        )
        .json()
    )
    checks = {c["name"]: c for c in data["quality_checks"]}
    assert (checks["mentions"]["passed"], checks["format"]["passed"]) == (1.0, 1.0)
    blank = alpha.key_client().post(
        "/api/v1/ai/generations/",
        {"template": "welcome_email", "variables": {"customer_name": "   "}},
        content_type=JSON,
    )
    assert blank.json()["detail"] == {"variables.customer_name": ["Customer's first name: required."]}


def test_campaign_channels_and_ad_lines_have_their_limits(alpha: TenantFixture, llm: FakeLLM) -> None:
    """SMS and push 160 characters, WhatsApp 60 words, email 150 words; an ad's headline 30
    characters and description 90 (a "Headline:" label does not count)."""
    campaign = {"business_name": "Alpha", "campaign_name": "Diwali", "goal": "Sell sweets", "audience": "Regulars"}

    def length(template: str, variables: dict[str, Any], reply: str) -> dict[str, Any]:
        llm.replies[SHORT] = reply
        body = {"template": template, "variables": variables}
        data = alpha.key_client().post("/api/v1/ai/generations/", body, content_type=JSON).json()
        return next(c for c in data["quality_checks"] if c["name"] == "length")  # type: ignore[no-any-return]

    sms = (
        "Diwali sweets are here at Alpha: order today and get them delivered fresh to your door. " * 2
    )  # 175 characters
    assert length("campaign_copy", {**campaign, "channel": "sms"}, sms.strip())["detail"] == (
        "175 characters, more than 160"
    )
    assert length("campaign_copy", {**campaign, "channel": "email"}, sms.strip())["passed"] == 1.0
    whatsapp = " ".join(["Sweets"] * 70)
    assert length("campaign_copy", {**campaign, "channel": "whatsapp"}, whatsapp)["detail"] == (
        "70 words, more than 60"
    )
    ad = {"business_name": "Alpha", "product_name": "Mango pickle", "platform": "google", "audience": "Foodies"}
    good = "**Headline:** Fresh mango pickle\nDescription: Hand-cut mangoes in cold-pressed oil, delivered in 2 days."
    assert length("ad_copy", ad, good)["passed"] == 1.0
    long_head = "Grandma's famous fresh mango pickle now\nHand-cut mangoes in cold-pressed oil."
    # (other audiences: the same request again would be answered from the gateway's cache)
    assert length("ad_copy", {**ad, "audience": "Cooks"}, long_head)["detail"] == "headline 39 characters, more than 30"
    one_line = "Fresh mango pickle for you"
    assert length("ad_copy", {**ad, "audience": "Hosts"}, one_line)["detail"] == "no description line"


def test_a_stopped_batch_resumes_and_long_batches_run_in_slices(
    alpha: TenantFixture, llm: FakeLLM, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    from ai_engine.services import generation

    items = [{**PICKLE, "product_name": f"Pickle {i}"} for i in range(4)]
    llm.script = {m: ["500"] * 6 for m in (LONG, SHORT, "local-fallback")}
    with django_capture_on_commit_callbacks(execute=True):
        created = (
            alpha.key_client()
            .post(
                "/api/v1/ai/generation-batches/", {"template": "product_description", "items": items}, content_type=JSON
            )
            .json()
        )
    url = f"/api/v1/ai/generation-batches/{created['id']}/"
    stopped = alpha.key_client().get(url).json()
    assert (stopped["status"], stopped["succeeded"], stopped["failed"]) == ("failed", 0, 3)
    llm.script = {}
    with django_capture_on_commit_callbacks(execute=True):
        resumed = alpha.key_client().post(url + "resume/", {}, content_type=JSON)
    assert resumed.status_code == 202
    done = alpha.key_client().get(url).json()
    assert (done["status"], done["succeeded"], done["failed"], done["errors"]) == ("done", 4, 0, [])
    again = alpha.key_client().post(url + "resume/", {}, content_type=JSON)
    assert (again.status_code, again.json()["code"]) == (409, "batch_not_stopped")
    # A slice budget of 0 s: one item per slice, each slice queueing the next.
    original = generation.SLICE_SECONDS
    generation.SLICE_SECONDS = 0.0
    try:
        with django_capture_on_commit_callbacks(execute=True):
            sliced = (
                alpha.key_client()
                .post(
                    "/api/v1/ai/generation-batches/",
                    {"template": "product_description", "items": items[:3]},
                    content_type=JSON,
                )
                .json()
            )
    finally:
        generation.SLICE_SECONDS = original
    assert alpha.key_client().get(f"/api/v1/ai/generation-batches/{sliced['id']}/").json()["succeeded"] == 3


def test_library_changes_need_an_admin_key_and_booleans_are_booleans(alpha: TenantFixture, llm: FakeLLM) -> None:
    from suresh_ai.testing import key_with

    writer = alpha.key_client(key_with(alpha.tenant, ["read", "write"]))
    refused = writer.post(
        "/api/v1/ai/prompts/summary/labels/", {"label": "production", "version": 1}, content_type=JSON
    )
    assert refused.status_code == 403
    generated = writer.post(
        "/api/v1/ai/generations/", {"template": "summary", "variables": {"text": "x " * 50}}, content_type=JSON
    ).json()
    bad = writer.patch(f"/api/v1/ai/generations/{generated['id']}/", {"used": "yes"}, content_type=JSON)
    assert (bad.status_code, list(bad.json()["detail"])) == (400, ["used"])
    assert writer.get("/api/v1/ai/generations/?used=maybe").json()["detail"] == {"used": ["true or false."]}
