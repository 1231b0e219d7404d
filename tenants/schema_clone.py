"""A new tenant's schema as a copy of the migrated template schema, at a cost that does not grow with
the number of schemas in the database.

django-tenants' ``clone_schema()`` (a 4,600-line PL/pgSQL function) answers its questions about the
template from ``information_schema`` views and from predicates such as
``relnamespace::regnamespace::text = 'x'`` that no catalogue index serves, once per table and per
column: each creation read the whole ``pg_class``/``pg_attribute`` of every tenant, so it slowed as
tenants accumulated (2 s at the first, 12 s at the 80th). Here the template is read once per
migration state (a *blueprint*: the DDL of its functions, sequences, tables, constraints, indexes,
triggers and comments, from PostgreSQL's own deparsers), through index lookups on the template's
namespace and relation oids only, and kept per process. A creation then replays that DDL into the
new schema and copies the template's rows and sequence positions: a fixed number of statements
whatever the number of tenants.

The DDL carries no schema name: it is deparsed with ``search_path`` set to the template alone, so
the template's own objects come out unqualified (anything elsewhere, e.g. in ``public``, stays
qualified), and it is replayed with ``search_path`` set to the new schema alone. What the blueprint
does not know how to copy (views, types, policies, rules, grants, inheritance, ...) is refused with
the object named, so a migration that adds one fails loudly (and in the suite) instead of producing
a tenant that differs from a migrated one.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, connection

_RELATION_KINDS = {"r": "table", "S": "sequence"}


class TemplateNotClonable(Exception):
    """The template schema holds something the blueprint cannot reproduce exactly (a deploy-time
    error: ``platform_init`` builds the blueprint right after migrating the template)."""


@dataclass(frozen=True)
class _Table:
    name: str  # quoted
    columns: tuple[str, ...]  # quoted, in order; generated columns left out (PostgreSQL computes them)


@dataclass(frozen=True)
class Blueprint:
    """Everything a clone of one template at one migration state needs, with no schema name in it."""

    key: str
    ddl: tuple[str, ...]  # before the rows are copied: functions, sequences, tables, sequence ownership
    tables: tuple[_Table, ...]
    sequences: tuple[str, ...]  # quoted names, positions copied from the template
    finish: tuple[str, ...]  # after the rows: constraints, indexes, foreign keys, triggers, comments

    @property
    def statement_count(self) -> int:
        return len(self.ddl) + len(self.tables) + len(self.sequences) + len(self.finish)


_blueprints: dict[tuple[str, str], Blueprint] = {}
_lock = threading.Lock()


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def migration_state(cursor: Any, template: str) -> str:
    """A digest of the migrations applied to ``template``: the blueprint is rebuilt when it changes."""
    cursor.execute(
        f"SELECT string_agg(app || '.' || name, ',' ORDER BY app, name) FROM {_quote(template)}.django_migrations"  # noqa: S608 - quoted schema name
    )
    applied = cursor.fetchone()[0] or ""
    return hashlib.sha256(f"{template}|{applied}".encode()).hexdigest()


def blueprint_for(cursor: Any, template: str) -> Blueprint:
    """The template's blueprint at its current migration state, built on first use in this process."""
    key = migration_state(cursor, template)
    cache_key = (str(connection.settings_dict["NAME"]), template)
    cached = _blueprints.get(cache_key)
    if cached is not None and cached.key == key:
        return cached
    with _lock:
        built = blueprint_build(cursor, template, key=key)
        _blueprints[cache_key] = built
    return built


def blueprint_forget() -> None:
    """Drop this process's blueprints (the template was rebuilt, perhaps under the same migrations)."""
    _blueprints.clear()


def schema_clone(*, template: str, schema: str) -> None:
    """Create ``schema`` as a copy of ``template`` (structure, rows, sequence positions).

    Runs in the caller's transaction (PostgreSQL DDL is transactional), which it requires: the
    ``search_path`` it replays under is set for the transaction only and restored before it returns.
    """
    if connection.get_autocommit():
        raise RuntimeError("schema_clone must run inside a transaction (transaction.atomic)")
    with connection.cursor() as cursor:
        blueprint = blueprint_for(cursor, template)
        target, source = _quote(schema), _quote(template)
        cursor.execute(f"CREATE SCHEMA {target}")
        # Function bodies are checked once the tables they name exist, as pg_dump's scripts do.
        with _transaction_settings(cursor, search_path=target, check_function_bodies="off"):
            _run(cursor, blueprint.ddl)
            copies = [
                f"INSERT INTO {target}.{table.name} ({', '.join(table.columns)}) OVERRIDING SYSTEM VALUE "  # noqa: S608 - quoted names
                f"SELECT {', '.join(table.columns)} FROM {source}.{table.name}"
                for table in blueprint.tables
            ]
            copies += [
                f"SELECT setval('{_literal(target + '.' + name)}', last_value, is_called) FROM {source}.{name}"  # noqa: S608 - quoted names
                for name in blueprint.sequences
            ]
            _run(cursor, copies)
            _run(cursor, blueprint.finish)


@contextmanager
def _transaction_settings(cursor: Any, **values: str) -> Iterator[None]:
    """Set PostgreSQL settings for the transaction, and put the previous values back on the way out
    (after a database error the transaction is lost anyway, and so are the settings)."""
    names = list(values)
    cursor.execute("SELECT " + ", ".join("current_setting(%s)" for _ in names), names)
    previous = dict(zip(names, cursor.fetchone(), strict=True))

    def apply(settings: dict[str, str]) -> None:
        params: list[str] = []
        for name, value in settings.items():
            params += [name, value]
        cursor.execute("SELECT " + ", ".join("set_config(%s, %s, true)" for _ in settings), params)

    apply(values)
    try:
        yield
    except DatabaseError:
        raise
    except BaseException:
        apply(previous)
        raise
    apply(previous)


def _literal(text: str) -> str:
    return text.replace("'", "''")


def _run(cursor: Any, statements: tuple[str, ...] | list[str]) -> None:
    # One round trip: the statements are ours, with no parameters, so a '%' in them stays as it is.
    if statements:
        cursor.execute(";\n".join(statements))


# --- Reading the template ------------------------------------------------------------------------
# Every query starts from the template's namespace oid or its relations' oids, which the catalogue
# indexes (pg_depend by referenced object; pg_attribute, pg_index, pg_constraint, pg_trigger and
# pg_description by relation or object), so building a blueprint costs the same whatever the number
# of tenants too.

_RELATIONS = """
    SELECT c.oid, quote_ident(c.relname), c.relkind, c.relpersistence,
           c.reloptions IS NOT NULL OR c.relacl IS NOT NULL OR c.relrowsecurity OR c.relforcerowsecurity
             OR (c.relkind = 'r' AND c.relreplident <> 'd') OR c.reloftype <> 0 OR c.relispartition OR c.relhassubclass
             OR c.reltablespace <> 0 OR EXISTS (SELECT FROM pg_inherits i WHERE i.inhrelid = c.oid)
    FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
    WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = %s AND d.classid = 'pg_class'::regclass
    ORDER BY c.relname
"""
# Anything else the namespace holds directly: functions are copied, any other kind refused.
_OTHER_OBJECTS = """
    SELECT d.classid::regclass::text, d.objid, pg_describe_object(d.classid, d.objid, d.objsubid)
    FROM pg_depend d
    WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = %s AND d.classid <> 'pg_class'::regclass
    ORDER BY 1, 3
"""
# Objects hanging off the template's tables that the blueprint does not reproduce (rules, policies,
# extended statistics, views elsewhere, publications, ...).
_DEPENDENTS_REFUSED = """
    SELECT pg_describe_object(d.classid, d.objid, d.objsubid)
    FROM pg_depend d
    WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = ANY(%s)
      AND d.classid NOT IN ('pg_class'::regclass, 'pg_constraint'::regclass, 'pg_trigger'::regclass,
                            'pg_type'::regclass, 'pg_attrdef'::regclass)
    ORDER BY 1
"""
_COLUMNS = """
    SELECT a.attrelid, a.attnum, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod), a.attnotnull,
           a.attidentity, a.attgenerated, pg_get_expr(ad.adbin, ad.adrelid, true),
           CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0
                THEN (SELECT quote_ident(n.nspname) || '.' || quote_ident(co.collname)
                      FROM pg_collation co JOIN pg_namespace n ON n.oid = co.collnamespace
                      WHERE co.oid = a.attcollation) END,
           a.attacl IS NOT NULL OR a.attfdwoptions IS NOT NULL
             -- This server stamps new columns with a pg_attver option of its own (not settable).
             OR EXISTS (SELECT FROM unnest(a.attoptions) o WHERE o NOT LIKE 'pg\\_attver=%%')
             OR a.attstattarget <> -1 OR a.attstorage <> t.typstorage OR a.attcompression <> ''
             OR a.attinhcount <> 0
    FROM pg_attribute a
    JOIN pg_type t ON t.oid = a.atttypid
    LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
    WHERE a.attrelid = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attrelid, a.attnum
"""
_SEQUENCES = """
    SELECT s.seqrelid, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
           s.seqcache, s.seqcycle, d.deptype, d.refobjid, quote_ident(a.attname), a.attnum,
           s.seqtypid IS DISTINCT FROM a.atttypid
    FROM pg_sequence s
    LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid
         AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
    LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
    WHERE s.seqrelid = ANY(%s)
"""
_CONSTRAINTS = """
    SELECT co.oid, co.conrelid, co.contype, quote_ident(co.conname), pg_get_constraintdef(co.oid, true),
           co.conindid, co.convalidated
    FROM pg_constraint co
    WHERE co.conrelid = ANY(%s)
    ORDER BY co.conrelid, co.conname
"""
_INDEXES = """
    SELECT i.indexrelid, quote_ident(c.relname), pg_get_indexdef(i.indexrelid, 0, true),
           i.indisclustered OR i.indisreplident OR NOT i.indisvalid OR c.reltablespace <> 0
             OR c.relacl IS NOT NULL
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE i.indrelid = ANY(%s)
    ORDER BY c.relname
"""
_TRIGGERS = """
    SELECT t.oid, quote_ident(t.tgname), pg_get_triggerdef(t.oid, true), t.tgenabled
    FROM pg_trigger t
    WHERE t.tgrelid = ANY(%s) AND NOT t.tgisinternal
    ORDER BY t.tgrelid, t.tgname
"""
_COMMENTS = """
    SELECT d.classoid::regclass::text, d.objoid, d.objsubid, quote_literal(d.description),
           quote_ident(a.attname)
    FROM pg_description d
    LEFT JOIN pg_attribute a ON d.classoid = 'pg_class'::regclass AND a.attrelid = d.objoid AND a.attnum = d.objsubid
    WHERE d.objoid = ANY(%s)
    ORDER BY 1, 2, 3
"""


def _refuse(template: str, what: str) -> TemplateNotClonable:
    return TemplateNotClonable(
        f"The template schema {template!r} holds {what}, which tenants/schema_clone.py does not copy: "
        "teach it to, or new tenant schemas would differ from migrated ones."
    )


def blueprint_build(cursor: Any, template: str, *, key: str) -> Blueprint:
    """Read the template's catalogue (in the caller's transaction) into a schema-free blueprint."""
    cursor.execute("SELECT oid, quote_ident(nspname) FROM pg_namespace WHERE nspname = %s", [template])
    row = cursor.fetchone()
    if row is None:
        raise TemplateNotClonable(f"The template schema {template!r} does not exist.")
    namespace, quoted = row
    # Deparse with the template alone on the path: its own objects come out unqualified.
    with _transaction_settings(cursor, search_path=quoted):
        blueprint = _read(cursor, template, quoted, namespace, key)
    # Anything still naming the template (a definition PostgreSQL always qualifies, or text that
    # mentions it) would tie every tenant to the template: refuse rather than guess.
    for statement in blueprint.ddl + blueprint.finish:
        if f"{quoted}." in statement or f'"{template}".' in statement:
            raise _refuse(template, f"a definition that names the template itself: {statement[:200]!r}")
    return blueprint


def _read(cursor: Any, template: str, quoted: str, namespace: int, key: str) -> Blueprint:
    cursor.execute(_RELATIONS, [namespace])
    names: dict[int, str] = {}
    persistence: dict[int, str] = {}
    tables: list[int] = []
    sequences: list[int] = []
    for oid, name, kind, persist, unusual in cursor.fetchall():
        if kind not in _RELATION_KINDS:
            raise _refuse(template, f"the relation {name} of kind {kind!r} (only tables and sequences are copied)")
        if unusual or persist not in "pu":
            raise _refuse(
                template,
                f"the {_RELATION_KINDS[kind]} {name} with options, grants, row security, a replica identity, "
                "a tablespace, inheritance or temporary persistence",
            )
        names[oid] = name
        persistence[oid] = persist
        (tables if kind == "r" else sequences).append(oid)

    cursor.execute(_OTHER_OBJECTS, [namespace])
    functions: list[int] = []
    for catalogue, oid, description in cursor.fetchall():
        if catalogue != "pg_proc":
            raise _refuse(template, description)
        functions.append(oid)
    cursor.execute(_DEPENDENTS_REFUSED, [tables])
    refused = [row[0] for row in cursor.fetchall()]
    if refused:
        raise _refuse(template, ", ".join(refused))

    ddl = _functions(cursor, template, quoted, functions)
    identity, sequence_ddl, owned_ddl = _sequences(cursor, template, sequences, names, persistence)
    inline, finish, commented = _constraints_and_indexes(cursor, template, tables, names)
    table_ddl, rows = _tables(cursor, template, tables, names, persistence, identity, inline)
    ddl += sequence_ddl + table_ddl + owned_ddl
    cursor.execute(_TRIGGERS, [tables])
    for oid, name, definition, enabled in cursor.fetchall():
        if enabled != "O":
            raise _refuse(template, f"the trigger {name} (enabled state {enabled!r})")
        finish.append(definition)
        commented.append(oid)
    finish += _comments(cursor, template, tables + sequences + functions + commented, set(tables), names)
    return Blueprint(
        key=key,
        ddl=tuple(ddl),
        tables=tuple(rows),
        sequences=tuple(names[oid] for oid in sequences),
        finish=tuple(finish),
    )


def _functions(cursor: Any, template: str, quoted: str, functions: list[int]) -> list[str]:
    if not functions:
        return []
    cursor.execute(
        "SELECT quote_ident(p.proname), p.prokind, p.proacl IS NOT NULL, pg_get_functiondef(p.oid)"
        " FROM pg_proc p WHERE p.oid = ANY(%s) ORDER BY p.proname, p.oid",
        [functions],
    )
    ddl = []
    for name, kind, granted, definition in cursor.fetchall():
        # pg_get_functiondef always qualifies the function's own name, whatever the search path.
        prefix = f"CREATE OR REPLACE FUNCTION {quoted}.{name}("
        if kind != "f" or granted or not definition.startswith(prefix):
            raise _refuse(template, f"the routine {name} (only plain functions without grants are copied)")
        ddl.append(f"CREATE FUNCTION {name}(" + definition[len(prefix) :])
    return ddl


def _sequences(
    cursor: Any, template: str, sequences: list[int], names: dict[int, str], persistence: dict[int, str]
) -> tuple[dict[tuple[int, int], str], list[str], list[str]]:
    """Identity options by (table, column number); CREATE SEQUENCE statements; OWNED BY statements."""
    cursor.execute(_SEQUENCES, [sequences])
    identity: dict[tuple[int, int], str] = {}
    created: list[str] = []
    owned: list[str] = []
    for row in cursor.fetchall():
        oid, data_type, start, increment, low, high, cache, cycle, deptype, table, column, number, retyped = row
        if persistence[oid] != "p":
            raise _refuse(template, f"the unlogged sequence {names[oid]}")
        if deptype is not None and table not in names:
            raise _refuse(template, f"the sequence {names[oid]}, which belongs to a table in another schema")
        options = (
            f"START WITH {start} INCREMENT BY {increment} MINVALUE {low} MAXVALUE {high} "
            f"CACHE {cache} {'CYCLE' if cycle else 'NO CYCLE'}"
        )
        if deptype == "i":
            # An identity sequence takes its column's type (naming it there is refused as redundant).
            if retyped:
                raise _refuse(template, f"the identity sequence {names[oid]} of another type than its column")
            identity[(table, number)] = f"SEQUENCE NAME {names[oid]} {options}"
            continue
        created.append(f"CREATE SEQUENCE {names[oid]} AS {data_type} {options}")
        if deptype == "a":
            owned.append(f"ALTER SEQUENCE {names[oid]} OWNED BY {names[table]}.{column}")
    return identity, created, owned


def _tables(
    cursor: Any,
    template: str,
    tables: list[int],
    names: dict[int, str],
    persistence: dict[int, str],
    identity: dict[tuple[int, int], str],
    inline: dict[int, list[str]],
) -> tuple[list[str], list[_Table]]:
    cursor.execute(_COLUMNS, [tables])
    columns: dict[int, list[str]] = {oid: [] for oid in tables}
    copied: dict[int, list[str]] = {oid: [] for oid in tables}
    for rel, number, name, data_type, not_null, ident, generated, default, collation, unusual in cursor.fetchall():
        if unusual:
            raise _refuse(
                template, f"the column {names[rel]}.{name} with grants, options, statistics, storage or inheritance"
            )
        parts = [name, data_type]
        if collation:
            parts.append(f"COLLATE {collation}")
        if generated == "s":
            parts.append(f"GENERATED ALWAYS AS ({default}) STORED")
        elif generated:
            raise _refuse(template, f"the generated column {names[rel]}.{name} of kind {generated!r}")
        elif default is not None:
            parts.append(f"DEFAULT {default}")
        if ident:
            parts.append(
                f"GENERATED {'ALWAYS' if ident == 'a' else 'BY DEFAULT'} AS IDENTITY ({identity[(rel, number)]})"
            )
        if not_null:
            parts.append("NOT NULL")
        columns[rel].append(" ".join(parts))
        if not generated:
            copied[rel].append(name)
    ddl = [
        f"CREATE {'UNLOGGED ' if persistence[oid] == 'u' else ''}TABLE {names[oid]} "
        f"({', '.join(columns[oid] + inline.get(oid, []))})"
        for oid in tables
    ]
    rows = [_Table(name=names[oid], columns=tuple(copied[oid])) for oid in tables if copied[oid]]
    return ddl, rows


def _constraints_and_indexes(
    cursor: Any, template: str, tables: list[int], names: dict[int, str]
) -> tuple[dict[int, list[str]], list[str], list[int]]:
    """Checks, keys and exclusions inside CREATE TABLE (one statement a table is much cheaper than one
    ALTER TABLE a constraint); then statements for the rest: constraints added NOT VALID, the other
    indexes, foreign keys (which need the keys or unique indexes they reference); and the oids of all
    of them, for their comments."""
    cursor.execute(_CONSTRAINTS, [tables])
    constraints = cursor.fetchall()
    unknown = [name for _o, _r, kind, name, _d, _i, _v in constraints if kind not in "cpuxf"]
    if unknown:
        raise _refuse(template, "the constraints " + ", ".join(unknown))
    inline: dict[int, list[str]] = {}
    statements: list[str] = []
    created: list[int] = []
    for oid, rel, kind, name, definition, _index, validated in constraints:
        if kind in "cpux" and validated:
            inline.setdefault(rel, []).append(f"CONSTRAINT {name} {definition}")
            created.append(oid)
        elif kind in "cpux":
            statements.append(f"ALTER TABLE ONLY {names[rel]} ADD CONSTRAINT {name} {definition}")
            created.append(oid)
    backing = {index for _o, _r, kind, _n, _d, index, _v in constraints if kind in "pux"}
    cursor.execute(_INDEXES, [tables])
    for oid, name, definition, unusual in cursor.fetchall():
        if oid in backing:
            continue
        if unusual:
            raise _refuse(template, f"the index {name} (clustered, replica identity, invalid, granted or elsewhere)")
        statements.append(definition)
        created.append(oid)
    for oid, rel, kind, name, definition, _index, _validated in constraints:
        if kind == "f":
            statements.append(f"ALTER TABLE ONLY {names[rel]} ADD CONSTRAINT {name} {definition}")
            created.append(oid)
    return inline, statements, created


def _comments(cursor: Any, template: str, objects: list[int], tables: set[int], names: dict[int, str]) -> list[str]:
    """Comments on tables and columns (Django's db_comment); a comment on anything else is refused."""
    cursor.execute(_COMMENTS, [objects])
    statements = []
    for catalogue, oid, subid, text, column in cursor.fetchall():
        if catalogue == "pg_class" and oid in tables and subid == 0:
            statements.append(f"COMMENT ON TABLE {names[oid]} IS {text}")
        elif catalogue == "pg_class" and oid in tables and column is not None:
            statements.append(f"COMMENT ON COLUMN {names[oid]}.{column} IS {text}")
        else:
            raise _refuse(template, f"a comment on a {catalogue} object ({oid})")
    return statements
