"""Generated appointment history: slots taken from each clinician's weekly rules, outcomes, events, payments.

Rows are built as plain dicts and bulk-inserted; slots come from non-overlapping rules and each clinician's
day is walked in order, so the no-overlap constraint never fires.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment, AppointmentEvent
from clinicops.kit.timezones import local_datetime, utcnow, zone
from clinicops.lifecycle import Actor as A
from clinicops.lifecycle import AppointmentStatus as S
from clinicops.payments.models import Payment

PAST_DAYS = 90
FUTURE_DAYS = 14


@dataclass(frozen=True)
class Rule:
    centre_id: int
    weekday: int  # 0 = Sunday
    start: time
    end: time
    slot_minutes: int
    mode: str


@dataclass
class Doctor:
    clinician_id: int
    user_id: int
    fee_paise: int
    duration: int
    rules: list[Rule]


@dataclass
class OrgHistory:
    """What to generate for one organization."""

    organization_id: int
    timezone: str
    doctors: list[Doctor]
    patients: list[tuple[int, int]]  # (patient id, patient user id)
    desk_user_ids: list[int]
    sources: tuple[str, ...]
    past_fill: float
    future_fill: float
    registration_fee_paise: int = 0
    paid_registration: set[int] = field(default_factory=set)


@dataclass
class Planned:
    appointment: dict
    events: list[dict]
    payment: dict | None


def _weekday(day: date) -> int:
    return day.isoweekday() % 7


def _slots(doctor: Doctor, day: date, tz) -> list[tuple[Rule, datetime, datetime]]:
    taken_until: datetime | None = None
    found = []
    for rule in sorted((r for r in doctor.rules if r.weekday == _weekday(day)), key=lambda r: r.start):
        start = local_datetime(day, rule.start, tz)
        last = local_datetime(day, rule.end, tz)
        while start + timedelta(minutes=doctor.duration) <= last:
            end = start + timedelta(minutes=doctor.duration)
            if taken_until is None or start >= taken_until:
                found.append((rule, start, end))
                taken_until = end
            start += timedelta(minutes=rule.slot_minutes)
    return found


def _outcome(rng: random.Random, starts_at: datetime, now: datetime) -> str:
    if starts_at > now:
        return S.CONFIRMED
    roll = rng.random()
    return S.COMPLETED if roll < 0.8 else S.CANCELLED if roll < 0.91 else S.NO_SHOW


def _event(appt_index: int, org_id: int, from_status: str | None, to_status: str, at: datetime,
           actor_user_id: int | None, actor: str, reason: str | None = None) -> dict:
    return {"_appt": appt_index, "organization_id": org_id, "from_status": from_status, "to_status": to_status,
            "actor_user_id": actor_user_id, "actor": actor, "reason": reason, "created_at": at}


def _plan_one(rng: random.Random, plan: OrgHistory, doctor: Doctor, rule: Rule, starts_at: datetime,
              ends_at: datetime, index: int, seen: set[tuple[int, int]], now: datetime) -> Planned:
    patient_id, patient_user_id = rng.choice(plan.patients)
    source = rng.choice(plan.sources)
    booked_by = patient_user_id if source in ("WEB_PATIENT", "WHATSAPP") else rng.choice(plan.desk_user_ids)
    booked_at = min(starts_at - timedelta(hours=rng.randint(2, 240)), now - timedelta(minutes=5))
    confirmed_at = booked_at + timedelta(minutes=rng.randint(1, 20))
    status = _outcome(rng, starts_at, now)
    cancelled_before_paying = status == S.CANCELLED and rng.random() < 0.4
    follow_up = (doctor.clinician_id, patient_id) in seen
    seen.add((doctor.clinician_id, patient_id))
    org = plan.organization_id
    events = [_event(index, org, None, S.BOOKED, booked_at, booked_by,
                     A.PATIENT if booked_by == patient_user_id else A.USER)]
    appt = {
        "organization_id": org, "centre_id": rule.centre_id, "clinician_id": doctor.clinician_id,
        "patient_id": patient_id, "mode": rule.mode, "kind": "FOLLOW_UP" if follow_up else "CONSULTATION",
        "starts_at": starts_at, "ends_at": ends_at, "duration_minutes": doctor.duration, "status": status,
        "source": source, "booked_by_user_id": booked_by, "fee_paise": doctor.fee_paise,
        "meet_link": None, "created_at": booked_at, "updated_at": booked_at, "version": 1,
    }
    payment = None
    if not cancelled_before_paying:
        events.append(_event(index, org, S.BOOKED, S.CONFIRMED, confirmed_at, None, A.PAYMENT))
        payment = _payment(rng, plan, patient_id, doctor, source, confirmed_at, index)
        appt["updated_at"] = confirmed_at
        if rule.mode == "ONLINE":
            appt["meet_link"] = f"https://meet.clinicops.invalid/{secrets.token_hex(3)}-{secrets.token_hex(2)}"
    _finish(rng, appt, events, payment, status, booked_by, doctor, now)
    return Planned(appt, events, payment)


def _finish(rng: random.Random, appt: dict, events: list[dict], payment: dict | None, status: str,
            booked_by: int, doctor: Doctor, now: datetime) -> None:
    index, org = events[0]["_appt"], appt["organization_id"]
    starts_at, ends_at = appt["starts_at"], appt["ends_at"]
    last = events[-1]["to_status"]
    if status == S.COMPLETED:
        if appt["mode"] == "IN_PERSON":
            appt["checked_in_at"] = starts_at - timedelta(minutes=rng.randint(3, 20))
        appt["started_at"], appt["finished_at"] = starts_at, ends_at
        events.append(_event(index, org, last, S.IN_PROGRESS, starts_at, doctor.user_id, A.USER))
        events.append(_event(index, org, S.IN_PROGRESS, S.COMPLETED, ends_at, doctor.user_id, A.USER))
        appt["updated_at"] = ends_at
    elif status == S.NO_SHOW:
        marked = starts_at + timedelta(minutes=15)
        events.append(_event(index, org, last, S.NO_SHOW, marked, doctor.user_id, A.USER, "Patient did not attend"))
        appt["updated_at"] = marked
    elif status == S.CANCELLED:
        cancelled = min(events[-1]["created_at"] + timedelta(hours=rng.randint(1, 24)),
                        starts_at - timedelta(hours=1), now)
        cancelled = max(cancelled, events[-1]["created_at"])
        reason = rng.choice(("Patient requested", "Clinician unavailable", "Travel", "Feeling better"))
        events.append(_event(index, org, last, S.CANCELLED, cancelled, booked_by, A.USER, reason))
        appt.update(cancelled_at=cancelled, cancellation_reason=reason, cancelled_by_user_id=booked_by,
                    updated_at=cancelled)
        if payment is not None:
            payment.update(status="REFUNDED", refunded_paise=payment["amount_paise"], refund_status="processed",
                           refund_id=f"rfnd_demo{index:07d}", updated_at=cancelled)


def _payment(rng: random.Random, plan: OrgHistory, patient_id: int, doctor: Doctor, source: str,
             paid_at: datetime, index: int) -> dict:
    registration = 0
    if plan.registration_fee_paise and patient_id not in plan.paid_registration:
        registration = plan.registration_fee_paise
        plan.paid_registration.add(patient_id)
    online = source == "WEB_PATIENT"
    method = rng.choice(("UPI", "CARD", "NETBANKING")) if online else rng.choice(("CASH", "UPI", "CARD"))
    return {
        "_appt": index, "organization_id": plan.organization_id, "patient_id": patient_id, "provider": "OFFLINE",
        "order_id": f"order_demo{index:07d}" if online else None,
        "payment_id": f"pay_demo{index:07d}" if online else None,
        "amount_paise": doctor.fee_paise + registration, "consultation_fee_paise": doctor.fee_paise,
        "registration_fee_paise": registration, "currency": "INR", "status": "SUCCESS", "method": method,
        "paid_at": paid_at, "refunded_paise": 0, "created_at": paid_at, "updated_at": paid_at,
    }


def plan_history(rng: random.Random, plan: OrgHistory, *, today: date, start_index: int = 0) -> list[Planned]:
    """Appointments for the last PAST_DAYS days and the next FUTURE_DAYS, in time order per clinician."""
    tz = zone(plan.timezone)
    now = utcnow()
    seen: set[tuple[int, int]] = set()
    planned: list[Planned] = []
    for offset in range(-PAST_DAYS, FUTURE_DAYS + 1):
        day = today + timedelta(days=offset)
        for doctor in plan.doctors:
            for rule, starts_at, ends_at in _slots(doctor, day, tz):
                future = starts_at > now
                if future and starts_at < now + timedelta(hours=1):
                    continue
                if rng.random() >= (plan.future_fill if future else plan.past_fill):
                    continue
                planned.append(_plan_one(rng, plan, doctor, rule, starts_at, ends_at,
                                         start_index + len(planned), seen, now))
    return planned


async def insert_history(session: AsyncSession, planned: list[Planned]) -> dict[str, int]:
    """Bulk-insert appointments, then their events and payments with the new ids."""
    if not planned:
        return {"appointments": 0, "appointment_events": 0, "payments": 0}
    columns = set().union(*(p.appointment.keys() for p in planned))
    rows = [{c: p.appointment.get(c) for c in columns} for p in planned]
    # Core inserts on the tables: the ORM's bulk path runs one statement per row for these models.
    table = Appointment.__table__
    ids = list((await session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)).scalars())
    base = planned[0].events[0]["_appt"]
    events = [{**{k: v for k, v in e.items() if k != "_appt"}, "appointment_id": ids[e["_appt"] - base]}
              for p in planned for e in p.events]
    payment_columns = set().union(*(p.payment.keys() for p in planned if p.payment)) - {"_appt"}
    payments = [{**{c: p.payment.get(c) for c in payment_columns}, "appointment_id": ids[p.payment["_appt"] - base]}
                for p in planned if p.payment]
    await session.execute(insert(AppointmentEvent.__table__), events)
    if payments:
        await session.execute(insert(Payment.__table__), payments)
    return {"appointments": len(ids), "appointment_events": len(events), "payments": len(payments)}
