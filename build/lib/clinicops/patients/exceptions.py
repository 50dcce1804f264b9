"""Typed errors of the patients domain."""

from __future__ import annotations

from clinicops.errors import Duplicate, NotFound


class PatientNotFound(NotFound):
    message = "Patient not found"


class DuplicatePatient(Duplicate):
    message = "A patient with this phone number is already registered"

    def __init__(self, message: str | None = None):
        super().__init__(message, details=[{"field": "phone", "message": "already registered"}])
