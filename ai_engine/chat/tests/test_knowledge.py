"""The knowledge base: reading uploads, cutting them into passages, full-text retrieval."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from ai_engine.chat import services
from ai_engine.chat.knowledge import Passage, knowledge_search, question_query, split_passages
from ai_engine.chat.models import KnowledgeChunk, KnowledgeSource
from ai_engine.chat.tests.helpers import JSON, kb
from suresh_ai.errors import ValidationFailed
from suresh_ai.testing import TenantFixture

UPLOAD = "/api/v1/ai/chat/knowledge/documents/"


def _pdf(pages: list[list[str]]) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for lines in pages:
        y = 800
        for line in lines:
            pdf.drawString(72, y, line)
            y -= 16
        if not lines:
            pdf.rect(72, 600, 200, 100, fill=1)  # a picture, no text
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_markdown_is_cut_at_headings_and_paragraphs() -> None:
    text = (
        "Intro line one.\nIntro line two.\n\n"
        "# Returns\n\nUnopened items come back within 7 days.\n\nDamaged items: send a photo.\n\n"
        "## Shipping times\nWe ship in 3 to 5 days.\n"
    )
    assert split_passages(text, markdown=True) == [
        Passage(heading="", text="Intro line one.\nIntro line two."),
        Passage(heading="Returns", text="Unopened items come back within 7 days.\n\nDamaged items: send a photo."),
        Passage(heading="Shipping times", text="We ship in 3 to 5 days."),
    ]


def test_long_text_is_cut_near_800_characters_between_sentences() -> None:
    sentence = "Our pickles are made in small batches with cold-pressed oil. "  # 61 characters
    paragraph = sentence * 30  # 1,830 characters in one paragraph
    passages = split_passages(paragraph + "\n\nA short closing paragraph.", markdown=False)
    assert [len(p.text) for p in passages] == [792, 792, 271]
    assert all(p.text.endswith("oil.") for p in passages[:2])
    assert passages[2].text.endswith("A short closing paragraph.")
    # Paragraphs are gathered until the next would overflow the passage.
    gathered = split_passages("\n\n".join(["x" * 300] * 4), markdown=False)
    assert [len(p.text) for p in gathered] == [602, 602]


def test_a_pdf_upload_is_read_and_cut_into_passages(
    alpha: TenantFixture, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    data = _pdf(
        [["Returns policy", "Unopened jars may be returned within 7 days."], ["Delivery reaches Pune in 2 days."]]
    )
    upload = SimpleUploadedFile("policies.pdf", data, content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = alpha.key_client().post(UPLOAD, {"file": upload, "title": "Store policies"})
    assert response.status_code == 202, response.content  # answered before the PDF is read
    body = response.json()
    assert (body["kind"], body["title"], body["filename"], body["size_bytes"], body["status"], body["chunks"]) == (
        "document",
        "Store policies",
        "policies.pdf",
        len(data),
        "processing",
        [],
    )
    with schema_context(alpha.tenant.schema_name):
        assert knowledge_search(question="Do you deliver to Pune?") == []  # not searched until read
    [enqueue] = queued
    enqueue()  # the worker's turn (eager): ai_chat.document_extract
    body = alpha.key_client().get(f"/api/v1/ai/chat/knowledge/{body['id']}/").json()
    assert (body["status"], body["failure"]) == ("ready", "")
    assert [c["text"] for c in body["chunks"]] == [
        "Returns policy Unopened jars may be returned within 7 days.\n\nDelivery reaches Pune in 2 days."
    ]
    with schema_context(alpha.tenant.schema_name):
        hits = knowledge_search(question="Do you deliver to Pune?")
    assert [h.title for h in hits] == ["Store policies"]


def test_markdown_and_text_uploads(alpha: TenantFixture) -> None:
    client = alpha.key_client()
    md = SimpleUploadedFile(
        "faq.md", b"# Gift wrap\n\nWe gift-wrap any order for Rs 30.\n", content_type="text/markdown"
    )
    body = client.post(UPLOAD, {"file": md}).json()
    assert (body["title"], body["chunks"]) == (
        "faq.md",
        [{"ordinal": 0, "heading": "Gift wrap", "text": "We gift-wrap any order for Rs 30."}],
    )
    txt = SimpleUploadedFile("notes.txt", "\ufeffStore opens at 9 am.\r\nClosed on Sundays.".encode(), "text/plain")
    body = client.post(UPLOAD, {"file": txt}).json()
    assert body["chunks"][0]["text"] == "Store opens at 9 am. Closed on Sundays."


@pytest.mark.parametrize(
    ("name", "data", "content_type", "message"),
    [
        ("sheet.docx", b"PK\x03\x04", "application/octet-stream", "Upload text (.txt), Markdown (.md) or PDF (.pdf)"),
        ("latin.txt", "caf\xe9".encode("latin-1"), "text/plain", "not UTF-8 text"),
        ("empty.md", b"   \n", "text/markdown", "no text in it"),
        ("fake.txt", b"hello", "application/pdf", "sent as a PDF but is not named .pdf"),
    ],
)
def test_uploads_that_cannot_be_used_are_400_naming_the_file(
    alpha: TenantFixture, name: str, data: bytes | None, content_type: str, message: str
) -> None:
    content = _pdf([[]]) if data is None else data
    response = alpha.key_client().post(UPLOAD, {"file": SimpleUploadedFile(name, content, content_type)})
    assert response.status_code == 400
    assert list(response.json()["detail"]) == ["file"]
    assert message in response.json()["detail"]["file"][0]
    with schema_context(alpha.tenant.schema_name):
        assert not KnowledgeSource.objects.exists()


def test_a_document_over_the_limit_is_400_naming_the_file(alpha: TenantFixture) -> None:
    # The upload path's own body limit lets a document just over 5 MB reach the service, which
    # names the file; elsewhere the 1 MB request limit still holds.
    big = SimpleUploadedFile("big.txt", b"a" * (5 * 1024 * 1024 + 1), "text/plain")
    response = alpha.key_client().post(UPLOAD, {"file": big})
    assert response.status_code == 400
    assert response.json()["detail"] == {"file": ["The file is 5,242,881 bytes; the limit is 5,242,880."]}
    elsewhere = alpha.key_client().post(
        "/api/v1/ai/chat/knowledge/faqs/",
        {"question": "q", "answer": "a" * (1024 * 1024 + 1)},
        content_type="application/json",
    )
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (413, "request_too_large")
    near_limit = SimpleUploadedFile("big.txt", b"word " * (4 * 1024 * 1024 // 5), "text/plain")
    assert alpha.key_client().post(UPLOAD, {"file": near_limit}).status_code == 201
    missing = alpha.key_client().post(UPLOAD, {"title": "no file"})
    assert (missing.status_code, list(missing.json()["detail"])) == (400, ["file"])


def test_the_question_becomes_an_or_query() -> None:
    assert question_query('How do I get a "refund" -or money back?') == (
        "how or do or i or get or a or refund or money or back"
    )
    assert question_query("?!") == ""


def test_retrieval_ranks_headings_over_text_and_more_matches_higher(alpha: TenantFixture) -> None:
    sources = kb(alpha)
    with schema_context(alpha.tenant.schema_name):
        services.knowledge_document_create(
            filename="care.md",
            content_type="text/markdown",
            data=b"# Storage\n\nKeep the pickle jar closed. A refund is not possible once a jar is opened.\n",
        )
        hits = knowledge_search(question="Can I return an opened jar for a refund?")
        # ts_rank_cd adds up each match (heading A 1.0, text B 0.4, title C 0.2), then r / (r + 1):
        # the FAQ has "refund" in its question, answer and title and "return" in its answer (2.0);
        # the document "refund", "opened" and "jar" twice in its text (1.6); the product "jar" (0.4).
        assert [(h.title, h.heading, h.rank) for h in hits] == [
            ("What is your refund policy?", "What is your refund policy?", 0.6667),
            ("care.md", "Storage", 0.6154),
            ("Mango pickle", "Mango pickle (MP-500)", 0.2857),
        ]
        assert hits[0].source_id == sources["refund"].pk
        assert (hits[2].kind, hits[2].url) == ("product", "https://shop.alpha.in/p/mango-pickle")
        # top k: the best two only
        assert [h.title for h in knowledge_search(question="Can I return an opened jar for a refund?", limit=2)] == [
            "What is your refund policy?",
            "care.md",
        ]
        # Stemming: "shipped" finds "shipping"; stop words alone find nothing.
        assert [h.title for h in knowledge_search(question="when is it shipped")] == ["How long does shipping take?"]
        assert knowledge_search(question="what is it and how") == []
        # Nothing relevant: no hits at all.
        assert knowledge_search(question="Is the weather nice in Paris?") == []


def test_the_threshold_drops_weak_matches_and_disabled_sources(alpha: TenantFixture) -> None:
    with schema_context(alpha.tenant.schema_name):
        doc = services.knowledge_document_create(
            filename="hampers.txt",
            content_type="text/plain",
            data=b"Boxes of sweets for Diwali.",
            title="Festival hampers",
        )
        # Only the title matches (weight C): 0.17, under the default 0.2.
        assert knowledge_search(question="hampers") == []
        assert [h.rank for h in knowledge_search(question="hampers", min_rank=0.1)] == [0.1667]
        assert [h.rank for h in knowledge_search(question="diwali sweets")] == [0.4444]
        services.knowledge_source_update(source=doc, data={"status": KnowledgeSource.Status.DISABLED})
        assert knowledge_search(question="diwali sweets") == []


def test_changing_an_faq_reindexes_it(alpha: TenantFixture) -> None:
    sources = kb(alpha)
    client = alpha.key_client()
    response = client.patch(
        f"/api/v1/ai/chat/knowledge/{sources['cod'].pk}/",
        {"answer": "Cash on delivery is no longer offered; pay by UPI instead."},
        content_type=JSON,
    )
    assert response.status_code == 200, response.content
    assert response.json()["chunks"] == [
        {
            "ordinal": 0,
            "heading": "Do you offer cash on delivery?",
            "text": "Cash on delivery is no longer offered; pay by UPI instead.",
        }
    ]
    with schema_context(alpha.tenant.schema_name):
        assert [h.title for h in knowledge_search(question="UPI")] == ["Do you offer cash on delivery?"]
        assert KnowledgeChunk.objects.filter(source=sources["cod"]).count() == 1
    wrong = client.patch(f"/api/v1/ai/chat/knowledge/{sources['cod'].pk}/", {"sku": "X"}, content_type=JSON)
    assert (wrong.status_code, wrong.json()["detail"]) == (400, {"sku": ["Cannot be changed on a FAQ entry."]})


def test_service_validation_names_the_field(alpha: TenantFixture) -> None:
    with schema_context(alpha.tenant.schema_name), pytest.raises(ValidationFailed) as excinfo:
        services.knowledge_faq_create(question="  ", answer="x")
    assert excinfo.value.detail == {"question": ["This field may not be blank."]}
