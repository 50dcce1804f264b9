"""Typed application errors; one handler renders them all as the error envelope.

The core speaks its own vocabulary, never a surface's: a detail's ``field`` is the domain name (snake_case, e.g.
``centre_id``), its other keys are snake_case (``current_status``), and a refusal a surface may word differently
(say, to point at one of its own endpoints) carries a stable ``reason`` and the ``params`` that wording may use.
Each HTTP surface renders them in its own names and words (``http/hospital/errors.py``).
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status: int = 400
    code: str = "BAD_REQUEST"
    message: str = "The request could not be processed"

    def __init__(self, message: str | None = None, *, details: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None, reason: str | None = None,
                 params: dict[str, Any] | None = None):
        self.message = message or self.message
        self.details = details
        self.headers = headers
        self.reason = reason
        self.params = params or {}
        super().__init__(self.message)


class BadRequest(AppError):
    status = 400
    code = "BAD_REQUEST"


class ValidationFailed(AppError):
    """A business-level validation failure on one field (same shape as payload validation)."""

    status = 422
    code = "VALIDATION_ERROR"
    message = "Validation failed"

    def __init__(self, field: str, message: str, *, reason: str | None = None,
                 params: dict[str, Any] | None = None):
        super().__init__(message, details=[{"field": field, "message": message}], reason=reason, params=params)


class Unauthorized(AppError):
    status = 401
    code = "UNAUTHORIZED"
    message = "Authentication required"


class Forbidden(AppError):
    status = 403
    code = "FORBIDDEN"
    message = "You are not allowed to do this"


class NotFound(AppError):
    status = 404
    code = "NOT_FOUND"
    message = "Not found"


class Conflict(AppError):
    status = 409
    code = "CONFLICT"
    message = "The request conflicts with the current state"


class Duplicate(Conflict):
    code = "DUPLICATE"
    message = "Already exists"


class SlotUnavailable(Conflict):
    code = "SLOT_UNAVAILABLE"
    message = "This slot is not available"


class InvalidTransition(Conflict):
    code = "INVALID_TRANSITION"
    message = "This status change is not allowed"


class RateLimited(AppError):
    status = 429
    code = "RATE_LIMITED"
    message = "Too many requests; try again later"

    def __init__(self, retry_after_s: int, message: str | None = None):
        super().__init__(message, headers={"Retry-After": str(max(1, int(retry_after_s)))})
        self.retry_after_s = retry_after_s


class ServiceUnavailable(AppError):
    status = 503
    code = "SERVICE_UNAVAILABLE"
    message = "A service we depend on is unavailable; try again shortly"


class PayloadTooLarge(AppError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"
    message = "The request body is too large"
