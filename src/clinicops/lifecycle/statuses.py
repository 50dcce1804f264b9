"""The statuses of appointments and queue tokens, and who can change them.

StrEnums: a member is equal to the text stored in the database (``AppointmentStatus.CANCELLED == "CANCELLED"``),
so rows, wire values and SQL need no conversion.
"""

from __future__ import annotations

from enum import StrEnum


class AppointmentStatus(StrEnum):
    BOOKED = "BOOKED"  # unpaid and unconfirmed; a web booking's slot is held until hold_expires_at
    CONFIRMED = "CONFIRMED"  # paid, or confirmed by staff
    CHECKED_IN = "CHECKED_IN"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    RESCHEDULED = "RESCHEDULED"  # rows replaced before reschedules moved in place; terminal
    NO_SHOW = "NO_SHOW"


class TokenStatus(StrEnum):
    """A walk-in's token in a clinician's queue for the day."""

    WAITING = "WAITING"
    CALLED = "CALLED"
    IN_CONSULTATION = "IN_CONSULTATION"
    COMPLETED = "COMPLETED"
    SKIPPED = "SKIPPED"
    NO_SHOW = "NO_SHOW"
    CANCELLED = "CANCELLED"


class Actor(StrEnum):
    """Who made a change, as the status history records it (``appointment_events.actor``)."""

    STAFF = "STAFF"
    USER = "USER"  # a signed-in staff member recording a desk payment (older rows: any signed-in user)
    CLINICIAN = "CLINICIAN"  # the appointment's own clinician, running their session
    PATIENT = "PATIENT"
    PAYMENT = "PAYMENT"  # money arrived, or will not (a provider's verdict)
    HOLD_EXPIRY = "HOLD_EXPIRY"  # an unpaid hold lapsed
    SYSTEM = "SYSTEM"
