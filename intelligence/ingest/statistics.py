"""Planner statistics right after a large write: imports and batch ingestion ANALYZE the tables
they changed once the change is large, instead of waiting for autovacuum (which lags behind bulk
loads, and is off on some machines). Without statistics the planner guesses a few rows for any
range and picks plans that are slow at volume (docs/intelligence/ingestion.md, "Statistics").

The rule is autovacuum's own, with a floor: a table is analysed when the rows changed since its
last ANALYZE reach ``ANALYZE_FRACTION`` of its rows and at least ``ANALYZE_MIN_CHANGES``. The
changes are PostgreSQL's counter (``n_mod_since_analyze``: committed changes, which a session
reports within about a second) plus those of the current transaction, so call this inside the
writing transaction, after the writes (and inside the tenant's schema). A table never analysed
counts as empty. Inside a caller's long transaction all of its changes count each time, so after
a first ANALYZE there every further large call analyses again; ingestion runs one transaction a
batch, so that does not happen there.
"""

from __future__ import annotations

import logging

from django.db import connection

logger = logging.getLogger(__name__)

# Autovacuum analyses after 50 + 10% of a table has changed; the floor keeps small workspaces from
# paying an ANALYZE every few batches (below ~10k rows a plan guessed without statistics costs
# milliseconds), and 10% makes the number of ANALYZEs during a load grow with the log of its size.
ANALYZE_MIN_CHANGES = 10_000
ANALYZE_FRACTION = 0.1

# The tables each kind of record writes.
TABLES = {
    "customers": ("intelligence_customer",),
    "products": ("intelligence_product",),
    "orders": ("intelligence_order", "intelligence_orderitem", "intelligence_customer"),
    "payments": ("intelligence_payment",),
    "refunds": ("intelligence_refund",),
    "events": ("intelligence_event", "intelligence_visit", "intelligence_customer"),
    "spend": ("intelligence_marketingspend",),
}


def due(*, changed: float, rows: float) -> bool:
    """Whether ``changed`` rows since the last ANALYZE call for another on a table of ``rows``."""
    return changed >= max(ANALYZE_MIN_CHANGES, ANALYZE_FRACTION * max(rows, 0.0))


def statistics_refresh(*, kind: str) -> list[str]:
    """ANALYZE the tables that records of ``kind`` write and that are due (see the module's rule);
    returns the tables analysed."""
    tables = TABLES[kind]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.reltuples, pg_stat_get_mod_since_analyze(c.oid) "
            "+ pg_stat_get_xact_tuples_inserted(c.oid) + pg_stat_get_xact_tuples_updated(c.oid) "
            "+ pg_stat_get_xact_tuples_deleted(c.oid) "
            "FROM pg_class c WHERE c.oid = ANY(%s::regclass[])",
            [list(tables)],
        )
        counters = {name: (rows, changed) for name, rows, changed in cursor.fetchall()}
        analysed = []
        for table in tables:
            rows, changed = counters[table]
            if due(changed=changed, rows=rows):
                cursor.execute(f"ANALYZE {table}")  # a name from TABLES, never from input
                analysed.append(table)
    if analysed:
        logger.info("tables_analysed", extra={"tables": analysed, "kind": kind})
    return analysed
