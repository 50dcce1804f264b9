"""All SQL of the dashboard. Every statement starts from rows of one organization (and the scope's centres).

The figures are aggregated in PostgreSQL, one statement per figure set; Python only receives the totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, distinct, exists, func, literal, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.analytics.periods import BucketUnit, Window
from clinicops.appointments.models import Appointment
from clinicops.auth.models import User
from clinicops.clinicians.models import Clinician
from clinicops.lifecycle import AppointmentStatus
from clinicops.organizations.models import Centre, Organization
from clinicops.payments.models import Payment

# A cancelled booking never counts. The old row of a reschedule (RESCHEDULED) is superseded by the new booking
# that carries its place, so counting both would count one visit twice.
NOT_COUNTED_STATUSES = (AppointmentStatus.CANCELLED, AppointmentStatus.RESCHEDULED)


@dataclass(frozen=True)
class Scope:
    """The rows a dashboard reads: one organization, and of it only ``centre_ids`` (None = every centre)."""

    organization_id: int
    centre_ids: frozenset[int] | None = None


def _between(column, window: Window) -> ColumnElement[bool]:
    return and_(column >= window.start_at, column < window.end_at)


def _in(column, start_at: datetime, end_at: datetime) -> ColumnElement[bool]:
    return and_(column >= start_at, column < end_at)


def _counted_appointments(scope: Scope) -> list[ColumnElement[bool]]:
    """The appointments a dashboard counts: the organization's (at the scope's centres), not cancelled."""
    where = [Appointment.organization_id == scope.organization_id,
             Appointment.status.not_in(NOT_COUNTED_STATUSES)]
    if scope.centre_ids is not None:
        where.append(Appointment.centre_id.in_(sorted(scope.centre_ids)))
    return where


def _revenue_paise():
    """Money kept: a successful payment's amount less what has been refunded of it."""
    return Payment.amount_paise - Payment.refunded_paise


def _payments(scope: Scope, *columns) -> Select:
    """Successful payments of the organization; with centres, only those for appointments at them."""
    stmt = select(*columns).select_from(Payment).where(
        Payment.organization_id == scope.organization_id, Payment.status == "SUCCESS")
    if scope.centre_ids is not None:
        stmt = stmt.join(Appointment, and_(Appointment.id == Payment.appointment_id,
                                           Appointment.organization_id == scope.organization_id)).where(
            Appointment.centre_id.in_(sorted(scope.centre_ids)))
    return stmt


async def organization_context(session: AsyncSession, organization_id: int,
                               centre_id: int | None) -> tuple[str, bool] | None:
    """(the organization's time zone, whether ``centre_id`` is a live centre of it) in one round trip."""
    centre_ok = (exists().where(Centre.id == centre_id, Centre.organization_id == organization_id,
                                Centre.is_deleted.is_(False)) if centre_id is not None else literal(True))
    row = (await session.execute(
        select(Organization.timezone, centre_ok).where(Organization.id == organization_id))).one_or_none()
    return (row[0], bool(row[1])) if row else None


@dataclass(frozen=True)
class Figures:
    patients: tuple[int, int]  # (this period, previous period)
    doctors: tuple[int, int]
    follow_ups: tuple[int, int]
    revenue_paise: tuple[int, int]


async def dashboard_figures(session: AsyncSession, scope: Scope, current: Window, previous: Window) -> Figures:
    """The four dashboard figures for both periods, in one statement of three one-row aggregates."""
    a = Appointment
    seen = (select(
        func.count(distinct(a.patient_id)).filter(_between(a.starts_at, current)).label("patients"),
        func.count(distinct(a.patient_id)).filter(_between(a.starts_at, previous)).label("patients_before"),
        func.count(distinct(a.clinician_id)).filter(_between(a.starts_at, current)).label("doctors"),
        func.count(distinct(a.clinician_id)).filter(_between(a.starts_at, previous)).label("doctors_before"))
        .where(*_counted_appointments(scope), _in(a.starts_at, previous.start_at, current.end_at))
        .subquery("seen"))
    booked = (select(
        func.count().filter(_between(a.created_at, current)).label("follow_ups"),
        func.count().filter(_between(a.created_at, previous)).label("follow_ups_before"))
        .where(*_counted_appointments(scope), a.kind == "FOLLOW_UP",
               _in(a.created_at, previous.start_at, current.end_at))
        .subquery("booked"))
    paid = _payments(
        scope,
        func.coalesce(func.sum(_revenue_paise()).filter(_between(Payment.paid_at, current)), 0).label("revenue"),
        func.coalesce(func.sum(_revenue_paise()).filter(_between(Payment.paid_at, previous)), 0)
        .label("revenue_before"),
    ).where(_in(Payment.paid_at, previous.start_at, current.end_at)).subquery("paid")
    row = (await session.execute(
        select(seen, booked, paid).select_from(seen).join(booked, true()).join(paid, true()))).one()
    return Figures((row.patients, row.patients_before), (row.doctors, row.doctors_before),
                   (row.follow_ups, row.follow_ups_before), (int(row.revenue), int(row.revenue_before)))


@dataclass(frozen=True)
class DoctorRow:
    clinician_id: int
    name: str
    specializations: list
    picture_url: str | None
    appointments: int
    completed: int
    patients: int
    revenue_paise: int


async def top_doctors(session: AsyncSession, scope: Scope, window: Window, *, limit: int) -> list[DoctorRow]:
    """Clinicians with counted appointments starting in ``window``, most appointments first.

    Ties go to more revenue, then name and id, so the order is stable. Revenue is the successful payments paid
    in the window for the clinician's appointments (at the scope's centres).
    """
    a = Appointment
    load = (select(a.clinician_id, func.count().label("appointments"),
                   func.count().filter(a.status == AppointmentStatus.COMPLETED).label("completed"),
                   func.count(distinct(a.patient_id)).label("patients"))
            .where(*_counted_appointments(scope), _between(a.starts_at, window))
            .group_by(a.clinician_id).subquery("load"))
    earned = (_payments(scope, Appointment.clinician_id, func.sum(_revenue_paise()).label("revenue"))
              .where(_between(Payment.paid_at, window)))
    if scope.centre_ids is None:  # with centres the payments are already joined to their appointments
        earned = earned.join(Appointment, and_(Appointment.id == Payment.appointment_id,
                                               Appointment.organization_id == scope.organization_id))
    earned = earned.group_by(Appointment.clinician_id).subquery("earned")
    revenue = func.coalesce(earned.c.revenue, 0)
    rows = await session.execute(
        select(Clinician.id, User.full_name, Clinician.specializations, Clinician.profile_picture_url,
               load.c.appointments, load.c.completed, load.c.patients, revenue)
        .select_from(load)
        .join(Clinician, and_(Clinician.id == load.c.clinician_id,
                              Clinician.organization_id == scope.organization_id))
        .join(User, User.id == Clinician.user_id)
        .outerjoin(earned, earned.c.clinician_id == load.c.clinician_id)
        .order_by(load.c.appointments.desc(), revenue.desc(), User.full_name, Clinician.id)
        .limit(limit))
    return [DoctorRow(r[0], r[1], list(r[2] or []), r[3], r[4], r[5], r[6], int(r[7])) for r in rows]


async def revenue_by_bucket(session: AsyncSession, scope: Scope, span: Window, unit: BucketUnit,
                            timezone: str) -> dict[datetime, int]:
    """Revenue per local day or month of ``timezone`` within ``span``: {bucket's local midnight: paise}."""
    bucket = func.date_trunc(unit.value, func.timezone(timezone, Payment.paid_at)).label("bucket")
    rows = await session.execute(
        _payments(scope, bucket, func.sum(_revenue_paise()))
        .where(_between(Payment.paid_at, span)).group_by(bucket))
    return {r[0]: int(r[1]) for r in rows}


async def bookings_by_source(session: AsyncSession, scope: Scope, window: Window) -> list[tuple[str, int]]:
    """Counted appointments booked (created) in ``window``, per source, most first."""
    a = Appointment
    count = func.count().label("bookings")
    rows = await session.execute(
        select(a.source, count).where(*_counted_appointments(scope), _between(a.created_at, window))
        .group_by(a.source).order_by(count.desc(), a.source))
    return [(r[0], r[1]) for r in rows]
