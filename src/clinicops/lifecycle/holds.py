"""The one rule of unpaid holds: a BOOKED appointment whose hold has passed, and that has no successful payment,
no longer holds its slot (the money may have arrived before the webhook confirmed it: such a hold is never lapsed).

Written once, as a SQL condition (for the statements that find free time, the appointments a block affects and the
holds to release) and as a predicate on a loaded row, side by side so they cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime

from clinicops.appointments.models import Appointment
from clinicops.lifecycle.statuses import AppointmentStatus


def lapsed_sql(alias: str = "a", now: str = ":now") -> str:
    """The rule as a SQL condition on the appointments row ``alias``, at the instant ``now`` (a bind parameter)."""
    return (f"({alias}.status = '{AppointmentStatus.BOOKED}' AND {alias}.hold_expires_at IS NOT NULL"
            f" AND {alias}.hold_expires_at <= {now} AND NOT EXISTS (SELECT 1 FROM payments hold_payment"
            f" WHERE hold_payment.appointment_id = {alias}.id AND hold_payment.status = 'SUCCESS'))")


def has_lapsed(appointment: Appointment, *, now: datetime, paid: bool) -> bool:
    """The rule for a loaded row; ``paid``: whether a successful payment exists for it."""
    return (appointment.status == AppointmentStatus.BOOKED and appointment.hold_expires_at is not None
            and appointment.hold_expires_at <= now and not paid)
