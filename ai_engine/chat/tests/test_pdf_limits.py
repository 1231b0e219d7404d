"""Hostile PDFs: the upload answers at once and a worker reads the file in a child process with page,
character, time and memory limits; a file that breaks one fails alone, with the reason on its entry."""

from __future__ import annotations

import io
import time
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django_tenants.utils import schema_context
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from ai_engine.chat import services
from ai_engine.chat.knowledge import knowledge_search
from ai_engine.chat.models import KnowledgeSource
from ai_engine.chat.tasks import document_extract
from suresh_ai.testing import TenantFixture, login_client

UPLOAD = "/api/v1/ai/chat/knowledge/documents/"
MEMORY = 64 * 1024 * 1024  # enough for an ordinary PDF (the positive control below), not for a bomb


def _pdf_file(objects: list[bytes]) -> bytes:
    """A PDF from its objects (object n is objects[n - 1]; 1 is the catalog), with a correct xref."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _stream(dictionary: bytes, content: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(content), content)


def nested_forms_pdf(*, pages: int, depth: int = 14) -> bytes:
    """A few kilobytes that take minutes to read: every page draws form X14, which draws X13 twice,
    which draws X12 twice … down to X1, which shows a word. pypdf stops after 5,000 form invocations
    per page, but reaching that takes it about 17 s a page on this machine, so ``pages`` of them
    keep a reader busy for ``pages`` times 17 s."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (5 + depth + i) for i in range(pages)), pages),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        _stream(b"", b"/X Do"),  # 4: every page's content
    ]
    for level in range(depth):  # objects 5 .. 4 + depth
        if level == 0:
            objects.append(
                _stream(
                    b"/Type /XObject /Subtype /Form /BBox [0 0 99 99] /Resources << /Font << /F1 3 0 R >> >>",
                    b"BT /F1 9 Tf (deep) Tj ET",
                )
            )
        else:
            resources = b"/Resources << /XObject << /X %d 0 R >> >>" % (4 + level)
            objects.append(_stream(b"/Type /XObject /Subtype /Form /BBox [0 0 99 99] " + resources, b"/X Do /X Do"))
    top = 4 + depth
    objects += [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources << /XObject << /X %d 0 R >> >> "
        b"/Contents 4 0 R >>" % top
    ] * pages
    return _pdf_file(objects)


def inflating_pdf(*, megabytes: int) -> bytes:
    """A decompression bomb: one page whose content stream is about 30 KB of Flate that inflates to
    ``megabytes`` MB of text-showing operators."""
    packer = zlib.compressobj(9)
    operators = b"(x) Tj " * (1024 * 1024 // 7)
    content = b"".join(
        [packer.compress(b"BT /F1 9 Tf "), *(packer.compress(operators) for _ in range(megabytes)), packer.flush()]
    )
    return _pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            _stream(b"/Filter /FlateDecode", content),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources << /Font << /F1 3 0 R >> >> "
            b"/Contents 4 0 R >>",
        ]
    )


def text_pdf(pages: list[str]) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for line in pages:
        if line:
            pdf.drawString(72, 800, line)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _upload(fixture: TenantFixture, name: str, data: bytes, capture: Any) -> tuple[dict[str, Any], Callable[[], None]]:
    """Upload; the response (before any reading) and the enqueued task, not yet run."""
    with capture(execute=False) as queued:
        response = fixture.key_client().post(UPLOAD, {"file": SimpleUploadedFile(name, data, "application/pdf")})
    assert response.status_code == 202, response.content
    [enqueue] = queued
    return response.json(), enqueue


def _entry(fixture: TenantFixture, pk: int) -> dict[str, Any]:
    return fixture.key_client().get(f"/api/v1/ai/chat/knowledge/{pk}/").json()


@override_settings(CHAT_PDF_TIME_LIMIT_SECONDS=2)
def test_a_pdf_built_to_be_slow_is_stopped_at_the_time_limit_and_fails_alone(
    alpha: TenantFixture, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    hostile = nested_forms_pdf(pages=20)  # about 340 s of pypdf's time, in 5 KB
    assert len(hostile) < 10_000
    with schema_context(alpha.tenant.schema_name):
        services.knowledge_faq_create(question="Do you deliver to Pune?", answer="Yes, in 2 days.")
    body, enqueue = _upload(alpha, "brochure.pdf", hostile, django_capture_on_commit_callbacks)
    assert (body["status"], body["chunks"], body["failure"]) == ("processing", [], "")
    started = time.monotonic()
    enqueue()
    took = time.monotonic() - started
    entry = _entry(alpha, body["id"])
    assert (entry["status"], entry["chunks"]) == ("failed", [])
    assert entry["failure"] == (
        "Reading the PDF took longer than 2 seconds and was stopped; it may be built to be slow. "
        "Upload its text, or a simpler PDF."
    )
    assert took < 2 + 15, took  # the limit plus the child's start and the writes, on a busy machine
    with schema_context(alpha.tenant.schema_name):
        assert KnowledgeSource.objects.get(pk=body["id"]).upload is None  # the file is not kept
        assert [h.title for h in knowledge_search(question="Do you deliver to Pune?")] == ["Do you deliver to Pune?"]
    page = login_client(alpha, alpha.owner).get("/ai/chat/knowledge/").content.decode()
    assert "(could not be read: Reading the PDF took longer than 2 seconds" in page


@pytest.mark.parametrize(
    ("data", "limits", "failure"),
    [
        (
            text_pdf([f"Page {n}" for n in range(60)]),
            {"CHAT_PDF_MAX_PAGES": 50},
            "The PDF has 60 pages; at most 50 are read. Split it into smaller files.",
        ),
        (
            text_pdf(["A" * 80, "B" * 80]),
            {"CHAT_PDF_MAX_CHARS": 100},
            "The PDF holds more than 100 characters of text; split it into smaller files.",
        ),
        (
            text_pdf(["", ""]),
            {},
            "The PDF has no extractable text (a scanned image?); upload a text PDF or the text itself.",
        ),
        (b"%PDF-1.4 not really", {}, "The PDF could not be read; is it a valid PDF file?"),
        (
            inflating_pdf(megabytes=20),
            {"CHAT_PDF_MEMORY_BYTES": MEMORY},
            "Reading the PDF needed more memory or time than allowed and was stopped; "
            "upload its text, or a simpler PDF.",
        ),
    ],
    ids=["pages", "characters", "no-text", "not-a-pdf", "decompression-bomb"],
)
def test_a_pdf_past_a_limit_fails_with_the_reason_on_its_entry(
    alpha: TenantFixture,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
    data: bytes,
    limits: dict[str, int],
    failure: str,
) -> None:
    with override_settings(**limits):
        body, enqueue = _upload(alpha, "file.pdf", data, django_capture_on_commit_callbacks)
        enqueue()
    entry = _entry(alpha, body["id"])
    assert (entry["status"], entry["failure"], entry["chunks"]) == ("failed", failure, [])


def test_reading_is_idempotent_and_a_pdf_deleted_before_it_is_read_is_skipped(
    alpha: TenantFixture, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    body, enqueue = _upload(alpha, "menu.pdf", text_pdf(["Thali at Rs 250."]), django_capture_on_commit_callbacks)
    enqueue()
    enqueue()  # delivered twice (acks_late): the second finds it read and changes nothing
    entry = _entry(alpha, body["id"])
    assert (entry["status"], [c["text"] for c in entry["chunks"]]) == ("ready", ["Thali at Rs 250."])
    other, enqueue_other = _upload(alpha, "gone.pdf", text_pdf(["Gone."]), django_capture_on_commit_callbacks)
    assert alpha.key_client().delete(f"/api/v1/ai/chat/knowledge/{other['id']}/").status_code == 204
    enqueue_other()
    with schema_context(alpha.tenant.schema_name):
        assert document_extract.apply(kwargs={"source_id": other["id"]}).get()["status"] is None
        assert not KnowledgeSource.objects.filter(pk=other["id"]).exists()


def test_a_document_being_read_or_failed_cannot_be_switched_on(
    alpha: TenantFixture, django_capture_on_commit_callbacks: Any
) -> None:
    body, _ = _upload(alpha, "later.pdf", text_pdf(["Later."]), django_capture_on_commit_callbacks)
    client = alpha.key_client()
    refused = client.patch(
        f"/api/v1/ai/chat/knowledge/{body['id']}/", {"status": "ready"}, content_type="application/json"
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "document_not_ready")
    renamed = client.patch(
        f"/api/v1/ai/chat/knowledge/{body['id']}/", {"title": "Menu"}, content_type="application/json"
    )
    assert (renamed.status_code, renamed.json()["title"], renamed.json()["status"]) == (200, "Menu", "processing")
    bad = client.patch(
        f"/api/v1/ai/chat/knowledge/{body['id']}/", {"status": "failed"}, content_type="application/json"
    )
    assert (bad.status_code, list(bad.json()["detail"])) == (400, ["status"])


@override_settings(CHAT_PDF_MEMORY_BYTES=MEMORY)
def test_an_ordinary_pdf_reads_within_the_memory_limit_the_bomb_breaks(
    alpha: TenantFixture, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    body, enqueue = _upload(
        alpha, "menu.pdf", text_pdf(["Thali at Rs 250.", "Dosa at Rs 90."]), django_capture_on_commit_callbacks
    )
    enqueue()
    entry = _entry(alpha, body["id"])
    assert (entry["status"], [c["text"] for c in entry["chunks"]]) == ("ready", ["Thali at Rs 250.\n\nDosa at Rs 90."])
    assert len(inflating_pdf(megabytes=20)) < 50_000
