"""Typed errors of the appointments domain (rendered once by http/errors.py)."""

from __future__ import annotations

from clinicops.errors import Conflict, InvalidTransition, NotFound, SlotUnavailable, ValidationFailed


class CancellationWindowClosed(Conflict):
    code = "CANCELLATION_WINDOW_CLOSED"

    def __init__(self, hours: int) -> None:
        super().__init__(f"Appointments cannot be cancelled online within {hours} hours of their start; "
                         "please contact the centre")


class AppointmentNotFound(NotFound):
    message = "Appointment not found"


def missing(field: str, what: str) -> NotFound:
    """A 404 that names the body field holding the unknown (or out-of-scope) id."""
    message = f"{what} not found"
    return NotFound(message, details=[{"field": field, "message": message}])


__all__ = ["AppointmentNotFound", "CancellationWindowClosed", "InvalidTransition", "SlotUnavailable",
           "ValidationFailed", "missing"]
