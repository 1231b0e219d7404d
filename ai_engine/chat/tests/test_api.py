"""The team's chatbot API and pages: knowledge base, conversations, settings, isolation, admin."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from ai_engine.chat import services
from ai_engine.chat.models import ChatSettings, Conversation, KnowledgeSource, Message
from ai_engine.chat.tests.helpers import JSON, chat_objects, kb
from suresh_ai.testing import TenantFixture, key_with, login_client, make_member, otp_client
from tenants.models import Role, Tenant

API = "/api/v1/ai/chat"


def test_faq_and_products_over_the_api(alpha: TenantFixture) -> None:
    client = alpha.key_client()
    faq = client.post(
        f"{API}/knowledge/faqs/", {"question": "Do you ship abroad?", "answer": "Not yet."}, content_type=JSON
    )
    assert faq.status_code == 201, faq.content
    assert (faq.json()["kind"], faq.json()["title"], faq.json()["chunk_count"]) == ("faq", "Do you ship abroad?", 1)
    product = client.post(
        f"{API}/knowledge/products/",
        {"name": "Lime pickle", "sku": "LP-250", "price_paise": 18_000, "description": "Tangy.", "url": ""},
        content_type=JSON,
    )
    assert product.status_code == 201, product.content
    assert product.json()["chunks"] == [
        {"ordinal": 0, "heading": "Lime pickle (LP-250)", "text": "Tangy.\nPrice: ₹180.00\nSKU: LP-250"}
    ]
    csv = SimpleUploadedFile(
        "products.csv",
        b"name,sku,price_paise,description,url\nGarlic pickle,GP-1,15000,Spicy.,https://shop.alpha.in/p/gp\n"
        b"Chilli pickle,,,,\n",
        "text/csv",
    )
    imported = client.post(f"{API}/knowledge/products/import/", {"file": csv})
    assert (imported.status_code, imported.json()) == (201, {"created": 2})
    again = SimpleUploadedFile(  # the same catalogue again, a new price, headers in any case, a blank row
        "products.csv",
        b"Name,SKU,Price_Paise,Description,URL\nGarlic pickle,GP-1,16000,Spicy.,https://shop.alpha.in/p/gp\n,,,,\n",
        "text/csv",
    )
    assert client.post(f"{API}/knowledge/products/import/", {"file": again}).status_code == 201
    garlic = [
        s for s in client.get(f"{API}/knowledge/?kind=product").json()["results"] if s["title"] == "Garlic pickle"
    ]
    assert len(garlic) == 1  # updated by SKU, not copied
    assert client.get(f"{API}/knowledge/{garlic[0]['id']}/").json()["price_paise"] == 16_000
    listed = client.get(f"{API}/knowledge/?kind=product").json()["results"]
    assert [s["title"] for s in listed] == ["Chilli pickle", "Garlic pickle", "Lime pickle"]
    assert [s["title"] for s in client.get(f"{API}/knowledge/?kind=faq").json()["results"]] == ["Do you ship abroad?"]
    search = client.get(f"{API}/knowledge/search/", {"q": "garlic pickle price"}).json()
    assert search["query"] == "garlic or pickle or price"
    assert [r["title"] for r in search["results"]] == ["Garlic pickle", "Lime pickle", "Chilli pickle"]
    deleted = client.delete(f"{API}/knowledge/{faq.json()['id']}/")
    assert deleted.status_code == 204
    assert client.get(f"{API}/knowledge/{faq.json()['id']}/").status_code == 404


def test_knowledge_validation_names_the_field(alpha: TenantFixture) -> None:
    client = alpha.key_client()
    for path, body, field in (
        ("faqs/", {"question": "", "answer": "x"}, "question"),
        ("faqs/", {"question": "q?", "answer": "x", "extra": 1}, "extra"),
        ("products/", {"name": "x", "price_paise": "100"}, "price_paise"),
        ("products/", {"name": "x", "url": "javascript:alert(1)"}, "url"),
        ("products/", {"sku": "x"}, "name"),
    ):
        response = client.post(f"{API}/knowledge/{path}", body, content_type=JSON)
        assert response.status_code == 400, (path, body)
        assert list(response.json()["detail"]) == [field], response.json()
    bad_csv = SimpleUploadedFile("p.csv", b"name,price_paise\nGood,100\nBad,1.5\n", "text/csv")
    response = client.post(f"{API}/knowledge/products/import/", {"file": bad_csv})
    assert response.json()["detail"] == {"file": ["Line 3: price_paise must be a whole number of paise."]}
    bad_link = SimpleUploadedFile("p.csv", b"name,url\nGood,https://x.in/a\nBad,javascript:alert(1)\n", "text/csv")
    response = client.post(f"{API}/knowledge/products/import/", {"file": bad_link})
    assert response.json()["detail"] == {"file": ["Line 3: url: Enter an http:// or https:// link."]}
    with schema_context(alpha.tenant.schema_name):
        assert not KnowledgeSource.objects.exists()  # all or nothing
    assert client.get(f"{API}/knowledge/search/").json()["detail"] == {"q": ["Give a question to search for."]}
    assert list(client.get(f"{API}/knowledge/?kind=pdf").json()["detail"]) == ["kind"]


def test_settings_origins_history_and_key_rotation(alpha: TenantFixture) -> None:
    client = alpha.key_client()
    first = client.get(f"{API}/settings/").json()
    assert first["site_key"].startswith("cs_pub_")
    assert (first["allowed_origins"], first["history_messages"]) == ([], 5)
    changed = client.patch(
        f"{API}/settings/",
        {"allowed_origins": ["https://Shop.Alpha.in/", "http://localhost:3000", "https://shop.alpha.in:443"]},
        content_type=JSON,
    ).json()
    assert changed["allowed_origins"] == ["https://shop.alpha.in", "http://localhost:3000"]
    for body, field in (
        ({"allowed_origins": ["https://shop.alpha.in/path"]}, "allowed_origins"),
        ({"allowed_origins": ["shop.alpha.in"]}, "allowed_origins"),
        ({"history_messages": 21}, "history_messages"),
        ({"history_messages": 0}, "history_messages"),
        ({"handoff_email": "not-an-email"}, "handoff_email"),
    ):
        response = client.patch(f"{API}/settings/", body, content_type=JSON)
        assert (response.status_code, list(response.json()["detail"])) == (400, [field]), body
    rotated = client.post(f"{API}/settings/rotate-key/", {}, content_type=JSON).json()
    assert rotated["site_key"] != first["site_key"]
    with schema_context(alpha.tenant.schema_name):
        assert ChatSettings.objects.count() == 1
    # Analysts read the settings but only admins (and admin-scoped keys) change them.
    writer = alpha.key_client(key_with(alpha.tenant, ["write"]))
    assert writer.get(f"{API}/settings/").status_code == 200
    refused = writer.patch(f"{API}/settings/", {"history_messages": 3}, content_type=JSON)
    assert (refused.status_code, refused.json()["code"]) == (403, "insufficient_scope")


def test_viewers_and_read_keys_cannot_use_the_chatbot(alpha: TenantFixture) -> None:
    viewer = login_client(alpha, make_member(alpha.tenant, Role.VIEWER))
    assert viewer.get(f"{API}/conversations/").status_code == 403
    assert viewer.get("/ai/chat/").status_code == 403
    reader = alpha.key_client(key_with(alpha.tenant, ["read"]))
    assert reader.get(f"{API}/conversations/").status_code == 200
    response = reader.post(f"{API}/knowledge/faqs/", {"question": "q", "answer": "a"}, content_type=JSON)
    assert (response.status_code, response.json()["code"]) == (403, "insufficient_scope")


def test_tenant_a_gets_404_on_b_sources_and_conversations_and_lists_only_its_own(
    alpha: TenantFixture, beta: TenantFixture
) -> None:
    mine, theirs = chat_objects(alpha), chat_objects(beta)
    client = alpha.key_client()
    for path in (
        f"{API}/knowledge/{theirs['chat_source']}/",
        f"{API}/conversations/{theirs['chat_conversation']}/",
    ):
        assert client.get(path).status_code == 404, path
    assert (
        client.post(
            f"{API}/conversations/{theirs['chat_conversation']}/reply/", {"content": "x"}, content_type=JSON
        ).status_code
        == 404
    )
    listed = client.get(f"{API}/conversations/").json()["results"]
    assert [c["id"] for c in listed] == [mine["chat_conversation"]]
    detail = client.get(f"{API}/conversations/{mine['chat_conversation']}/").json()
    assert [m["content"] for m in detail["messages"]] == ["Hello from the team"]
    assert [s["id"] for s in client.get(f"{API}/knowledge/").json()["results"]] == [mine["chat_source"]]
    with schema_context(beta.tenant.schema_name):
        assert Message.objects.filter(conversation_id=theirs["chat_conversation"]).count() == 1


def test_the_pages_add_knowledge_reply_and_configure(alpha: TenantFixture) -> None:
    page = login_client(alpha, alpha.owner)
    added = page.post("/ai/chat/knowledge/", {"action": "faq", "faq-question": "Open on Sunday?", "faq-answer": "No."})
    assert added.status_code == 302
    upload = SimpleUploadedFile("hours.md", b"# Hours\n\nNine to six, Monday to Saturday.", "text/markdown")
    assert page.post("/ai/chat/knowledge/", {"action": "document", "doc-file": upload}).status_code == 302
    bad = SimpleUploadedFile("x.docx", b"PK", "application/octet-stream")
    refused = page.post("/ai/chat/knowledge/", {"action": "document", "doc-file": bad})
    assert refused.status_code == 400
    assert "Upload text (.txt), Markdown (.md) or PDF (.pdf)" in refused.content.decode()
    html = page.get("/ai/chat/knowledge/", {"q": "are you open on sunday"}).content.decode()
    assert "Open on Sunday?" in html
    assert "hours.md" in html
    with schema_context(alpha.tenant.schema_name):
        faq = KnowledgeSource.objects.get(kind="faq", title="Open on Sunday?")
        document = KnowledgeSource.objects.get(kind="document")
    edit = f"/ai/chat/knowledge/{faq.pk}/"
    assert f'href="{edit}"' in html
    assert 'value="Open on Sunday?"' in page.get(edit).content.decode()
    blank = page.post(edit, {"question": "", "answer": "No.", "status": "ready"})
    assert blank.status_code == 400
    changed = {"question": "Open on Sundays?", "answer": "Yes, ten to two.", "status": "ready"}
    assert page.post(edit, changed).status_code == 302
    answer = page.get("/ai/chat/knowledge/", {"q": "open on sunday"}).content.decode()
    assert "Yes, ten to two." in answer  # the new answer is what the bot finds
    assert page.post(edit, {**changed, "status": "disabled"}).status_code == 302
    assert (
        "this question would go to a person"
        in page.get("/ai/chat/knowledge/", {"q": "open on sunday"}).content.decode()
    )
    assert page.post(edit, {**changed, "status": "ready"}).status_code == 302  # used again
    assert "Yes, ten to two." in page.get("/ai/chat/knowledge/", {"q": "open on sunday"}).content.decode()
    renamed = page.post(f"/ai/chat/knowledge/{document.pk}/", {"title": "Opening hours", "status": "ready"})
    assert renamed.status_code == 302
    assert (
        page.post(f"/ai/chat/knowledge/{document.pk}/", {"title": "x", "answer": "y", "status": "ready"}).status_code
        == 302
    )
    with schema_context(alpha.tenant.schema_name):
        document.refresh_from_db()
        assert (document.title, document.answer) == ("x", "")  # a document has no answer to set
    assert page.post("/ai/chat/knowledge/", {"action": "product", "product-name": "Lime pickle"}).status_code == 302
    with schema_context(alpha.tenant.schema_name):
        lime = KnowledgeSource.objects.get(kind="product")
    product = {"name": "Lime pickle 500 g", "sku": "LIME-500", "price_paise": 18_000, "description": "", "url": ""}
    assert page.post(f"/ai/chat/knowledge/{lime.pk}/", {**product, "status": "ready"}).status_code == 302
    assert "₹180" in page.get("/ai/chat/knowledge/", {"q": "lime pickle price"}).content.decode()
    huge = page.post(f"/ai/chat/knowledge/{lime.pk}/", {**product, "name": "Renamed", "price_paise": 10**22})
    assert huge.status_code == 400  # a form error, not the database's bigint overflow
    assert "<h1>Edit: Product</h1>" in huge.content.decode()
    bad_link = page.post(f"/ai/chat/knowledge/{lime.pk}/", {**product, "name": "Renamed", "url": "ftp://x.in/a"})
    assert bad_link.status_code == 400
    assert "Renamed" not in bad_link.content.decode().split("<form")[0]  # the page shows what is stored
    api = alpha.key_client()
    too_big = api.post(f"{API}/knowledge/products/", {"name": "Jar", "price_paise": 10**19}, content_type=JSON)
    assert too_big.status_code == 400
    assert "price_paise" in too_big.json()["detail"]
    numeric_sku = api.post(f"{API}/knowledge/products/", {"name": "Jar", "sku": 500}, content_type=JSON)
    assert (numeric_sku.status_code, numeric_sku.json()["sku"]) == (201, "500")
    with schema_context(alpha.tenant.schema_name):
        conversation = services.conversation_start(channel="widget", origin="https://shop.alpha.in").conversation
        Message.objects.create(conversation=conversation, role="user", content="Where is my order?")
    inbox = page.get("/ai/chat/").content.decode()
    assert f"Conversation {conversation.pk}" in inbox
    assert "chat/console.js" in inbox
    thread = f"/ai/chat/{conversation.pk}/"
    assert "Where is my order?" in page.get(thread).content.decode()
    assert page.post(thread, {"action": "handoff"}).status_code == 302
    assert page.post(thread, {"action": "reply", "content": "It ships today."}).status_code == 302
    assert page.post(thread, {"action": "close"}).status_code == 302
    with schema_context(alpha.tenant.schema_name):
        assert Conversation.objects.get(pk=conversation.pk).status == "closed"
        assert list(Message.objects.filter(conversation=conversation).values_list("role", flat=True)) == [
            "user",
            "system",
            "agent",
        ]
    saved = page.post(
        "/ai/chat/settings/",
        {"allowed_origins": "https://shop.alpha.in\n\n", "history_messages": 7, "handoff_email": "", "greeting": "Hi!"},
    )
    assert saved.status_code == 302
    settings_html = page.get("/ai/chat/settings/").content.decode()
    with schema_context(alpha.tenant.schema_name):
        row = ChatSettings.objects.get()
    assert (row.allowed_origins, row.history_messages, row.greeting) == (["https://shop.alpha.in"], 7, "Hi!")
    assert f'data-site-key="{row.site_key}"' in settings_html
    bad_origin = page.post(
        "/ai/chat/settings/", {"allowed_origins": "ftp://x", "history_messages": 5, "greeting": "Hi"}
    )
    assert bad_origin.status_code == 400
    assert page.post("/ai/chat/settings/rotate-key/").status_code == 302
    with schema_context(alpha.tenant.schema_name):
        assert ChatSettings.objects.get().site_key != row.site_key


def test_pages_need_the_plan_and_the_role(alpha: TenantFixture) -> None:
    analyst = login_client(alpha, make_member(alpha.tenant, Role.ANALYST))
    assert analyst.get("/ai/chat/").status_code == 200
    assert analyst.get("/ai/chat/settings/").status_code == 403  # admins only
    Tenant.objects.filter(pk=alpha.tenant.pk).update(plan="starter")
    refused = login_client(alpha, alpha.owner).get("/ai/chat/knowledge/")
    assert refused.status_code == 403
    assert "AI chatbot is not in your plan" in refused.content.decode()


def test_the_admin_shows_conversations_to_the_tenants_owners(alpha: TenantFixture) -> None:
    kb(alpha)
    with schema_context(alpha.tenant.schema_name):
        services.conversation_start(channel="staff")
    owner = otp_client(alpha.owner, alpha.host)
    assert owner.get("/admin/ai_chat/conversation/").status_code == 200
    page = owner.get("/admin/ai_chat/knowledgesource/")
    assert page.status_code == 200
    assert "Mango pickle" in page.content.decode()
    assert owner.get("/admin/ai_chat/knowledgesource/add/").status_code == 403
