"""Ids on the clinic surface: prefixed strings (``clinic_12``, ``doc_7``, ``pat_31``) rendered from internal ints.

The prefix names the kind, so an id of one kind can never be taken for another: a wrong prefix, a malformed id
and an id out of the caller's scope all answer 404, in a path or in a body. Core code never sees these strings.

Use the types:

    doctor_id: DoctorIdPath                       # a path parameter {doctorId}: an int, or 404
    class AddPatient(Body): patient_id: PatientId  # a body field "patientId": an int, or 404
    ids.render(ids.DOCTOR, clinician.id)          # "doc_7"

A bad id raises :class:`UnknownId` (a ``NotFound``) from inside validation, so it reaches the one error handler as
a 404 rather than as a 422 of payload validation.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Path
from pydantic import BeforeValidator, Field, PlainSerializer, ValidationInfo, WithJsonSchema

from clinicops.errors import NotFound

CLINIC = "clinic"
USER = "usr"
DOCTOR = "doc"
PATIENT = "pat"
VISIT = "visit"
REGISTRATION = "reg"
LOGIN_REQUEST = "login_req"
RESET_REQUEST = "reset_req"
INVOICE = "inv"
ASSOCIATION = "assoc"
PRESCRIPTION = "pres"  # a visit's prescription (one per visit)
NOTE = "notes"  # a note on a visit
KINDS = (CLINIC, USER, DOCTOR, PATIENT, VISIT, REGISTRATION, LOGIN_REQUEST, RESET_REQUEST, INVOICE, ASSOCIATION,
         PRESCRIPTION, NOTE)

_MAX = 2 ** 63 - 1  # bigint identity
_NUMBER = re.compile(r"[1-9][0-9]{0,18}")


class UnknownId(NotFound):
    """A malformed id, an id of another kind, or one the caller may not see: all the same 404."""

    def __init__(self, field: str | None = None):
        message = "Not found"
        super().__init__(message, details=[{"field": field, "message": "no such record"}] if field else None)


def render(kind: str, value: int) -> str:
    return f"{kind}_{value}"


def render_optional(kind: str, value: int | None) -> str | None:
    return None if value is None else render(kind, value)


def parse(kind: str, text: object, *, field: str | None = None) -> int:
    """The internal id of ``text`` if it is an id of ``kind``; otherwise :class:`UnknownId` (404)."""
    if isinstance(text, str) and text.startswith(kind + "_"):
        number = text[len(kind) + 1:]
        if _NUMBER.fullmatch(number) and int(number) <= _MAX:
            return int(number)
    raise UnknownId(field)


def _kind_type(kind: str, example: int):
    def check(value: object, info: ValidationInfo) -> int:
        return parse(kind, value, field=info.field_name)

    schema = {"type": "string", "pattern": f"^{kind}_[1-9][0-9]*$", "examples": [render(kind, example)]}
    return Annotated[int, BeforeValidator(check), PlainSerializer(lambda v: render(kind, v), return_type=str),
                     WithJsonSchema(schema)]


# Request types: a prefixed string on the wire, the internal int in the handler.
ClinicId = _kind_type(CLINIC, 12)
UserId = _kind_type(USER, 3)
DoctorId = _kind_type(DOCTOR, 7)
PatientId = _kind_type(PATIENT, 31)
VisitId = _kind_type(VISIT, 9)
RegistrationId = _kind_type(REGISTRATION, 5)
LoginRequestId = _kind_type(LOGIN_REQUEST, 8)
ResetRequestId = _kind_type(RESET_REQUEST, 8)
InvoiceId = _kind_type(INVOICE, 4)
AssociationId = _kind_type(ASSOCIATION, 2)

# Path parameters under the names section 6 gives them.
DoctorIdPath = Annotated[DoctorId, Path(alias="doctorId")]
PatientIdPath = Annotated[PatientId, Path(alias="patientId")]
VisitIdPath = Annotated[VisitId, Path(alias="visitId")]
InvoiceIdPath = Annotated[InvoiceId, Path(alias="invoiceId")]
AssociationIdPath = Annotated[AssociationId, Path(alias="associationId")]


def _out_type(kind: str, example: int):
    return Annotated[str, Field(pattern=f"^{kind}_[1-9][0-9]*$", examples=[render(kind, example)])]


# Response types: the rendered string (``render``), described with its pattern.
ClinicIdOut = _out_type(CLINIC, 12)
UserIdOut = _out_type(USER, 3)
DoctorIdOut = _out_type(DOCTOR, 7)
PatientIdOut = _out_type(PATIENT, 31)
VisitIdOut = _out_type(VISIT, 9)
RegistrationIdOut = _out_type(REGISTRATION, 5)
LoginRequestIdOut = _out_type(LOGIN_REQUEST, 8)
ResetRequestIdOut = _out_type(RESET_REQUEST, 8)
InvoiceIdOut = _out_type(INVOICE, 4)
AssociationIdOut = _out_type(ASSOCIATION, 2)
PrescriptionIdOut = _out_type(PRESCRIPTION, 9)
NoteIdOut = _out_type(NOTE, 11)
