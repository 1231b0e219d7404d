"""Chatbot writes (inside the tenant's schema): settings and site key, the knowledge base, and
conversations — the customer's message, the grounded streamed answer, hand-off to a person."""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from ai_engine.chat import prompting, selectors
from ai_engine.chat.knowledge import Hit, Passage, document_kind, document_text, knowledge_search, search_vector
from ai_engine.chat.knowledge import split_passages as _split
from ai_engine.chat.models import ChatSettings, Conversation, KnowledgeChunk, KnowledgeSource, Message
from ai_engine.services import Actor, ai_stream
from billing.services import rupees
from suresh_ai.api.serializers import MAX_PAISE
from suresh_ai.errors import Conflict, NotFound, ValidationFailed
from suresh_ai.origins import normalise_origin
from suresh_ai.queueing import QueueUnavailable, task_enqueue
from suresh_ai.tenancy import db
from tenants.models import Tenant

logger = logging.getLogger(__name__)

SITE_KEY_PREFIX = "cs_pub_"
MAX_MESSAGE_CHARS = 4000
MAX_ORIGINS = 20
MAX_IMPORT_ROWS = 2000


# --- Settings and the site key -------------------------------------------------------------------


def _new_site_key() -> str:
    return SITE_KEY_PREFIX + secrets.token_urlsafe(24)


def chat_settings_ensure() -> ChatSettings:
    """The workspace's settings row (always id 1, so two first uses at once make one row), made
    with a fresh site key on first use."""
    row, _ = ChatSettings.objects.get_or_create(pk=1, defaults={"site_key": _new_site_key()})
    return row


def chat_settings_update(*, data: dict[str, Any]) -> ChatSettings:
    """Change any of allowed_origins, history_messages (1-20), handoff_email, greeting."""
    row = chat_settings_ensure()
    if "allowed_origins" in data:
        origins = list(dict.fromkeys(normalise_origin(str(o)) for o in data["allowed_origins"]))
        if len(origins) > MAX_ORIGINS:
            raise ValidationFailed.for_field("allowed_origins", f"At most {MAX_ORIGINS} origins.")
        row.allowed_origins = origins
    if "history_messages" in data:
        count = data["history_messages"]
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 20:
            raise ValidationFailed.for_field("history_messages", "A whole number from 1 to 20.")
        row.history_messages = count
    for name in ("handoff_email", "greeting"):
        if name in data:
            setattr(row, name, str(data[name]).strip())
    row.save()
    return row


def chat_settings_rotate_key() -> ChatSettings:
    """A new site key; the old one stops working at once (sites must embed the new one)."""
    row = chat_settings_ensure()
    row.site_key = _new_site_key()
    row.save(update_fields=["site_key", "updated_at"])
    logger.info("chat_site_key_rotated", extra={"tenant": db().schema_name})
    return row


# --- The knowledge base --------------------------------------------------------------------------


def _chunks_write(source: KnowledgeSource, passages: list[Passage]) -> None:
    """Replace the source's chunks and set their search vectors in the same transaction."""
    KnowledgeChunk.objects.filter(source=source).delete()
    KnowledgeChunk.objects.bulk_create(
        KnowledgeChunk(source=source, ordinal=i, heading=p.heading[:300], text=p.text) for i, p in enumerate(passages)
    )
    KnowledgeChunk.objects.filter(source=source).update(search=search_vector())


def _required(field: str, value: str, max_length: int | None = None) -> str:
    text = value.strip()
    if not text:
        raise ValidationFailed.for_field(field, "This field may not be blank.")
    if max_length is not None and len(text) > max_length:
        raise ValidationFailed.for_field(field, f"At most {max_length} characters.")
    return text


def knowledge_faq_create(*, question: str, answer: str) -> KnowledgeSource:
    """One FAQ entry: one passage, the question weighing more than the answer."""
    question = _required("question", question, 300)
    answer = _required("answer", answer, 10_000)
    with transaction.atomic():
        source = KnowledgeSource.objects.create(
            kind=KnowledgeSource.Kind.FAQ, title=question, question=question, answer=answer
        )
        _chunks_write(source, [Passage(heading=question, text=answer)])
    return source


def _product_passage(source: KnowledgeSource) -> Passage:
    facts = [source.description]
    if source.price_paise is not None:
        facts.append(f"Price: {rupees(source.price_paise)}")
    if source.sku:
        facts.append(f"SKU: {source.sku}")
    if source.url:
        facts.append(f"Link: {source.url}")
    heading = f"{source.title} ({source.sku})" if source.sku else source.title
    return Passage(heading=heading, text="\n".join(f for f in facts if f))


def _web_url(value: str) -> str:
    """An http(s) link or nothing: product links are shown to customers and staff as links."""
    url = value.strip()
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except DjangoValidationError as exc:
            raise ValidationFailed.for_field("url", "Enter an http:// or https:// link.") from exc
        if len(url) > 500:
            raise ValidationFailed.for_field("url", "At most 500 characters.")
    return url


def _price(value: int | None) -> int | None:
    if value is not None and not 0 <= value <= MAX_PAISE:
        raise ValidationFailed.for_field("price_paise", f"Between 0 and {MAX_PAISE:,} paise.")
    return value


def knowledge_product_create(
    *, name: str, sku: str = "", price_paise: int | None = None, description: str = "", url: str = ""
) -> KnowledgeSource:
    """A product; one with the SKU of a product already here updates it instead (so importing a
    catalogue again refreshes prices rather than adding copies)."""
    name = _required("name", name, 300)
    url = _web_url(url)
    price_paise = _price(price_paise)
    sku = sku.strip()[:64]
    existing = (
        KnowledgeSource.objects.filter(kind=KnowledgeSource.Kind.PRODUCT, sku=sku).order_by("pk").first()
        if sku
        else None
    )
    if existing is not None:
        data = {"title": name, "price_paise": price_paise, "description": description, "url": url}
        return knowledge_source_update(source=existing, data=data)
    with transaction.atomic():
        source = KnowledgeSource.objects.create(
            kind=KnowledgeSource.Kind.PRODUCT,
            title=name,
            sku=sku,
            price_paise=price_paise,
            description=description.strip(),
            url=url,
        )
        _chunks_write(source, [_product_passage(source)])
    return source


def knowledge_products_import(*, data: bytes) -> list[KnowledgeSource]:
    """Products from a CSV with a header row: name, sku, price_paise, description, url (all or
    nothing: the first bad row is a 400 naming it)."""
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
        reader.fieldnames = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
        rows = [row for row in reader if any((value or "").strip() for value in row.values())]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValidationFailed.for_field("file", "Upload a UTF-8 CSV file with a header row.") from exc
    if not rows or "name" not in rows[0]:
        raise ValidationFailed.for_field("file", "The CSV needs a header row with at least a name column.")
    if len(rows) > MAX_IMPORT_ROWS:
        raise ValidationFailed.for_field("file", f"At most {MAX_IMPORT_ROWS} products per file.")
    created = []
    with transaction.atomic():
        for line, row in enumerate(rows, start=2):
            price = (row.get("price_paise") or "").strip()
            if price and not price.isdigit():
                raise ValidationFailed.for_field("file", f"Line {line}: price_paise must be a whole number of paise.")
            try:
                created.append(
                    knowledge_product_create(
                        name=row.get("name") or "",
                        sku=row.get("sku") or "",
                        price_paise=int(price) if price else None,
                        description=row.get("description") or "",
                        url=row.get("url") or "",
                    )
                )
            except ValidationFailed as exc:
                raise ValidationFailed.for_field("file", f"Line {line}: {exc.message}") from exc
    return created


def knowledge_document_create(*, filename: str, content_type: str, data: bytes, title: str = "") -> KnowledgeSource:
    """A text, Markdown or PDF upload of at most CHAT_DOCUMENT_MAX_BYTES. Text and Markdown are cut
    into passages at once (status ``ready``); a PDF is stored ``processing`` and read by a worker
    (``ai_chat.document_extract``), since reading a hostile PDF can take as long as its author likes."""
    from ai_engine.chat.tasks import document_extract

    if len(data) > settings.CHAT_DOCUMENT_MAX_BYTES:
        raise ValidationFailed.for_field(
            "file", f"The file is {len(data):,} bytes; the limit is {settings.CHAT_DOCUMENT_MAX_BYTES:,}."
        )
    kind = document_kind(filename=filename, content_type=content_type)
    passages = [] if kind == "pdf" else _split(document_text(data=data, kind=kind), markdown=kind == "markdown")
    message = "Background jobs are not available just now, so the PDF was not added. Try again in a minute."
    try:
        with transaction.atomic():
            source = KnowledgeSource.objects.create(
                kind=KnowledgeSource.Kind.DOCUMENT,
                status=KnowledgeSource.Status.PROCESSING if kind == "pdf" else KnowledgeSource.Status.READY,
                title=(title.strip() or filename)[:300],
                filename=filename[:255],
                content_type=content_type[:100],
                size_bytes=len(data),
                upload=data if kind == "pdf" else None,
            )
            if kind == "pdf":
                source_id = source.pk
                # When the broker refuses the task, the entry is removed again: none waits forever.
                transaction.on_commit(lambda: task_enqueue(document_extract, message=message, source_id=source_id))
            else:
                _chunks_write(source, passages)
    except QueueUnavailable:
        KnowledgeSource.objects.filter(pk=source.pk).delete()
        raise
    logger.info("chat_document_added", extra={"source_id": source.pk, "chunks": len(passages), "kind": kind})
    return source


def knowledge_document_extract(*, source_id: int) -> KnowledgeSource | None:
    """Read a stored PDF (the worker's side of knowledge_document_create): its passages and status
    ``ready``, or status ``failed`` with the reason in ``failure``. Idempotent: a source that is no
    longer ``processing`` (read already, or deleted: None) is left as it is. The reading happens
    outside any transaction (it may take CHAT_PDF_TIME_LIMIT_SECONDS); the result is written under
    the row's lock, so a deletion meanwhile wins."""
    pending = KnowledgeSource.objects.filter(pk=source_id, status=KnowledgeSource.Status.PROCESSING).first()
    if pending is None or pending.upload is None:
        return pending
    failure, passages = "", []
    try:
        passages = _split(document_text(data=bytes(pending.upload), kind="pdf"), markdown=False)
    except ValidationFailed as exc:
        failure = exc.detail["file"][0]  # the reason alone, for the person who uploaded it
    with transaction.atomic():
        source = KnowledgeSource.objects.select_for_update().filter(pk=source_id).first()
        if source is None or source.status != KnowledgeSource.Status.PROCESSING:
            return source
        source.status = KnowledgeSource.Status.FAILED if failure else KnowledgeSource.Status.READY
        source.failure, source.upload = failure[:500], None
        source.save(update_fields=["status", "failure", "upload", "updated_at"])
        _chunks_write(source, passages)
    logger.info(
        "chat_document_read",
        extra={"source_id": source_id, "status": source.status, "chunks": len(passages), "failure": failure},
    )
    return source


def _source_locked(source_id: int) -> KnowledgeSource:
    """The source's row, locked until the transaction ends; NotFound when it has been deleted.

    A change and a deletion of the same source both take this lock before touching its chunks, so
    they run one after the other: a change that loaded the source before a deletion committed gets
    a 404 instead of writing chunks for a source that is gone (an IntegrityError), or deadlocking
    with the deletion over the chunks each had begun to delete."""
    source = KnowledgeSource.objects.select_for_update().filter(pk=source_id).first()
    if source is None:
        raise NotFound("No such knowledge source (it has just been deleted).")
    return source


def knowledge_source_update(*, source: KnowledgeSource, data: dict[str, Any]) -> KnowledgeSource:
    """Change a source's status or title; an FAQ's question and answer; a product's details.
    A document's text changes only by uploading it again. Returns the source as saved (``source``
    itself, as the caller loaded it, is left unchanged)."""
    editable = {"status", "title"}
    editable |= {
        KnowledgeSource.Kind.FAQ: {"question", "answer"},
        KnowledgeSource.Kind.PRODUCT: {"sku", "price_paise", "description", "url"},
    }.get(KnowledgeSource.Kind(source.kind), set())
    fixed = sorted(set(data) - editable)
    if fixed:
        raise ValidationFailed.for_field(fixed[0], f"Cannot be changed on a {source.get_kind_display()}.")
    if data.get("status", KnowledgeSource.Status.READY) not in (
        KnowledgeSource.Status.READY,
        KnowledgeSource.Status.DISABLED,
    ):
        raise ValidationFailed.for_field("status", "Choose ready or disabled.")
    with transaction.atomic():
        source = _source_locked(source.pk)
        if "status" in data and source.status in (KnowledgeSource.Status.PROCESSING, KnowledgeSource.Status.FAILED):
            raise Conflict(
                "This document is still being read."
                if source.status == KnowledgeSource.Status.PROCESSING
                else "This document could not be read; delete it and upload a readable file.",
                code="document_not_ready",
            )
        for name, value in data.items():
            setattr(source, name, value.strip() if isinstance(value, str) else value)
        source.url = _web_url(source.url)
        source.price_paise = _price(source.price_paise)
        if source.kind == KnowledgeSource.Kind.FAQ:
            source.question = _required("question", source.question, 300)
            source.answer = _required("answer", source.answer, 10_000)
            source.title = source.question
        source.title = _required("title", source.title, 300)
        source.save(force_update=True)
        if source.kind == KnowledgeSource.Kind.FAQ:
            _chunks_write(source, [Passage(heading=source.question, text=source.answer)])
        elif source.kind == KnowledgeSource.Kind.PRODUCT:
            _chunks_write(source, [_product_passage(source)])
        else:  # the title weighs in every chunk's vector
            KnowledgeChunk.objects.filter(source=source).update(search=search_vector())
    return source


def knowledge_source_delete(*, source: KnowledgeSource) -> None:
    """Delete a source and its chunks (after any change in progress: see _source_locked)."""
    with transaction.atomic():
        _source_locked(source.pk).delete()


# --- Conversations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConversationStarted:
    conversation: Conversation
    visitor_token: str  # for widget conversations, returned once; empty for staff ones


def conversation_start(*, channel: str, origin: str = "", user_id: int | None = None) -> ConversationStarted:
    token = secrets.token_urlsafe(32) if channel == Conversation.Channel.WIDGET else ""
    conversation = Conversation.objects.create(
        channel=channel,
        origin=origin[:300],
        started_by_user_id=user_id,
        visitor_token_hash=hashlib.sha256(token.encode()).hexdigest() if token else "",
    )
    return ConversationStarted(conversation=conversation, visitor_token=token)


def _message_add(conversation: Conversation, role: str, content: str, **fields: Any) -> Message:
    now = timezone.now()
    message = Message.objects.create(conversation=conversation, role=role, content=content, created_at=now, **fields)
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
    conversation.last_message_at = now
    return message


def conversation_handoff(*, conversation: Conversation, reason: str) -> Message | None:
    """Hand the conversation to a person: status ``handoff``, our notice to the customer, and the
    team told by email once committed. Already handed off: nothing changes (None)."""
    from ai_engine.chat.tasks import handoff_notify

    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if locked.status == Conversation.Status.CLOSED:
            raise Conflict("This conversation is closed; reopen it first.", code="conversation_closed")
        if locked.status == Conversation.Status.HANDOFF:
            return None
        Conversation.objects.filter(pk=conversation.pk).update(
            status=Conversation.Status.HANDOFF,
            handoff_reason=reason,
            handoff_at=timezone.now(),
            handoff_notified_at=None,
        )
        conversation.refresh_from_db()
        notice = _message_add(conversation, Message.Role.SYSTEM, prompting.HANDOFF_NOTICES[reason])
        conversation_id = conversation.pk
        transaction.on_commit(lambda: handoff_notify.delay(conversation_id=conversation_id))
    logger.info("chat_handoff", extra={"conversation_id": conversation.pk, "reason": reason})
    return notice


def _status_set(conversation: Conversation, status: str, notice: str = "") -> Conversation:
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        locked.status = status
        locked.save(update_fields=["status"])  # saved, not updated: the audit log records it
        conversation.refresh_from_db()
        if notice:
            _message_add(conversation, Message.Role.SYSTEM, notice)
    return conversation


def conversation_close(*, conversation: Conversation) -> Conversation:
    return _status_set(conversation, Conversation.Status.CLOSED)


def conversation_reopen(*, conversation: Conversation) -> Conversation:
    """Back to ``open``: the bot answers again."""
    if conversation.status == Conversation.Status.OPEN:
        return conversation
    return _status_set(conversation, Conversation.Status.OPEN, prompting.REOPEN_NOTICE)


def conversation_agent_reply(*, conversation: Conversation, content: str, user_id: int | None) -> Message:
    """A team member answers in person (the bot stays quiet while the conversation is handed off)."""
    content = _required("content", content, MAX_MESSAGE_CHARS)
    if conversation.status == Conversation.Status.CLOSED:
        raise Conflict("This conversation is closed; reopen it first.", code="conversation_closed")
    with transaction.atomic():
        return _message_add(conversation, Message.Role.AGENT, content, author_user_id=user_id)


def _handoff_mail_allowed(schema_name: str) -> bool:
    """At most CHAT_HANDOFF_EMAILS_PER_HOUR hand-off emails per workspace per clock hour."""
    from suresh_ai.redisclient import redis_client

    key = f"chat:handoff-mail:{schema_name}:{timezone.now():%Y%m%d%H}"
    client = redis_client()
    sent = int(client.incr(key))
    if sent == 1:
        client.expire(key, 3600)
    return sent <= settings.CHAT_HANDOFF_EMAILS_PER_HOUR


def conversation_handoff_email_send(*, conversation_id: int) -> bool:
    """Tell the team of a hand-off (once per hand-off), branded by the tenant whose schema this is."""
    from tenants.emails import branded_email_send
    from tenants.services import tenant_url

    tenant: Tenant = db().tenant
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().filter(pk=conversation_id).first()
        if conversation is None or conversation.status != Conversation.Status.HANDOFF:
            return False
        if conversation.handoff_notified_at is not None:
            return False
        recipients = selectors.handoff_recipients(tenant=tenant, settings_row=selectors.chat_settings_get())
        if recipients and not _handoff_mail_allowed(tenant.schema_name):
            logger.warning("chat_handoff_mail_capped", extra={"conversation_id": conversation_id})
            return False  # the inbox still lists it; the cap keeps a flood of chats from flooding inboxes
        context = {
            "conversation": conversation,
            "messages": selectors.messages_of(conversation=conversation, limit=10),
            "url": tenant_url(tenant=tenant, path=f"/ai/chat/{conversation.pk}/"),
        }
        for to in recipients:
            branded_email_send(
                tenant=tenant,
                to=to,
                subject=f"A customer is waiting for a person (conversation {conversation.pk})",
                template="chat_handoff",
                context=context,
            )
        conversation.handoff_notified_at = timezone.now()
        conversation.save(update_fields=["handoff_notified_at"])
    return bool(recipients)


# --- The customer's message and the answer -------------------------------------------------------


def conversation_message_post(
    *, tenant: Tenant, conversation: Conversation, content: str, actor: Actor
) -> Iterator[dict[str, Any]]:
    """Take the customer's message and answer it. Returns events: ``{"delta": text}`` pieces of
    the model's answer, then ``{"done": {user_message, message, conversation, completion}}`` (or
    ``{"error": {...}}`` when the answer stopped part-way; the partial answer is kept, marked).

    No model call when the customer asks for a person or nothing relevant is found (hand-off: the
    reply is our notice), or when the conversation is already with a person (no reply). Errors
    before the answer starts (quota 429, provider 503) are raised and leave nothing stored."""
    content = _required("content", content, MAX_MESSAGE_CHARS)
    if conversation.status == Conversation.Status.CLOSED:
        raise Conflict("This conversation is closed; start a new one.", code="conversation_closed")
    if conversation.status == Conversation.Status.HANDOFF:
        return _without_model(conversation, content, handoff_reason=None)
    if prompting.asks_for_human(content):
        return _without_model(conversation, content, handoff_reason=Conversation.HandoffReason.CUSTOMER_REQUEST)
    hits = knowledge_search(question=content)
    if not hits and (reply := prompting.small_talk_reply(content)) is not None:
        return _without_model(conversation, content, handoff_reason=None, notice=reply)
    if not hits:
        previous = selectors.previous_customer_message(conversation=conversation)
        hits = knowledge_search(question=f"{previous} {content}") if previous else []
    if not hits:
        return _without_model(conversation, content, handoff_reason=Conversation.HandoffReason.NO_RELEVANT_KNOWLEDGE)
    row = chat_settings_ensure()
    history = selectors.history_before_reply(conversation=conversation, count=row.history_messages)
    messages = [
        {"role": "system", "content": prompting.system_prompt(brand_name=tenant.brand_name, hits=hits)},
        *prompting.history_for_model(history),
        {"role": "user", "content": content},
    ]
    started = ai_stream(tenant=tenant, task="short", messages=messages, actor=actor)
    with transaction.atomic():
        user_message = _message_add(conversation, Message.Role.USER, content)
    return _answer_events(conversation, user_message, started.events, hits)


def _without_model(
    conversation: Conversation, content: str, *, handoff_reason: str | None, notice: str = ""
) -> Iterator[dict[str, Any]]:
    """Store the customer's message and answer without a model: a hand-off, our short reply to
    small talk (``notice``), or nothing (the conversation is with a person)."""
    with transaction.atomic():
        user_message = _message_add(conversation, Message.Role.USER, content)
        if handoff_reason:
            reply = conversation_handoff(conversation=conversation, reason=handoff_reason)
        else:
            reply = _message_add(conversation, Message.Role.SYSTEM, notice) if notice else None
    done = {"user_message": user_message, "message": reply, "conversation": conversation, "completion": None}
    return iter([{"done": done}])


def conversation_assistant_unavailable(*, conversation: Conversation, content: str) -> Iterator[dict[str, Any]]:
    """For site visitors when the model cannot be reached or the quota is used up: keep their
    message and hand the conversation to a person, instead of showing them our error."""
    content = _required("content", content, MAX_MESSAGE_CHARS)
    return _without_model(conversation, content, handoff_reason=Conversation.HandoffReason.ASSISTANT_UNAVAILABLE)


def _answer_events(
    conversation: Conversation, user_message: Message, events: Iterator[dict[str, Any]], hits: list[Hit]
) -> Iterator[dict[str, Any]]:
    pieces: list[str] = []
    outcome: dict[str, Any] = {}
    try:
        for event in events:
            if "delta" in event:
                pieces.append(event["delta"])
                yield event
            else:
                outcome = event
    finally:
        # Also when the client goes away mid-answer (GeneratorExit at the yield above): the
        # gateway records its request as interrupted, and we keep what was said.
        close = getattr(events, "close", None)
        if close is not None:
            close()
        done = outcome.get("done")
        text = "".join(pieces)
        answer = None
        if text or done is not None:
            answer = _message_add(
                conversation,
                Message.Role.ASSISTANT,
                text,
                citations=prompting.citations_in(text, hits),
                ai_request_id=(done or {}).get("request_id"),
                interrupted=done is None,
            )
    if done is None:
        error = outcome.get("error") or {"code": "ai_stream_interrupted", "message": "The answer stopped part-way."}
        yield {"error": {**error, "message_id": answer.pk if answer else None}}
        return
    yield {"done": {"user_message": user_message, "message": answer, "conversation": conversation, "completion": done}}
