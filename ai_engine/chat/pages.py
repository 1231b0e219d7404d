"""Chatbot pages: the inbox (read, reply as a person, hand off, close; try the bot), the knowledge
base (FAQ, documents, products, search), the widget settings, and the widget's script."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from ai_engine.chat import selectors, services
from ai_engine.chat.knowledge import knowledge_search
from ai_engine.chat.models import Conversation, KnowledgeSource
from billing.pages import feature_locked
from billing.selectors import FeatureNotInPlan, require_feature
from suresh_ai.api.serializers import MAX_PAISE
from suresh_ai.errors import ApplicationError, NotFound
from suresh_ai.tenancy import request_tenant
from tenants.forms import form_apply_errors
from tenants.models import Role
from tenants.views.auth import member_required

View = Callable[..., HttpResponse]
WIDGET_JS = Path(__file__).resolve().parent / "static" / "chat" / "widget.js"


def chat_page(minimum: str) -> Callable[[View], View]:
    """A member with at least ``minimum``, on a plan with the chatbot (else, in the layout, what it does and
    which plans have it)."""

    def decorator(view: View) -> View:
        @member_required(minimum)
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                require_feature(request_tenant(request), "chatbot")
            except FeatureNotInPlan:
                return feature_locked(request, "chatbot")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class FaqForm(forms.Form):
    question = forms.CharField(max_length=300)
    answer = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000)


class DocumentForm(forms.Form):
    file = forms.FileField(help_text="Text (.txt), Markdown (.md) or PDF (.pdf).")
    title = forms.CharField(max_length=300, required=False, help_text="Empty: the file's name.")


class ProductForm(forms.Form):
    name = forms.CharField(max_length=300)
    sku = forms.CharField(max_length=64, required=False, label="SKU")
    price_paise = forms.IntegerField(min_value=0, max_value=MAX_PAISE, required=False, label="Price (paise)")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=10_000)
    url = forms.URLField(max_length=500, required=False, label="Product page URL", assume_scheme="https")


def _use_field() -> forms.ChoiceField:
    usable = (KnowledgeSource.Status.READY, KnowledgeSource.Status.DISABLED)
    return forms.ChoiceField(choices=[(s.value, s.label) for s in usable], label="Use in answers")


class FaqEditForm(FaqForm):
    status = _use_field()


class ProductEditForm(ProductForm):
    status = _use_field()


class DocumentEditForm(forms.Form):
    title = forms.CharField(max_length=300)
    status = _use_field()


EDIT_FORMS: dict[str, type[forms.Form]] = {
    KnowledgeSource.Kind.FAQ: FaqEditForm,
    KnowledgeSource.Kind.PRODUCT: ProductEditForm,
    KnowledgeSource.Kind.DOCUMENT: DocumentEditForm,
}


class SettingsForm(forms.Form):
    allowed_origins = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One per line, exactly as the browser sends it, e.g. https://shop.example.in",
    )
    history_messages = forms.IntegerField(
        min_value=1, max_value=20, help_text="Earlier messages sent to the model with each question (1-20)."
    )
    handoff_email = forms.EmailField(required=False, help_text="Told of hand-offs. Empty: owners and admins.")
    greeting = forms.CharField(max_length=300)


class ReplyForm(forms.Form):
    content = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, label="Your reply")


@chat_page(Role.ANALYST)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    if status not in (None, *Conversation.Status.values):
        status = None
    context = {
        "conversations": selectors.conversations_list(status=status).order_by("-last_message_at", "-id")[:100],
        "status": status,
        "statuses": Conversation.Status.choices,
        "waiting": selectors.conversations_list(status=Conversation.Status.HANDOFF).count(),
    }
    return render(request, "chat/inbox.html", context)


@chat_page(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.conversation_get(pk=pk)
    if found is None:
        return render(request, "errors/404.html", {"message": "No such conversation."}, status=404)
    form = ReplyForm(request.POST if request.POST.get("action") == "reply" else None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "reply" and form.is_valid():
                services.conversation_agent_reply(
                    conversation=found, content=form.cleaned_data["content"], user_id=request.user.pk
                )
                return redirect("chat-conversation", pk=pk)
            if action == "handoff":
                services.conversation_handoff(conversation=found, reason=Conversation.HandoffReason.STAFF)
            elif action == "close":
                services.conversation_close(conversation=found)
            elif action == "reopen":
                services.conversation_reopen(conversation=found)
            if action in ("handoff", "close", "reopen"):
                return redirect("chat-conversation", pk=pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("chat-conversation", pk=pk)
    context = {"conversation": found, "messages_list": selectors.messages_of(conversation=found), "form": form}
    return render(request, "chat/conversation.html", context, status=400 if form.errors else 200)


@chat_page(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def knowledge(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action")
    faq = FaqForm(request.POST if action == "faq" else None, prefix="faq")
    document = DocumentForm(request.POST if action == "document" else None, request.FILES or None, prefix="doc")
    product = ProductForm(request.POST if action == "product" else None, prefix="product")
    if request.method == "POST":
        done = _knowledge_add(action, faq, document, product)
        if done:
            messages.success(request, done)
            return redirect("chat-knowledge")
    question = (request.GET.get("q") or "").strip()
    context = {
        "faq_form": faq,
        "document_form": document,
        "product_form": product,
        "sources": selectors.sources_list().order_by("-created_at", "-id")[:200],
        "question": question,
        "hits": knowledge_search(question=question) if question else None,
    }
    failed = any(f.errors for f in (faq, document, product))
    return render(request, "chat/knowledge.html", context, status=400 if failed else 200)


def _knowledge_add(action: str | None, faq: FaqForm, document: DocumentForm, product: ProductForm) -> str:
    """Add what the submitted form describes; the success message, or "" with errors on the form."""
    form: forms.Form = {"faq": faq, "document": document, "product": product}.get(action or "", faq)
    if action not in ("faq", "document", "product") or not form.is_valid():
        return ""
    data = form.cleaned_data
    try:
        if action == "faq":
            source = services.knowledge_faq_create(question=data["question"], answer=data["answer"])
        elif action == "document":
            upload = data["file"]
            source = services.knowledge_document_create(
                filename=upload.name, content_type=upload.content_type or "", data=upload.read(), title=data["title"]
            )
        else:
            source = services.knowledge_product_create(
                name=data["name"],
                sku=data["sku"],
                price_paise=data["price_paise"],
                description=data["description"],
                url=data["url"],
            )
    except ApplicationError as exc:
        form_apply_errors(form, exc)
        return ""
    if source.status == KnowledgeSource.Status.PROCESSING:
        return f"Added “{source.title}”: the PDF is being read; its status shows in the list below."
    return f"Added “{source.title}”."


@chat_page(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def knowledge_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an entry: an FAQ's question and answer, a product's details, a document's title, and
    whether the bot uses it (a disabled entry is kept but never cited)."""
    source = KnowledgeSource.objects.filter(pk=pk).first()
    if source is None:
        return render(request, "errors/404.html", {"message": "No such source."}, status=404)
    form_class = EDIT_FORMS[source.kind]
    initial = {name: getattr(source, "title" if name == "name" else name) for name in form_class.base_fields}
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if "name" in data:  # a product's name is its title
            data["title"] = data.pop("name")
        if source.status in (KnowledgeSource.Status.PROCESSING, KnowledgeSource.Status.FAILED):
            data.pop("status", None)  # set by the reading of the PDF, not here
        try:
            saved = services.knowledge_source_update(source=source, data=data)
        except NotFound:
            raise  # deleted meanwhile: the 404 page
        except ApplicationError as exc:
            form_apply_errors(form, exc)  # the page shows what is stored, not the refused values
        else:
            messages.success(request, f"Saved “{saved.title}”.")
            return redirect("chat-knowledge")
    status = 400 if form.errors else 200
    return render(request, "chat/knowledge_edit.html", {"source": source, "form": form}, status=status)


@chat_page(Role.ANALYST)
@require_POST
def knowledge_delete(request: HttpRequest, pk: int) -> HttpResponse:
    source = KnowledgeSource.objects.filter(pk=pk).first()
    if source is None:
        return render(request, "errors/404.html", {"message": "No such source."}, status=404)
    services.knowledge_source_delete(source=source)
    messages.success(request, f"Deleted “{source.title}”.")
    return redirect("chat-knowledge")


@chat_page(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def chat_settings(request: HttpRequest) -> HttpResponse:
    row = services.chat_settings_ensure()
    initial = {
        "allowed_origins": "\n".join(row.allowed_origins),
        "history_messages": row.history_messages,
        "handoff_email": row.handoff_email,
        "greeting": row.greeting,
    }
    form = SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["allowed_origins"] = [line for line in data["allowed_origins"].splitlines() if line.strip()]
        try:
            services.chat_settings_update(data=data)
        except ApplicationError as exc:
            form_apply_errors(form, exc)
        else:
            messages.success(request, "Chatbot settings saved.")
            return redirect("chat-settings")
    context = {"form": form, "row": row, "host": request.get_host()}
    return render(request, "chat/settings.html", context, status=400 if form.errors else 200)


@chat_page(Role.ADMIN)
@require_POST
def rotate_site_key(request: HttpRequest) -> HttpResponse:
    services.chat_settings_rotate_key()
    messages.success(request, "A new site key is in use: update the snippet on your site.")
    return redirect("chat-settings")


@lru_cache(maxsize=1)
def _widget_source() -> bytes:
    return WIDGET_JS.read_bytes()


@require_safe
def widget_js(request: HttpRequest) -> HttpResponse:
    """The widget's script, for any site to include; what it may do is decided by the public API."""
    response = HttpResponse(_widget_source(), content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
