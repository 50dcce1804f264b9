"""All SQL of the payments domain. Reads for a caller start from a statement scoped to what it may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment
from clinicops.authz import scopes
from clinicops.authz.patient_scope import PatientScope
from clinicops.authz.principal import Principal
from clinicops.patients.models import Patient, PatientRegistration
from clinicops.payments.models import Payment, WebhookEvent

OPEN_STATUSES = ("CREATED", "PENDING")
PAID_STATUSES = ("SUCCESS", "REFUNDED")


def _subject(principal: Principal, patient: PatientScope | None) -> scopes.Subject:
    """Who reads: a staff member, or a patient through their scope (resolved by the service); a patient principal
    without one sees nothing."""
    return patient if principal.is_patient and patient is not None else principal


async def appointment_for(session: AsyncSession, principal: Principal, appointment_id: int, *,
                          patient: PatientScope | None = None, lock: bool = False) -> Appointment | None:
    """The appointment if the caller may read it (``authz.scopes``)."""
    stmt = select(Appointment).where(Appointment.id == appointment_id,
                                     scopes.appointments(_subject(principal, patient)))
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def appointment_locked(session: AsyncSession, appointment_id: int) -> Appointment | None:
    """For jobs and webhooks, which act for the provider rather than for a caller."""
    stmt = select(Appointment).where(Appointment.id == appointment_id).with_for_update()
    return (await session.execute(stmt.execution_options(populate_existing=True))).scalar_one_or_none()


async def payments_of_appointment(session: AsyncSession, appointment_id: int, *, lock: bool = False
                                  ) -> list[Payment]:
    stmt = select(Payment).where(Payment.appointment_id == appointment_id).order_by(Payment.id.desc())
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return list((await session.execute(stmt)).scalars())


async def _one(session: AsyncSession, condition: Any) -> Payment | None:
    stmt = select(Payment).where(condition).order_by(Payment.id.desc()).limit(1)
    return (await session.execute(stmt)).scalars().first()


async def by_order_id(session: AsyncSession, order_id: str) -> Payment | None:
    return await _one(session, Payment.order_id == order_id)


async def by_link_id(session: AsyncSession, link_id: str) -> Payment | None:
    return await _one(session, Payment.link_id == link_id)


async def by_provider_payment_id(session: AsyncSession, payment_id: str) -> Payment | None:
    return await _one(session, Payment.payment_id == payment_id)


async def by_id_locked(session: AsyncSession, payment_row_id: int) -> Payment | None:
    """Lock order everywhere: the appointment row first, then its payment rows (no deadlocks)."""
    stmt = (select(Payment).where(Payment.id == payment_row_id).with_for_update()
            .execution_options(populate_existing=True))
    return (await session.execute(stmt)).scalar_one_or_none()


async def payment_for(session: AsyncSession, principal: Principal, payment_row_id: int, *,
                      lock: bool = False) -> Payment | None:
    """A payment the staff ``principal`` may read (``authz.scopes``: with its appointment, else its patient)."""
    stmt = select(Payment).where(Payment.id == payment_row_id, scopes.payments(principal))
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def other_paid_exists(session: AsyncSession, appointment_id: int, exclude_id: int) -> bool:
    stmt = select(Payment.id).where(Payment.appointment_id == appointment_id, Payment.id != exclude_id,
                                    Payment.status.in_(PAID_STATUSES))
    return (await session.execute(stmt.limit(1))).first() is not None


async def registration(session: AsyncSession, *, organization_id: int, patient_id: int,
                       lock: bool = False) -> PatientRegistration | None:
    stmt = select(PatientRegistration).where(PatientRegistration.organization_id == organization_id,
                                             PatientRegistration.patient_id == patient_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def patient(session: AsyncSession, patient_id: int) -> Patient | None:
    return await session.get(Patient, patient_id)


async def staff_visible_patient(session: AsyncSession, principal: Principal, patient_id: int) -> bool:
    """The patient-record rule (``authz.scopes.patients``), so a staff read of a patient's payments answers 404
    exactly where ``GET /api/patients/:id`` does."""
    stmt = select(Patient.id).where(Patient.id == patient_id, scopes.patients(principal))
    return (await session.execute(stmt)).first() is not None


@dataclass(frozen=True)
class HistoryFilters:
    status: str | None = None
    patient_id: int | None = None
    appointment_id: int | None = None
    centre_id: int | None = None
    paid_from: datetime | None = None
    paid_to: datetime | None = None


async def history(session: AsyncSession, principal: Principal, filters: HistoryFilters, *, limit: int,
                  offset: int, patient: PatientScope | None = None) -> tuple[list[tuple[Payment, Appointment]], int]:
    """Payments of appointments the caller may read, newest first, with their appointments; and how many."""
    stmt = (select(Payment, Appointment).join(Appointment, Appointment.id == Payment.appointment_id)
            .where(scopes.payments(_subject(principal, patient))))
    if filters.status:
        stmt = stmt.where(Payment.status == filters.status)
    if filters.patient_id:
        stmt = stmt.where(Payment.patient_id == filters.patient_id)
    if filters.appointment_id:
        stmt = stmt.where(Payment.appointment_id == filters.appointment_id)
    if filters.centre_id:
        stmt = stmt.where(Appointment.centre_id == filters.centre_id)
    if filters.paid_from:
        stmt = stmt.where(Payment.created_at >= filters.paid_from)
    if filters.paid_to:
        stmt = stmt.where(Payment.created_at < filters.paid_to)
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    rows = await session.execute(stmt.order_by(Payment.created_at.desc(), Payment.id.desc())
                                 .limit(limit).offset(offset))
    return [(row[0], row[1]) for row in rows], total


async def store_webhook_event(session: AsyncSession, *, provider: str, event_id: str, event_type: str | None,
                              payload: dict[str, Any]) -> int | None:
    """Insert the event once; ``None`` when this event id was already stored (a redelivery)."""
    stmt = insert(WebhookEvent).values(provider=provider, event_id=event_id, event_type=event_type,
                                       payload=payload).on_conflict_do_nothing(
        constraint="uq_webhook_events_provider_event").returning(WebhookEvent.id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def webhook_event_locked(session: AsyncSession, row_id: int) -> WebhookEvent | None:
    stmt = select(WebhookEvent).where(WebhookEvent.id == row_id).with_for_update(skip_locked=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def unprocessed_webhook_ids(session: AsyncSession, *, received_before: datetime, limit: int = 100
                                  ) -> list[int]:
    stmt = (select(WebhookEvent.id).where(WebhookEvent.processed_at.is_(None),
                                          WebhookEvent.received_at < received_before)
            .order_by(WebhookEvent.id).limit(limit))
    return list((await session.execute(stmt)).scalars())


async def open_payment_ids(session: AsyncSession, *, created_before: datetime, limit: int = 100) -> list[int]:
    """Orders and links still open after a while (their webhook may never have come)."""
    stmt = (select(Payment.id).where(Payment.status.in_(OPEN_STATUSES), Payment.created_at < created_before,
                                     (Payment.order_id.is_not(None)) | (Payment.link_id.is_not(None)))
            .order_by(Payment.id).limit(limit))
    return list((await session.execute(stmt)).scalars())


async def supersede_open(session: AsyncSession, appointment_id: int, *, keep_id: int | None, reason: str) -> None:
    """Close the appointment's other open orders (a fresh order or a direct payment replaces them)."""
    stmt = update(Payment).where(Payment.appointment_id == appointment_id, Payment.status.in_(OPEN_STATUSES),
                                 Payment.link_id.is_(None))
    if keep_id is not None:
        stmt = stmt.where(Payment.id != keep_id)
    await session.execute(stmt.values(status="FAILED", failure_code="SUPERSEDED", failure_reason=reason)
                          .execution_options(synchronize_session=False))


async def follow_reschedule(session: AsyncSession, *, from_appointment_id: int, to_appointment_id: int) -> None:
    """A moved appointment keeps its payments: refunds and history follow the appointment that now holds the time."""
    await session.execute(update(Payment).where(Payment.appointment_id == from_appointment_id)
                          .values(appointment_id=to_appointment_id))
