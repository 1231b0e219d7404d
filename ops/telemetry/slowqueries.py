"""The slow-query log: statements slower than SLOW_QUERY_MS, normalised so that no literal or
parameter value (personal data) is ever stored, grouped by fingerprint.

``SlowQueryCollector`` is installed with ``connection.execute_wrapper`` for each request (the
telemetry middleware) and each Celery task (task_prerun/postrun). It only times statements and
keeps the slow ones in memory; ``flush`` writes them after the wrapper is removed, so the log's own
INSERT never passes through the wrapper (no recursion) and never slows the query it measures.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.utils import timezone
from sqlparse import lexer
from sqlparse import tokens as T

from ops.telemetry.models import SlowQuery

logger = logging.getLogger(__name__)

MAX_SQL_CHARS = 4000
MAX_PENDING = 50  # slow statements kept per request or task; more are counted in the log line only

_VALUE_TOKENS = (T.Literal.String.Single, T.Literal.Number, T.Name.Placeholder)
_SPACES = re.compile(r"\s+")
# "(?, ?, ?)" lists (IN lists, VALUES rows) collapse to "(...)"; repeated rows to one.
_LIST = re.compile(r"\(\s*\?(?:\s*,\s*\?)*\s*\)")
_ROWS = re.compile(r"\(\.\.\.\)(?:\s*,\s*\(\.\.\.\))+")


def sql_normalise(sql: str) -> str:
    """SQL with every literal and placeholder as ``?``, comments dropped, keywords upper-cased,
    whitespace collapsed and ``(?, ?, ...)`` lists collapsed to ``(...)``. Quoted identifiers stay."""
    parts: list[str] = []
    for ttype, value in lexer.tokenize(sql):
        if ttype in T.Comment:
            continue
        if ttype in T.Whitespace or ttype in T.Newline or ttype is T.Text.Whitespace:
            parts.append(" ")
        elif ttype in T.Literal.String.Symbol:  # "quoted identifier"
            parts.append(value)
        elif any(ttype in kind for kind in _VALUE_TOKENS) or ttype is T.Literal or ttype in T.Literal.String:
            parts.append("?")
        elif ttype in T.Keyword:
            parts.append(value.upper())
        else:
            parts.append(value)
    text = _SPACES.sub(" ", "".join(parts)).strip()
    text = _LIST.sub("(...)", text)
    return _ROWS.sub("(...)", text)


def sql_fingerprint(normalised: str) -> str:
    return hashlib.sha256(normalised.encode()).hexdigest()


def slow_query_record(*, sql: str, duration_ms: float, source: str, at: Any = None) -> None:
    """Count one slow statement in its group (INSERT ... ON CONFLICT, safe under concurrency)."""
    normalised = sql_normalise(sql)
    now = at or timezone.now()
    table = f'"{settings.PUBLIC_SCHEMA_NAME}"."{SlowQuery._meta.db_table}"'
    statement = (
        f"INSERT INTO {table} AS q (fingerprint, sql, count, total_ms, max_ms, first_seen, last_seen, last_source) "  # noqa: S608 - table name is ours
        "VALUES (%s, %s, 1, %s, %s, %s, %s, %s) "
        "ON CONFLICT (fingerprint) DO UPDATE SET count = q.count + 1, total_ms = q.total_ms + EXCLUDED.total_ms, "
        "max_ms = GREATEST(q.max_ms, EXCLUDED.max_ms), last_seen = GREATEST(q.last_seen, EXCLUDED.last_seen), "
        "last_source = EXCLUDED.last_source"
    )
    params = [sql_fingerprint(normalised), normalised[:MAX_SQL_CHARS], duration_ms, duration_ms, now, now, source[:300]]
    with connections["default"].cursor() as cursor:
        cursor.execute(statement, params)


class SlowQueryCollector:
    """An execute wrapper that keeps statements slower than ``threshold_ms`` until ``flush``."""

    def __init__(self, threshold_ms: float) -> None:
        self.threshold_ms = threshold_ms
        self.pending: list[tuple[str, float]] = []
        self.dropped = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            if elapsed_ms >= self.threshold_ms:
                if len(self.pending) < MAX_PENDING:
                    self.pending.append((sql, elapsed_ms))
                else:
                    self.dropped += 1

    def flush(self, *, source: str) -> None:
        """Write the slow statements seen (call it once the wrapper is no longer installed)."""
        pending, self.pending = self.pending, []
        for sql, elapsed_ms in pending:
            try:
                slow_query_record(sql=sql, duration_ms=elapsed_ms, source=source)
            except DatabaseError:
                logger.warning("slow_query_record_failed", extra={"source": source}, exc_info=True)
                break
        if self.dropped:
            logger.warning("slow_queries_dropped", extra={"source": source, "dropped": self.dropped})
            self.dropped = 0


def slow_query_threshold_ms() -> float:
    return float(settings.SLOW_QUERY_MS)
