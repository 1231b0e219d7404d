"""Answers: grounded on retrieved passages, streamed, cited; history; hand-off to a person."""

from __future__ import annotations

from typing import Any

from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from ai_engine.chat import services
from ai_engine.chat.models import Conversation, Message
from ai_engine.chat.tests.helpers import BOT_MODEL, JSON, events, kb, streamed_text
from ai_engine.models import AIRequest
from ai_engine.quota import quota_key
from ai_engine.testing.fake_llm import FakeLLM
from suresh_ai.redisclient import redis_client
from suresh_ai.testing import TenantFixture
from tenants.models import Tenant


def _conversation(fixture: TenantFixture) -> int:
    response = fixture.key_client().post("/api/v1/ai/chat/conversations/", {}, content_type=JSON)
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def _ask(fixture: TenantFixture, pk: int, content: str) -> Any:
    return fixture.key_client().post(
        f"/api/v1/ai/chat/conversations/{pk}/messages/", {"content": content}, content_type=JSON
    )


def _messages(fixture: TenantFixture, pk: int) -> list[tuple[str, str]]:
    with schema_context(fixture.tenant.schema_name):
        return list(Message.objects.filter(conversation_id=pk).values_list("role", "content"))


def test_an_answer_is_grounded_streamed_and_its_citations_stored(alpha: TenantFixture, llm: FakeLLM) -> None:
    sources = kb(alpha)
    llm.replies[BOT_MODEL] = "Unopened items come back within 7 days [1]; shipping is free above Rs 500 [2][9]."
    pk = _conversation(alpha)
    pairs = events(_ask(alpha, pk, "Can I return an opened jar for a refund, and what about shipping?"))
    assert streamed_text(pairs) == llm.replies[BOT_MODEL]
    name, done = pairs[-1]
    assert name == "done"
    assert done["message"]["role"] == "assistant"
    # [9] names no source given to the model and is ignored.
    assert done["message"]["citations"] == [
        {"n": 1, "source_id": sources["refund"].pk, "title": "What is your refund policy?", "kind": "faq"},
        {"n": 2, "source_id": sources["shipping"].pk, "title": "How long does shipping take?", "kind": "faq"},
    ]
    assert done["conversation"] == {"id": pk, "status": "open", "handoff_reason": ""}
    assert (done["completion"]["model"], done["completion"]["cached"]) == (BOT_MODEL, False)
    # What the model was given: our instructions, the numbered passages, then the question.
    sent = llm.requests[-1]["messages"]
    assert [m["role"] for m in sent] == ["system", "user"]
    assert "Alpha Traders" in sent[0]["content"]
    assert "using ONLY the numbered sources" in sent[0]["content"]
    assert sent[0]["content"].endswith(
        "Sources:\n\n"
        "[1] FAQ entry: What is your refund policy?\n"
        "Unopened items can be returned within 7 days for a full refund to the original payment.\n\n"
        "[2] FAQ entry: How long does shipping take?\n"
        "We ship across India in 3 to 5 working days. Shipping is free above Rs 500.\n\n"
        "[3] Product: Mango pickle · Mango pickle (MP-500)\n"
        "Homemade raw mango pickle in cold-pressed mustard oil, 500 g jar.\n"
        "Price: ₹250.00\nSKU: MP-500\nLink: https://shop.alpha.in/p/mango-pickle"
    )
    assert sent[1] == {"role": "user", "content": "Can I return an opened jar for a refund, and what about shipping?"}
    with schema_context(alpha.tenant.schema_name):
        answer = Message.objects.get(conversation_id=pk, role="assistant")
        assert answer.ai_request_id == AIRequest.objects.get().pk
        assert (answer.content, answer.interrupted, len(answer.citations)) == (llm.replies[BOT_MODEL], False, 2)


def test_the_last_n_messages_travel_as_history(alpha: TenantFixture, llm: FakeLLM) -> None:
    kb(alpha)
    pk = _conversation(alpha)
    with schema_context(alpha.tenant.schema_name):
        services.chat_settings_update(data={"history_messages": 3})
        conversation = Conversation.objects.get(pk=pk)
        for role, content in (
            ("user", "first question"),
            ("assistant", "first answer"),
            ("system", "a notice, never sent"),
            ("user", "second question"),
            ("agent", "a person's answer"),
        ):
            Message.objects.create(conversation=conversation, role=role, content=content, created_at=timezone.now())
    events(_ask(alpha, pk, "How long does shipping take?"))
    assert llm.requests[-1]["messages"][1:] == [
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": "second question"},
        {"role": "assistant", "content": "(A member of our team wrote:) a person's answer"},
        {"role": "user", "content": "How long does shipping take?"},
    ]
    # The default is 5: the question and answer just stored now travel too.
    with schema_context(alpha.tenant.schema_name):
        services.chat_settings_update(data={"history_messages": 5})
    events(_ask(alpha, pk, "And cash on delivery?"))
    assert [m["content"] for m in llm.requests[-1]["messages"][1:]] == [
        "first answer",
        "second question",
        "(A member of our team wrote:) a person's answer",
        "How long does shipping take?",
        f"[fake {BOT_MODEL}] reply to: How long does shipping take?",
        "And cash on delivery?",
    ]


def test_nothing_relevant_hands_off_with_an_email_and_no_model_call(
    alpha: TenantFixture,
    llm: FakeLLM,
    eager_tasks: None,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    kb(alpha)
    pk = _conversation(alpha)
    with django_capture_on_commit_callbacks(execute=True):
        pairs = events(_ask(alpha, pk, "Is the weather nice in Paris?"))
    assert [name for name, _ in pairs] == ["done"]  # no model text at all
    done = pairs[0][1]
    assert done["message"]["role"] == "system"
    assert done["message"]["content"].startswith("I could not find this in our help articles")
    assert done["conversation"] == {"id": pk, "status": "handoff", "handoff_reason": "no_relevant_knowledge"}
    assert done["completion"] is None
    assert sum(llm.calls.values()) == 0
    assert [m.to for m in mailoutbox] == [["owner@alpha.in"]]
    assert mailoutbox[0].subject == f"A customer is waiting for a person (conversation {pk})"
    assert "Customer: Is the weather nice in Paris?" in mailoutbox[0].body
    assert f"http://alpha.localhost/ai/chat/{pk}/" in mailoutbox[0].body
    with schema_context(alpha.tenant.schema_name):
        assert Conversation.objects.get(pk=pk).handoff_notified_at is not None
        assert not AIRequest.objects.exists()


def test_asking_for_a_person_hands_off_without_the_model(
    alpha: TenantFixture,
    llm: FakeLLM,
    eager_tasks: None,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    kb(alpha)
    with schema_context(alpha.tenant.schema_name):
        services.chat_settings_update(data={"handoff_email": "support@alpha.in"})
    pk = _conversation(alpha)
    with django_capture_on_commit_callbacks(execute=True):
        done = events(_ask(alpha, pk, "This is about my refund, can I talk to a human please?"))[-1][1]
    assert done["conversation"]["handoff_reason"] == "customer_request"
    assert done["message"]["content"] == (
        "Of course. I have asked a member of our team to join; a person will reply here soon."
    )
    assert sum(llm.calls.values()) == 0
    assert [m.to for m in mailoutbox] == [["support@alpha.in"]]
    # Handed off: later messages are kept for the team and get no reply from the bot.
    done = events(_ask(alpha, pk, "What is your refund policy?"))[-1][1]
    assert (done["message"], done["conversation"]["status"]) == (None, "handoff")
    assert sum(llm.calls.values()) == 0
    assert len(mailoutbox) == 1  # one email per hand-off
    assert _messages(alpha, pk) == [
        ("user", "This is about my refund, can I talk to a human please?"),
        ("system", "Of course. I have asked a member of our team to join; a person will reply here soon."),
        ("user", "What is your refund policy?"),
    ]


def test_human_request_phrases() -> None:
    from ai_engine.chat.prompting import asks_for_human

    for text in (
        "talk to a human",
        "Can I speak with a real person?",
        "connect me to customer care",
        "I want an agent",
        "human please",
        "Agent!",
        "i need to talk to someone",
    ):
        assert asks_for_human(text), text
    assert asks_for_human("insaan se baat karni hai")
    assert asks_for_human("kisi agent se baat karao")
    for text in (
        "the agent said my order shipped",
        "is this made by humans?",
        "personalised gift box",
        "I do not want to talk to a human, just tell me the price",
    ):
        assert not asks_for_human(text), text


def test_small_talk_gets_our_reply_not_a_hand_off(alpha: TenantFixture, llm: FakeLLM, mailoutbox: list[Any]) -> None:
    kb(alpha)
    pk = _conversation(alpha)
    for text, reply in (
        ("hi", "Hello! Ask me about our products, orders, delivery, payments or returns."),
        ("Thank you!", "You are welcome! Is there anything else I can help with?"),
    ):
        done = events(_ask(alpha, pk, text))[-1][1]
        assert (done["message"]["role"], done["message"]["content"]) == ("system", reply)
        assert done["conversation"]["status"] == "open"
    assert sum(llm.calls.values()) == 0
    assert mailoutbox == []
    # A real question with nothing in the knowledge base still goes to a person.
    done = events(_ask(alpha, pk, "hi, can you engrave initials"))[-1][1]
    assert done["conversation"]["handoff_reason"] == "no_relevant_knowledge"


def test_hand_off_emails_are_capped_per_hour(
    alpha: TenantFixture, eager_tasks: None, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    from django.test import override_settings

    with schema_context(alpha.tenant.schema_name):
        services.chat_settings_update(data={"handoff_email": "support@alpha.in"})
    with override_settings(CHAT_HANDOFF_EMAILS_PER_HOUR=2):
        for _ in range(3):
            pk = _conversation(alpha)
            with django_capture_on_commit_callbacks(execute=True):
                events(_ask(alpha, pk, "talk to a human"))
    assert len(mailoutbox) == 2
    with schema_context(alpha.tenant.schema_name):
        assert services.Conversation.objects.filter(status="handoff").count() == 3  # all in the inbox


def test_the_team_takes_over_replies_and_reopens(alpha: TenantFixture, llm: FakeLLM) -> None:
    kb(alpha)
    client = alpha.key_client()
    pk = _conversation(alpha)
    base = f"/api/v1/ai/chat/conversations/{pk}"
    assert client.post(f"{base}/handoff/", {}, content_type=JSON).json()["status"] == "handoff"
    reply = client.post(f"{base}/reply/", {"content": "Hi, Priya here."}, content_type=JSON)
    assert (reply.status_code, reply.json()["role"], reply.json()["author_user_id"]) == (201, "agent", None)
    assert events(_ask(alpha, pk, "How long does shipping take?"))[-1][1]["message"] is None
    assert sum(llm.calls.values()) == 0
    reopened = client.post(f"{base}/reopen/", {}, content_type=JSON).json()
    assert reopened["status"] == "open"
    assert streamed_text(events(_ask(alpha, pk, "How long does shipping take?")))
    assert sum(llm.calls.values()) == 1
    closed = client.post(f"{base}/close/", {}, content_type=JSON).json()
    assert closed["status"] == "closed"
    refused = _ask(alpha, pk, "hello?")
    assert (refused.status_code, refused.json()["code"]) == (409, "conversation_closed")
    assert [m["role"] for m in closed["messages"]] == [
        "system",
        "agent",
        "user",
        "system",
        "user",
        "assistant",
    ]


def test_a_stream_cut_part_way_keeps_the_partial_answer_marked(alpha: TenantFixture, llm: FakeLLM) -> None:
    kb(alpha)
    llm.script = {BOT_MODEL: ["cut"]}
    pk = _conversation(alpha)
    pairs = events(_ask(alpha, pk, "How long does shipping take?"))
    assert streamed_text(pairs) == f"[fake {BOT_MODEL}] "
    name, error = pairs[-1]
    with schema_context(alpha.tenant.schema_name):
        partial = Message.objects.get(conversation_id=pk, role="assistant")
    assert (name, error) == (
        "error",
        {"code": "ai_stream_interrupted", "message": "The answer stopped part-way.", "message_id": partial.pk},
    )
    assert (partial.content, partial.interrupted) == (f"[fake {BOT_MODEL}] ", True)


def test_a_client_leaving_mid_answer_keeps_what_was_said(alpha: TenantFixture, llm: FakeLLM) -> None:
    from ai_engine.services import Actor

    kb(alpha)
    with schema_context(alpha.tenant.schema_name):
        conversation = services.conversation_start(channel="staff").conversation
        stream = services.conversation_message_post(
            tenant=alpha.tenant, conversation=conversation, content="How long does shipping take?", actor=Actor()
        )
        assert next(stream) == {"delta": "[fake "}
        stream.close()  # what WSGI does when the client goes away
        partial = Message.objects.get(conversation=conversation, role="assistant")
        assert (partial.content, partial.interrupted) == ("[fake ", True)
        assert AIRequest.objects.get().outcome == "interrupted"


def test_errors_before_the_answer_are_json_and_store_nothing(alpha: TenantFixture, llm: FakeLLM) -> None:
    kb(alpha)
    pk = _conversation(alpha)
    with override_settings(GROQ_API_KEY="", AI_OPENAI_BASE_URL=""):
        response = _ask(alpha, pk, "How long does shipping take?")
    assert (response.status_code, response.json()["code"]) == (503, "ai_provider_not_configured")
    redis_client().set(quota_key(alpha.tenant.schema_name, timezone.now()), 10_000)
    response = _ask(alpha, pk, "How long does shipping take?")
    assert (response.status_code, response.json()["code"]) == (429, "ai_quota_exceeded")
    assert _messages(alpha, pk) == []
    blank = _ask(alpha, pk, "   ")
    assert (blank.status_code, list(blank.json()["detail"])) == (400, ["content"])


def test_the_chatbot_needs_a_plan_that_has_it(alpha: TenantFixture) -> None:
    Tenant.objects.filter(pk=alpha.tenant.pk).update(plan="starter")
    for path in ("/api/v1/ai/chat/knowledge/", "/api/v1/ai/chat/conversations/", "/api/v1/ai/chat/settings/"):
        response = alpha.key_client().get(path)
        assert (response.status_code, response.json()["code"]) == (403, "feature_not_in_plan"), path
        assert response.json()["detail"]["feature"] == "chatbot"
