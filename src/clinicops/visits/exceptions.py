"""Typed errors of the visits domain."""

from __future__ import annotations

from clinicops.errors import NotFound


class VisitNotFound(NotFound):
    message = "Visit not found"

    def __init__(self, message: str | None = None):
        super().__init__(message, details=[{"field": "visit_id", "message": "Visit not found"}])


class TokenNotFound(NotFound):
    """Visits are created from a queue token once the live queue exists; until then no token id is known."""

    message = "Token not found"

    def __init__(self, message: str | None = None):
        super().__init__(message, details=[{"field": "token_id", "message": "Token not found"}])
