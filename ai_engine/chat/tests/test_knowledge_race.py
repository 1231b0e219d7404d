"""A change to a knowledge source racing its deletion: the change is a clean 404 (or waits and then
the deletion follows), never an IntegrityError, a deadlock or a source brought back to life.

The threaded tests use committed rows (threads have their own connections and see only committed
data), written in autocommit through ``django_db_blocker.unblock()`` and removed afterwards, as in
billing's coupon race: ``transaction=True`` would flush the session's committed tenants.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, connections
from django_tenants.utils import schema_context

from ai_engine.chat import services
from ai_engine.chat.models import KnowledgeChunk, KnowledgeSource
from suresh_ai.errors import NotFound
from suresh_ai.testing import TenantFixture

JSON = "application/json"
SCHEMA = "t_alpha"


@pytest.fixture
def committed_faq(django_db_setup: None, django_db_blocker: Any) -> Iterator[KnowledgeSource]:
    """An FAQ entry committed in alpha's schema (deleted again after the test, whatever happened)."""
    with django_db_blocker.unblock(), schema_context(SCHEMA):
        source = services.knowledge_faq_create(question="Race question?", answer="The first answer.")
        try:
            yield source
        finally:
            KnowledgeSource.objects.filter(question__startswith="Race question").delete()


def _in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """Run ``work`` in alpha's schema on a thread of its own (so its own database connection)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            with schema_context(SCHEMA):
                outcome["result"] = work()
        except BaseException as exc:  # noqa: BLE001 - the test asserts on it
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _someone_waits_on_a_row_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return bool(cursor.fetchone()[0])


def test_a_change_to_a_source_deleted_since_it_was_loaded_is_not_found(
    committed_faq: KnowledgeSource, django_db_blocker: Any
) -> None:
    """Load, then another connection deletes and commits, then save: NotFound, nothing brought back
    (the old code's save() found no row to update and inserted it again, chunks and all)."""
    with django_db_blocker.unblock(), schema_context(SCHEMA):
        loaded = KnowledgeSource.objects.get(pk=committed_faq.pk)
        thread, outcome = _in_thread(lambda: services.knowledge_source_delete(source=loaded))
        thread.join(timeout=30)
        assert outcome == {"result": None}
        with pytest.raises(NotFound):
            services.knowledge_source_update(source=loaded, data={"answer": "A later answer."})
        assert not KnowledgeSource.objects.filter(pk=loaded.pk).exists()
        assert not KnowledgeChunk.objects.filter(source_id=loaded.pk).exists()


def test_a_deletion_arriving_while_a_change_writes_waits_for_it_then_deletes(
    committed_faq: KnowledgeSource, django_db_blocker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The change has saved the row and is about to rewrite its chunks when the deletion starts.
    The deletion must wait for the change (both lock the row first), then delete: both succeed.
    On the old code the deletion removed the chunks, then waited for the row the change held; the
    change then waited for those chunks: a deadlock, one of the two failing."""
    writing, release = threading.Event(), threading.Event()
    original = services._chunks_write

    def paused_write(source: KnowledgeSource, passages: list[Any]) -> None:
        writing.set()
        assert release.wait(timeout=30)
        original(source, passages)

    monkeypatch.setattr(services, "_chunks_write", paused_write)
    with django_db_blocker.unblock(), schema_context(SCHEMA):
        loaded = KnowledgeSource.objects.get(pk=committed_faq.pk)
        changer, changed = _in_thread(
            lambda: services.knowledge_source_update(source=loaded, data={"answer": "The second answer."})
        )
        assert writing.wait(timeout=30)
        deleter, deleted = _in_thread(lambda: services.knowledge_source_delete(source=loaded))
        _wait_for(lambda: _someone_waits_on_a_row_lock() or not deleter.is_alive(), "the deletion to wait or end")
        assert deleter.is_alive()  # it waits for the change to commit
        release.set()
        changer.join(timeout=30)
        deleter.join(timeout=30)
        assert "error" not in changed, changed
        assert changed["result"].answer == "The second answer."
        assert deleted == {"result": None}
        assert not KnowledgeSource.objects.filter(pk=loaded.pk).exists()
        assert not KnowledgeChunk.objects.filter(source_id=loaded.pk).exists()


def test_thirty_free_races_of_a_change_and_a_deletion(django_db_setup: None, django_db_blocker: Any) -> None:
    """Released together by a barrier, 30 times: the change either lands first or is NotFound; the
    deletion always lands; never another error."""
    outcomes: list[str] = []
    with django_db_blocker.unblock(), schema_context(SCHEMA):
        try:
            for n in range(30):
                source = services.knowledge_faq_create(question=f"Race question {n}?", answer="An answer.")
                barrier = threading.Barrier(2)

                def change(source: KnowledgeSource = source, barrier: threading.Barrier = barrier) -> str:
                    barrier.wait()
                    try:
                        services.knowledge_source_update(source=source, data={"answer": "Changed."})
                    except NotFound:
                        return "not found"
                    return "changed"

                def delete(source: KnowledgeSource = source, barrier: threading.Barrier = barrier) -> str:
                    barrier.wait()
                    services.knowledge_source_delete(source=source)
                    return "deleted"

                (changer, changed), (deleter, deleted) = _in_thread(change), _in_thread(delete)
                changer.join(timeout=30)
                deleter.join(timeout=30)
                assert deleted == {"result": "deleted"}, deleted
                assert "error" not in changed, changed
                outcomes.append(changed["result"])
                assert not KnowledgeSource.objects.filter(pk=source.pk).exists()
        finally:
            KnowledgeSource.objects.filter(question__startswith="Race question").delete()
    assert set(outcomes) <= {"changed", "not found"}


def test_the_api_answers_404_to_a_change_or_deletion_of_a_source_deleted_meanwhile(
    alpha: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The view has loaded the source when it disappears (deleted by another request): 404 with our
    error shape, not a 500 and not a source written back."""
    with schema_context(alpha.tenant.schema_name):
        kept = services.knowledge_faq_create(question="Kept?", answer="Yes.")
        gone = services.knowledge_faq_create(question="Gone?", answer="Soon.")
    client = alpha.key_client()
    update, delete = services.knowledge_source_update, services.knowledge_source_delete

    def deleted_first(service: Callable[..., Any]) -> Callable[..., Any]:
        def run(*, source: KnowledgeSource, **kwargs: Any) -> Any:
            if source.pk == gone.pk:
                KnowledgeSource.objects.filter(pk=source.pk).delete()
            return service(source=source, **kwargs)

        return run

    monkeypatch.setattr(services, "knowledge_source_update", deleted_first(update))
    monkeypatch.setattr(services, "knowledge_source_delete", deleted_first(delete))
    patched = client.patch(f"/api/v1/ai/chat/knowledge/{gone.pk}/", {"answer": "Later."}, content_type=JSON)
    assert patched.status_code == 404, patched.content
    assert patched.json()["code"] == "not_found"
    with schema_context(alpha.tenant.schema_name):
        assert not KnowledgeSource.objects.filter(pk=gone.pk).exists()
        gone = services.knowledge_faq_create(question="Gone again?", answer="Soon.")
    assert client.delete(f"/api/v1/ai/chat/knowledge/{gone.pk}/").status_code == 404
    # Positive control: the same requests on a source that stays.
    ok = client.patch(f"/api/v1/ai/chat/knowledge/{kept.pk}/", {"answer": "Still yes."}, content_type=JSON)
    assert (ok.status_code, ok.json()["answer"]) == (200, "Still yes.")
    assert client.delete(f"/api/v1/ai/chat/knowledge/{kept.pk}/").status_code == 204
