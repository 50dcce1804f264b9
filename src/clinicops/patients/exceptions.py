"""Typed errors of the patients domain."""

from __future__ import annotations

from clinicops.errors import Conflict, Duplicate, NotFound


class PatientNotFound(NotFound):
    message = "Patient not found"


class DuplicatePatient(Duplicate):
    message = "A patient with this phone number is already registered"

    def __init__(self, message: str | None = None):
        super().__init__(message, details=[{"field": "phone", "message": "already registered"}])


class DoctorNotFound(NotFound):
    """A doctor (clinician) the caller may not open: missing, of another clinic, or another doctor's."""

    message = "Doctor not found"

    def __init__(self, message: str | None = None):
        super().__init__(message, details=[{"field": "clinician_id", "message": "Doctor not found"}])


class AssociationNotFound(NotFound):
    message = "This patient is not associated with this doctor"

    def __init__(self, message: str | None = None):
        super().__init__(message, details=[{"field": "patient_id", "message": "not associated with this doctor"}])


class AlreadyAssociated(Conflict):
    code = "ALREADY_ASSOCIATED"
    message = "This patient is already associated with this doctor"


class DoctorInactive(Conflict):
    code = "DOCTOR_INACTIVE"
    message = "This doctor has been removed from the clinic; their records can be read but not added to"
