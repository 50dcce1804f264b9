"""Typed errors of the clinicians domain."""

from __future__ import annotations

from clinicops.errors import Conflict, NotFound


class ClinicianNotFound(NotFound):
    message = "Clinician not found"


class CentreNotFound(NotFound):
    message = "Centre not found"


class ExceptionNotFound(NotFound):
    message = "Availability exception not found"


class HasFutureAppointments(Conflict):
    code = "HAS_FUTURE_APPOINTMENTS"
    message = "The clinician has upcoming appointments; cancel or reassign them first"
