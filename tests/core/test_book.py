"""Booking, called directly: ``booking.book`` (the one path of every new appointment) and the use cases that reach
it (``book_as_patient``, ``book_at_front_desk``, ``appointments.service.create``), with two organizations in the
data. A refusal writes nothing; one slot has one winner however many contenders commit at once."""
from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from clinicops.appointments import booking, slots
from clinicops.appointments import service as appointments
from clinicops.appointments.models import Appointment, AppointmentEvent
from clinicops.config import get_settings
from clinicops.db import unit_of_work
from clinicops.errors import NotFound, SlotUnavailable
from clinicops.kit.timezones import utcnow
from clinicops.lifecycle import Actor
from clinicops.lifecycle import AppointmentStatus as S
from clinicops.patients.models import Patient
from tests.builders.people import next_phone
from tests.core import world as w
from tests.core.world import count, events, registration


def _book(world, side, *, patient=None, mode="IN_PERSON", **changes):
    """booking.book's arguments for ``side``'s clinician at 10:00 on its day, by its desk."""
    args = dict(organization_id=side.org.id, patient_id=(patient or world.shared).id,
                clinician_id=side.clinician.id, centre_id=side.centre.id, mode=mode, starts_at=side.at("10:00"),
                source="ADMIN_FRONT_DESK", actor_user_id=side.desk.id, actor=Actor.STAFF)
    return args | changes


async def _nothing_written(db, before: tuple[int, int]) -> None:
    assert (await count(db, Appointment), await count(db, AppointmentEvent)) == before


async def _totals(db) -> tuple[int, int]:
    return await count(db, Appointment), await count(db, AppointmentEvent)


async def test_a_booking_writes_the_row_its_hold_and_its_first_history_line(db, world):
    b = world.b
    wall_clock = datetime.combine(b.day, time(10, 0))  # naive: the centre's wall clock (Dubai), whatever TZ is
    before = utcnow()
    booked = await booking.book(db, **_book(world, b, starts_at=wall_clock, hold_minutes=30, notes="First visit"))
    row = booked.appointment
    assert (booked.clinician.id, booked.centre.id) == (b.clinician.id, b.centre.id)
    assert (row.organization_id, row.centre_id, row.clinician_id, row.patient_id) == (
        b.org.id, b.centre.id, b.clinician.id, world.shared.id)
    assert row.starts_at == b.at("10:00") and row.starts_at.utcoffset() == timedelta(0)
    assert row.starts_at.astimezone(b.at("10:00").tzinfo).hour == 10  # 06:00 UTC: Dubai is +04:00
    assert (row.ends_at - row.starts_at, row.duration_minutes) == (timedelta(minutes=30), 30)
    assert (row.status, row.mode, row.kind, row.source) == ("BOOKED", "IN_PERSON", "CONSULTATION",
                                                            "ADMIN_FRONT_DESK")
    assert (row.fee_paise, row.booked_by_user_id, row.notes) == (900_00, b.desk.id, "First visit")
    assert before + timedelta(minutes=30) <= row.hold_expires_at <= utcnow() + timedelta(minutes=30)
    assert await events(db, row.id) == [(None, "BOOKED", "STAFF", "Booked")]

    day = await slots.day_slots(db, organization_id=b.org.id, clinician_id=b.clinician.id, centre_id=b.centre.id,
                                day=b.day, mode="IN_PERSON")
    ten = next(s for s in day if s.starts_at == b.at("10:00"))
    assert (ten.available, ten.appointment_id) == (False, row.id)
    # the other organization's clinician at the same instant is untouched
    other = await slots.day_slots(db, organization_id=world.a.org.id, clinician_id=world.a.clinician.id,
                                  centre_id=world.a.centre.id, day=world.a.day, mode="IN_PERSON")
    assert all(s.available for s in other)


async def test_a_confirmed_booking_holds_nothing_and_keeps_what_it_is_given(db, world):
    a = world.a
    booked = await booking.book(db, **_book(world, a, mode="ONLINE", starts_at=a.at("14:30"), status=S.CONFIRMED,
                                            hold_minutes=30, fee_paise=1000_00, booked_by_user_id=a.admin.id,
                                            reason="Walk-in, paid at the desk", duration_minutes=60))
    row = booked.appointment
    assert (row.status, row.hold_expires_at, row.fee_paise, row.booked_by_user_id) == (
        "CONFIRMED", None, 1000_00, a.admin.id)
    assert (row.starts_at, row.ends_at) == (a.at("14:30"), a.at("15:30"))  # runs on through the next free slot
    assert await events(db, row.id) == [(None, "CONFIRMED", "STAFF", "Walk-in, paid at the desk")]


REFUSALS = {
    # name: (changes to the arguments, given the world; the error's type; the field it names, if any)
    "not a generated slot": (lambda world: {"starts_at": world.b.at("10:10")}, SlotUnavailable, None),
    "outside the clinician's hours": (lambda world: {"starts_at": world.b.at("20:00")}, SlotUnavailable, None),
    "online in in-person hours": (lambda world: {"mode": "ONLINE"}, SlotUnavailable, None),
    "in the past": (lambda world: {"starts_at": world.b.at("10:00", world.b.day - timedelta(days=4))},
                    SlotUnavailable, None),
    "another organization's centre": (lambda world: {"organization_id": world.a.org.id,
                                                     "clinician_id": world.a.clinician.id},
                                      NotFound, "centre_id"),
    "another organization's clinician": (lambda world: {"centre_id": world.a.centre.id,
                                                        "organization_id": world.a.org.id},
                                         NotFound, "clinician_id"),
    "a centre and clinician of the other organization": (lambda world: {"organization_id": world.a.org.id},
                                                         NotFound, "centre_id"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
async def test_a_refused_booking_names_why_and_writes_nothing(db, world, case):
    changes, error, field = REFUSALS[case]
    before = await _totals(db)
    with pytest.raises(error) as refused:
        await booking.book(db, **_book(world, world.b, **changes(world)))
    if field is not None:  # the core names its own field (snake_case); each surface renames it
        assert refused.value.details == [{"field": field, "message": refused.value.message}]
    await _nothing_written(db, before)


async def test_an_overlap_is_slot_unavailable_and_writes_nothing(db, world):
    b = world.b
    first = await booking.book(db, **_book(world, b))
    before = await _totals(db)
    for starts_at, minutes in ((b.at("10:00"), None), (b.at("09:30"), 60)):
        with pytest.raises(SlotUnavailable) as refused:
            await booking.book(db, **_book(world, b, patient=world.only_a, starts_at=starts_at,
                                           duration_minutes=minutes))
        assert refused.value.code == "SLOT_UNAVAILABLE" and refused.value.status == 409
    await _nothing_written(db, before)
    # the same instant with the other organization's clinician is free
    other = await booking.book(db, **_book(world, world.a, starts_at=b.at("10:00")))
    assert other.appointment.starts_at == first.appointment.starts_at


async def test_a_patient_books_for_themselves_held_until_paid_and_registered_where_they_book(db, world):
    b, patient = world.b, world.only_a  # registered with A only
    assert await registration(db, b.org, patient) is None
    booked = await booking.book_as_patient(db, world.patient(patient), organization_id=b.org.id,
                                           clinician_id=b.clinician.id, centre_id=b.centre.id, mode="ONLINE",
                                           day=b.day, at=time(14, 0), notes="Anxiety")
    row = booked.appointment
    assert (row.patient_id, row.organization_id, row.source, row.booked_by_user_id, row.mode) == (
        patient.id, b.org.id, "WEB_PATIENT", world.only_a_user.id, "ONLINE")
    assert row.starts_at == b.at("14:00") and row.notes == "Anxiety"
    hold = row.hold_expires_at - utcnow()
    assert timedelta(minutes=get_settings().patient_hold_minutes - 1) < hold <= timedelta(
        minutes=get_settings().patient_hold_minutes)
    assert await events(db, row.id) == [(None, "BOOKED", "PATIENT", "Booked")]
    reg = await registration(db, b.org, patient)
    assert reg is not None and reg.source == "WEB_PATIENT" and not reg.registration_fee_paid

    # asking again for the slot they hold gives that hold back; anyone else is refused
    again = await booking.book_as_patient(db, world.patient(patient), organization_id=b.org.id,
                                          clinician_id=b.clinician.id, centre_id=b.centre.id, mode="ONLINE",
                                          day=b.day, at=time(14, 0))
    assert again.appointment.id == row.id
    assert await count(db, Appointment, Appointment.clinician_id == b.clinician.id) == 1
    with pytest.raises(SlotUnavailable):
        await booking.book_as_patient(db, world.patient(), organization_id=b.org.id, clinician_id=b.clinician.id,
                                      centre_id=b.centre.id, mode="ONLINE", day=b.day, at=time(14, 0))


async def test_a_patient_acting_in_one_organization_cannot_book_the_others_centre(db, world):
    a, b, patient = world.a, world.b, world.only_a
    before = await _totals(db)
    with pytest.raises(NotFound) as refused:
        await booking.book_as_patient(db, world.patient(patient), organization_id=b.org.id,
                                      clinician_id=a.clinician.id, centre_id=a.centre.id, mode="IN_PERSON",
                                      day=a.day, at=time(10, 0))
    assert refused.value.details[0]["field"] == "centre_id"
    await _nothing_written(db, before)
    assert await registration(db, b.org, patient) is None  # refused before the patient was registered there


async def test_the_front_desk_books_by_phone_in_its_own_organization(db, world):
    a, b = world.a, world.b
    phone = next_phone()
    at_b = await booking.book_at_front_desk(db, b.desk_principal, clinician_id=b.clinician.id,
                                            centre_id=b.centre.id, patient_phone=phone,
                                            patient_name="Ravi Kumar Menon", patient_email=None, mode="IN_PERSON",
                                            day=b.day, at=time(11, 0))
    patient, row = at_b.patient, at_b.booked.appointment
    assert (patient.first_name, patient.last_name, patient.phone) == ("Ravi", "Kumar Menon", phone)
    assert (row.patient_id, row.organization_id, row.source, row.booked_by_user_id) == (
        patient.id, b.org.id, "ADMIN_FRONT_DESK", b.desk.id)
    assert row.hold_expires_at - utcnow() > timedelta(minutes=get_settings().staff_hold_minutes - 1)
    assert await registration(db, b.org, patient) is not None and await registration(db, a.org, patient) is None

    # the other organization's desk finds the same person by phone and registers them there
    at_a = await booking.book_at_front_desk(db, a.desk_principal, clinician_id=a.clinician.id,
                                            centre_id=a.centre.id, patient_phone=phone, patient_name="R. Menon",
                                            patient_email=None, mode="IN_PERSON", day=a.day, at=time(11, 0))
    assert at_a.patient.id == patient.id and at_a.booked.appointment.organization_id == a.org.id
    assert await registration(db, a.org, patient) is not None
    assert await count(db, Patient, Patient.phone == phone) == 1


@pytest.mark.parametrize("who", ["desk", "admin"])
async def test_the_front_desk_cannot_book_another_organizations_centre(db, world, who):
    """A desk sees only its centre; an organization-wide admin passes that check, and booking.book refuses the
    centre of another organization. The unit of work rolls back the patient the desk looked up or created."""
    a, b = world.a, world.b
    principal = a.desk_principal if who == "desk" else a.admin_principal
    phone = next_phone()
    with pytest.raises(NotFound) as refused:
        async with unit_of_work() as session:
            await booking.book_at_front_desk(session, principal, clinician_id=b.clinician.id, centre_id=b.centre.id,
                                             patient_phone=phone, patient_name="Nobody", patient_email=None,
                                             mode="IN_PERSON", day=b.day, at=time(10, 0))
    assert refused.value.details[0]["field"] == "centre_id"
    assert await count(db, Patient, Patient.phone == phone) == 0
    assert await count(db, Appointment) == 0


async def test_staff_create_answers_a_view_in_the_callers_organization(db, world):
    a = world.a
    view = await appointments.create(db, a.admin_principal, patient_id=world.only_a.id,
                                     clinician_id=a.clinician.id, centre_id=a.centre.id, mode="IN_PERSON",
                                     kind="FOLLOW_UP", scheduled_start_at=a.at("12:00"), notes="Review")
    row = view.appointment
    assert (row.organization_id, row.kind, row.source, row.status, row.booked_by_user_id) == (
        a.org.id, "FOLLOW_UP", "ADMIN", "BOOKED", a.admin.id)
    assert (view.centre_timezone, view.patient_mrn, view.clinician_name) == (
        "Asia/Kolkata", f"MRN{world.only_a.id:06d}", "Dr. A")
    assert row.hold_expires_at - utcnow() > timedelta(minutes=get_settings().staff_hold_minutes - 1)
    assert await events(db, row.id) == [(None, "BOOKED", "STAFF", "Booked")]


async def test_staff_create_refuses_what_is_outside_the_callers_organization(db, world):
    a, b = world.a, world.b
    b_booking = await booking.book(db, **_book(world, b))
    before = await _totals(db)
    base = dict(patient_id=world.shared.id, clinician_id=a.clinician.id, centre_id=a.centre.id, mode="IN_PERSON",
                kind="CONSULTATION", scheduled_start_at=a.at("12:00"))
    cases = [
        (b.admin_principal, {"patient_id": world.only_a.id, "clinician_id": b.clinician.id,
                             "centre_id": b.centre.id, "scheduled_start_at": b.at("12:00")}, "patient_id"),
        (a.desk_principal, {"centre_id": b.centre.id}, "centre_id"),
        (a.admin_principal, {"centre_id": b.centre.id}, "centre_id"),
        (a.admin_principal, {"clinician_id": b.clinician.id}, "clinician_id"),
        (a.admin_principal, {"parent_appointment_id": b_booking.appointment.id}, "parent_appointment_id"),
    ]
    for principal, changes, field in cases:
        with pytest.raises(NotFound) as refused:
            await appointments.create(db, principal, **(base | changes))
        assert refused.value.details[0]["field"] == field, (changes, refused.value.details)
    await _nothing_written(db, before)


async def test_one_slot_has_one_winner_among_concurrent_bookings_of_every_kind(committed):
    """Five contenders for clinician B's 10:00, each in its own transaction on its own connection, through every
    booking use case, committing at once; clinician A's 10:00 is booked at the same time and is not queued."""
    factory, _client = committed
    async with factory() as session:
        world = await w.build(session)
        await session.commit()
    b, a = world.b, world.a
    phone = next_phone()
    contenders = {
        "patient shared": lambda s: booking.book_as_patient(
            s, world.patient(), organization_id=b.org.id, clinician_id=b.clinician.id, centre_id=b.centre.id,
            mode="IN_PERSON", day=b.day, at=time(10, 0)),
        "patient only_a": lambda s: booking.book_as_patient(
            s, world.patient(world.only_a), organization_id=b.org.id, clinician_id=b.clinician.id,
            centre_id=b.centre.id, mode="IN_PERSON", day=b.day, at=time(10, 0)),
        "front desk": lambda s: booking.book_at_front_desk(
            s, b.desk_principal, clinician_id=b.clinician.id, centre_id=b.centre.id, patient_phone=phone,
            patient_name="New Person", patient_email=None, mode="IN_PERSON", day=b.day, at=time(10, 0)),
        "staff create": lambda s: appointments.create(
            s, b.admin_principal, patient_id=world.shared.id, clinician_id=b.clinician.id, centre_id=b.centre.id,
            mode="IN_PERSON", kind="CONSULTATION", scheduled_start_at=b.at("10:00")),
        "book": lambda s: booking.book(s, **_book(world, b)),
    }

    async def attempt(use_case) -> str | int:
        async with factory() as session:
            try:
                result = await use_case(session)
                await session.commit()
            except SlotUnavailable:
                await session.rollback()
                return "refused"
        return getattr(result, "appointment", result).id  # Booked, DeskBooking.booked, or a view

    results = await asyncio.gather(*(attempt(c) for c in contenders.values()),
                                   attempt(lambda s: booking.book(s, **_book(world, a))))
    *for_b, for_a = results
    by_contender = dict(zip(contenders, for_b))
    async with factory() as session:
        rows = (await session.execute(select(Appointment).where(Appointment.clinician_id == b.clinician.id))
                ).scalars().all()
        assert len(rows) == 1 and rows[0].starts_at == b.at("10:00")
        assert await count(session, AppointmentEvent) == 2  # the two winners' first lines, nothing else
        won = {name: result for name, result in by_contender.items() if result != "refused"}
        # one booking won; the shared patient's own web request may also answer it when that booking is for them
        # (a patient asking for a slot held for them gets their hold, booking.book_as_patient)
        assert set(won.values()) == {rows[0].id}, by_contender
        booked_for_them = {"patient shared"} if rows[0].patient_id == world.shared.id else set()
        assert len(set(won) - booked_for_them) == 1 or set(won) == booked_for_them, by_contender
        assert for_a != "refused"
        winner = next(name for name in won if name not in booked_for_them or len(won) == 1)
        created = await count(session, Patient, Patient.phone == phone)
        assert created == (1 if winner == "front desk" else 0)  # a loser's new patient went with its rollback


async def test_a_double_submit_of_one_patient_booking_answers_the_same_hold_twice(committed):
    """The website's button pressed twice: both requests race for the clinician's lock; the second, once the first
    has committed, finds the slot taken by this very patient and answers that hold instead of a 409."""
    factory, _client = committed
    async with factory() as session:
        world = await w.build(session)
        await session.commit()
    b = world.b

    async def submit() -> int:
        async with factory() as session:
            booked = await booking.book_as_patient(
                session, world.patient(), organization_id=b.org.id, clinician_id=b.clinician.id,
                centre_id=b.centre.id, mode="IN_PERSON", day=b.day, at=time(10, 0))
            await session.commit()
            return booked.appointment.id

    first, second = await asyncio.gather(submit(), submit())
    assert first == second
    async with factory() as session:
        assert await count(session, Appointment, Appointment.clinician_id == b.clinician.id) == 1
        assert await count(session, AppointmentEvent) == 1
