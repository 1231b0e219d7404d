"""Cursor pagination: stable under inserts, no COUNT(*) on large tables."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request


class CreatedCursorPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request: Request) -> Any:
        """A malformed cursor is bad input (400 naming the parameter), not a missing page (404)."""
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise exceptions.ValidationError({self.cursor_query_param: [str(exc.detail)]}) from exc
