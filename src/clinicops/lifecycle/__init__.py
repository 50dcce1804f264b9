"""The lifecycle of appointments and queue tokens: statuses, who may change them and when, and the effects a
change has in other domains (registered by those domains; see :mod:`clinicops.lifecycle.effects`)."""

from clinicops.lifecycle import effects
from clinicops.lifecycle.appointments import (ACTIVE_STATUSES, MOVABLE, RELEASED, TERMINAL, can_change,
                                              change_status, move_refusal, record_event)
from clinicops.lifecycle.statuses import Actor, AppointmentStatus, TokenStatus

__all__ = ["ACTIVE_STATUSES", "MOVABLE", "RELEASED", "TERMINAL", "Actor", "AppointmentStatus", "TokenStatus",
           "can_change", "change_status", "effects", "move_refusal", "record_event"]
