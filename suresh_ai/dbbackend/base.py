"""django-tenants' PostgreSQL backend without a redundant statement on every request.

django-tenants forgets the connection's search_path whenever a tenant is set, and TenantMiddleware
sets one (public, then the request's tenant) on every request: so a request's first query was
preceded by ``SET search_path`` even when the persistent connection already had exactly that path
from the previous request to the same tenant. This backend remembers what was last set on the
connection and skips the SET when the new tenant's path is identical. It forgets it whenever
PostgreSQL may have dropped it: a new connection, a close, a rollback or a rollback to a
savepoint (a session-level SET is transactional). Any other path is SET as before, so a request
for another tenant always switches schema first.
"""

from __future__ import annotations

from typing import Any

from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper


class DatabaseWrapper(TenantDatabaseWrapper):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._search_path_on_connection: list[str] | None = None
        super().__init__(*args, **kwargs)

    def set_tenant(self, tenant: Any, include_public: bool = True) -> None:
        super().set_tenant(tenant, include_public)
        on_connection = self._search_path_on_connection
        if on_connection is not None and on_connection == self._get_cursor_search_paths():
            self.search_path_set_schemas = on_connection

    def _handle_search_path(self, cursor: Any = None) -> None:
        unset = self.search_path_set_schemas is None
        super()._handle_search_path(cursor)
        if unset and self.search_path_set_schemas is not None:  # a SET just succeeded
            self._search_path_on_connection = list(self.search_path_set_schemas)

    def connect(self) -> None:
        self._search_path_on_connection = None
        super().connect()

    def close(self) -> None:
        self._search_path_on_connection = None
        super().close()

    def rollback(self) -> None:
        self._search_path_on_connection = None
        super().rollback()

    def savepoint_rollback(self, sid: str) -> None:
        self._search_path_on_connection = None
        super().savepoint_rollback(sid)
