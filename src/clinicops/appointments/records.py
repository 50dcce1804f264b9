"""A patient's record as staff read it: the patient (``patients``, which knows only patient rows), with the
appointments and payments the reader may see (``authz.scopes``) and a summary of those appointments.

Composed here, above ``patients``, so the record's appointment list agrees with every other appointment route:
an appointment a caller reads by id is in the record's list, and one they cannot read is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments import queries
from clinicops.appointments.queries import NextAppointment, PatientSummary
from clinicops.authz.principal import Principal
from clinicops.kit.timezones import utcnow
from clinicops.patients import service as patients
from clinicops.patients.models import Patient
from clinicops.payments.models import Payment


@dataclass(frozen=True)
class PatientRecord:
    """A patient as staff see them: the list row with its appointment summary and, for the detail, the record."""

    patient: Patient
    mrn: str | None
    username: str | None
    upcoming_count: int
    past_count: int
    next_appointment: NextAppointment | None
    notes: list[dict[str, Any]] = field(default_factory=list)
    appointments: list[dict[str, Any]] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)


async def _summarised(session: AsyncSession, principal: Principal, views: list[patients.PatientView],
                      **record: Any) -> list[PatientRecord]:
    summaries = await queries.patient_summaries(session, principal, [v.patient.id for v in views], now=utcnow())
    found = [(view, summaries.get(view.patient.id, PatientSummary())) for view in views]
    return [PatientRecord(v.patient, v.mrn, v.username, s.upcoming_count, s.past_count, s.next_appointment,
                          notes=v.notes, **record) for v, s in found]


async def list_patients(session: AsyncSession, principal: Principal, **search: Any) -> tuple[list[PatientRecord], int]:
    """``patients.list_patients`` (same arguments), each row with its appointment summary."""
    views, total = await patients.list_patients(session, principal, **search)
    return await _summarised(session, principal, views), total


async def get_patient(session: AsyncSession, principal: Principal, patient_id: int, *,
                      ip: str | None = None) -> PatientRecord:
    """The whole record: the patient, their notes, and the appointments and payments the caller may read."""
    view = await patients.get_patient(session, principal, patient_id, ip=ip)
    [record] = await _summarised(
        session, principal, [view],
        appointments=await queries.appointments_of_patient(session, principal, view.patient.id),
        payments=await queries.payments_of_patient(session, principal, view.patient.id))
    return record


async def create_patient(session: AsyncSession, principal: Principal, **walk_in: Any) -> PatientRecord:
    """``patients.create_patient`` (same arguments), as the lists show the new patient."""
    [record] = await _summarised(session, principal, [await patients.create_patient(session, principal, **walk_in)])
    return record


async def update_patient(session: AsyncSession, principal: Principal, patient_id: int,
                         **update: Any) -> PatientRecord:
    """``patients.update_patient`` (same arguments), as the lists show the patient."""
    view = await patients.update_patient(session, principal, patient_id, **update)
    [record] = await _summarised(session, principal, [view])
    return record


async def patient_appointments(session: AsyncSession, principal: Principal, patient_id: int, *,
                               ip: str | None = None) -> list[dict[str, Any]]:
    """The patient's appointments the caller may read (404 for a patient they may not read; audited)."""
    patient = await patients.open_record(session, principal, patient_id, action="patient.appointments.read", ip=ip)
    return await queries.appointments_of_patient(session, principal, patient.id)
