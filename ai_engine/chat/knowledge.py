"""The knowledge base's text work: reading uploads (text, Markdown, PDF), cutting them into
passages, and finding the passages that answer a question (PostgreSQL full-text search).

Search uses the ``english`` configuration on both sides: stemming lets "refunds" find "refund" and
"shipping" find "ship", and stop words ("how", "do", "the") never count as a match. Words it does not
know (SKUs, Hindi in Latin script) are kept as they are, so they still match themselves.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import F, OuterRef, Q, Subquery

from ai_engine.chat.models import KnowledgeChunk, KnowledgeSource
from ai_engine.chat.pdftext import PdfLimits, PdfUnreadable, pdf_text
from suresh_ai.errors import ValidationFailed

logger = logging.getLogger(__name__)

SEARCH_CONFIG = "english"
CHUNK_TARGET_CHARS = 800
# ts_rank_cd's normalisation 32 maps a rank r to r / (r + 1), so thresholds read on a 0..1 scale.
RANK_NORMALISATION = 32
MAX_QUERY_TERMS = 32

TEXT_TYPES = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown", ".pdf": "pdf"}
ACCEPTED = "text (.txt), Markdown (.md) or PDF (.pdf)"
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Passage:
    heading: str
    text: str


@dataclass(frozen=True)
class Hit:
    chunk_id: int
    source_id: int
    kind: str
    title: str
    url: str
    heading: str
    text: str
    rank: float


def document_kind(*, filename: str, content_type: str) -> str:
    """text, markdown or pdf, from the file's extension (its declared type must not contradict it)."""
    kind = TEXT_TYPES.get(PurePath(filename).suffix.lower())
    declared = (content_type or "").split(";")[0].strip().lower()
    if kind is None:
        raise ValidationFailed.for_field("file", f"Upload {ACCEPTED}; {filename!r} is none of these.")
    if kind == "pdf" and declared not in ("", "application/pdf", "application/octet-stream"):
        raise ValidationFailed.for_field("file", f"{filename!r} is named .pdf but was sent as {declared}.")
    if kind != "pdf" and declared == "application/pdf":
        raise ValidationFailed.for_field("file", f"{filename!r} was sent as a PDF but is not named .pdf.")
    return kind


def document_text(*, data: bytes, kind: str) -> str:
    """The readable text of an upload; a 400 naming ``file`` when there is none."""
    if kind == "pdf":
        text = _pdf_text(data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationFailed.for_field(
                "file", "The file is not UTF-8 text; save it as UTF-8 and upload again."
            ) from exc
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ValidationFailed.for_field("file", "The file has no text in it.")
    return text


def _pdf_text(data: bytes) -> str:
    """Read in a child process within the CHAT_PDF_* limits (see pdftext.py): only ever called by the
    worker's task, never in a web request."""
    limits = PdfLimits(
        pages=settings.CHAT_PDF_MAX_PAGES,
        chars=settings.CHAT_PDF_MAX_CHARS,
        seconds=settings.CHAT_PDF_TIME_LIMIT_SECONDS,
        memory_bytes=settings.CHAT_PDF_MEMORY_BYTES,
    )
    try:
        text = pdf_text(data, limits)
    except PdfUnreadable as exc:
        raise ValidationFailed.for_field("file", exc.message) from exc
    if not text.strip():
        raise ValidationFailed.for_field(
            "file", "The PDF has no extractable text (a scanned image?); upload a text PDF or the text itself."
        )
    return text


def split_passages(text: str, *, markdown: bool, target: int = CHUNK_TARGET_CHARS) -> list[Passage]:
    """Paragraphs gathered into passages of about ``target`` characters. A Markdown heading always
    starts a new passage and names the passages under it; a paragraph longer than ``target`` is cut
    between sentences (or, failing that, between words)."""
    passages: list[Passage] = []
    heading, buffer = "", ""

    def flush() -> None:
        nonlocal buffer
        if buffer.strip():
            passages.append(Passage(heading=heading, text=buffer.strip()))
        buffer = ""

    for block in re.split(r"\n\s*\n", text):
        lines = block.strip().split("\n")
        if markdown:
            body: list[str] = []
            for line in lines:
                match = _HEADING.match(line)
                if match:
                    if body:
                        buffer = _add(buffer, "\n".join(body), target, passages, heading)
                        body = []
                    flush()
                    heading = match.group(2).strip()[:300]
                else:
                    body.append(line)
            paragraph = "\n".join(body).strip()
        else:
            paragraph = " ".join(line.strip() for line in lines).strip()
        if paragraph:
            buffer = _add(buffer, paragraph, target, passages, heading)
    flush()
    return passages


def _add(buffer: str, paragraph: str, target: int, passages: list[Passage], heading: str) -> str:
    """Append a paragraph to the passage being built, closing it first when it would overflow."""
    if buffer and len(buffer) + 2 + len(paragraph) > target:
        passages.append(Passage(heading=heading, text=buffer.strip()))
        buffer = ""
    if len(paragraph) <= target:
        return f"{buffer}\n\n{paragraph}" if buffer else paragraph
    pieces = _cut(paragraph, target)
    passages.extend(Passage(heading=heading, text=piece) for piece in pieces[:-1])
    return pieces[-1]


def _cut(paragraph: str, target: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(paragraph):
        words = [sentence] if len(sentence) <= target else sentence.split()
        for word in words:
            if current and len(current) + 1 + len(word) > target:
                pieces.append(current)
                current = ""
            current = f"{current} {word}" if current else word[: target * 2]
    if current:
        pieces.append(current)
    return pieces


def search_vector() -> Any:
    """What ``KnowledgeChunk.search`` is set to by the services that write chunks: the heading
    weighs most (A), then the text (B), then the source's title (C, read by a subquery because an
    UPDATE cannot join), so a title alone (C: 0.17) never passes the default threshold."""
    title = Subquery(KnowledgeSource.objects.filter(pk=OuterRef("source_id")).values("title")[:1])
    return (
        SearchVector("heading", weight="A", config=SEARCH_CONFIG)
        + SearchVector("text", weight="B", config=SEARCH_CONFIG)
        + SearchVector(title, weight="C", config=SEARCH_CONFIG)
    )


def question_query(question: str) -> str:
    """The customer's words joined with ``or`` for ``websearch_to_tsquery``: a question rarely
    repeats every word of the passage that answers it, so any word may match and the rank orders
    passages by how many (and where: headings count more). Operators the customer typed (quotes,
    a leading minus) are dropped with the punctuation."""
    terms: list[str] = []
    for word in _WORD.findall(question.lower()):
        if word != "or" and word not in terms:
            terms.append(word)
    return " or ".join(terms[:MAX_QUERY_TERMS])


def knowledge_search(*, question: str, limit: int | None = None, min_rank: float | None = None) -> list[Hit]:
    """The passages of sources in use that best match ``question``, best first, at most ``limit``
    (CHAT_RETRIEVAL_TOP_K) and each ranking at least ``min_rank`` (CHAT_RETRIEVAL_MIN_RANK)."""
    limit = settings.CHAT_RETRIEVAL_TOP_K if limit is None else limit
    min_rank = settings.CHAT_RETRIEVAL_MIN_RANK if min_rank is None else min_rank
    words = question_query(question)
    if not words:
        return []
    query = SearchQuery(words, search_type="websearch", config=SEARCH_CONFIG)
    rows = (
        KnowledgeChunk.objects.filter(search=query, source__status=KnowledgeSource.Status.READY)
        .annotate(rank=SearchRank(F("search"), query, cover_density=True, normalization=RANK_NORMALISATION))
        .filter(Q(rank__gte=min_rank))
        .order_by("-rank", "source_id", "ordinal")
        .values("id", "source_id", "source__kind", "source__title", "source__url", "heading", "text", "rank")[:limit]
    )
    return [
        Hit(
            chunk_id=row["id"],
            source_id=row["source_id"],
            kind=row["source__kind"],
            title=row["source__title"],
            url=row["source__url"],
            heading=row["heading"],
            text=row["text"],
            rank=round(float(row["rank"]), 4),
        )
        for row in rows
    ]
