"""One rule for lapsed holds (lifecycle.holds): a BOOKED appointment whose hold has passed frees its slot, unless
a successful payment exists for it. Every statement that asks uses the one rule; these tests hold each to it."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text

from clinicops.appointments import holds as hold_release
from clinicops.appointments import repository, slots
from clinicops.appointments.models import Appointment
from clinicops.clinicians import repository as clinicians
from clinicops.kit.timezones import utcnow
from clinicops.lifecycle import AppointmentStatus as S
from clinicops.lifecycle import holds
from clinicops.payments import service as payments
from clinicops.payments.exceptions import AlreadyPaid, HoldExpired
from clinicops.payments.models import Payment
from tests.builders.appointments import make_world
from tests.builders.slots import add_appointment


async def _pay(db, appointment: Appointment, status: str = "SUCCESS") -> Payment:
    payment = Payment(organization_id=appointment.organization_id, patient_id=appointment.patient_id,
                      appointment_id=appointment.id, provider="DIRECT", amount_paise=appointment.fee_paise,
                      consultation_fee_paise=appointment.fee_paise, status=status)
    db.add(payment)
    await db.flush()
    return payment


@pytest.fixture
async def rows(db):
    """One appointment per case at 10:00, 10:30 ... on the world's day: (world, {case: appointment})."""
    world = await make_world(db)
    past, ahead = utcnow() - timedelta(minutes=1), utcnow() + timedelta(minutes=10)
    cases = {"lapsed": (S.BOOKED, past, None), "lapsed_paid": (S.BOOKED, past, "SUCCESS"),
             "lapsed_failed_payment": (S.BOOKED, past, "FAILED"), "running": (S.BOOKED, ahead, None),
             "no_hold": (S.BOOKED, None, None), "confirmed": (S.CONFIRMED, None, "SUCCESS")}
    found = {}
    for i, (case, (status, hold, paid)) in enumerate(cases.items()):
        row = await add_appointment(db, clinician=world.clinician, centre=world.centre, patient=world.patient,
                                    starts_at=world.at("10:00") + timedelta(minutes=30 * i), status=status,
                                    hold_expires_at=hold)
        if paid:
            await _pay(db, row, paid)
        found[case] = row
    return world, found


LAPSED = {"lapsed", "lapsed_failed_payment"}


async def test_the_sql_and_the_predicate_say_the_same(db, rows):
    _world, found = rows
    now = utcnow()
    ids = [a.id for a in found.values()]
    in_sql = set((await db.execute(
        text(f"SELECT a.id FROM appointments a WHERE a.id = ANY(:ids) AND {holds.lapsed_sql('a')}"),
        {"ids": ids, "now": now})).scalars())
    paid = set((await db.execute(select(Payment.appointment_id).where(Payment.status == "SUCCESS"))).scalars())
    by_predicate = {a.id for a in found.values() if holds.has_lapsed(a, now=now, paid=a.id in paid)}
    assert in_sql == by_predicate == {found[case].id for case in LAPSED}


async def test_only_unpaid_lapsed_holds_are_released(db, rows):
    _world, found = rows
    clinician_id = found["lapsed"].clinician_id
    locked = await repository.lock_expired_holds(db, now=utcnow(), limit=50, clinician_id=clinician_id)
    assert {a.id for a in locked} == {found[case].id for case in LAPSED}
    released = await hold_release.release_expired(db, clinician_id=clinician_id)
    assert set(released) == {found[case].id for case in LAPSED}
    await db.refresh(found["lapsed_paid"])
    assert found["lapsed_paid"].status == "BOOKED"


async def test_a_paid_lapsed_hold_still_holds_its_slot(db, rows):
    world, found = rows
    day = await slots.day_slots(db, organization_id=world.org.id, clinician_id=world.clinician.id,
                                centre_id=world.centre.id, day=world.day, mode="IN_PERSON")
    taken = {s.starts_at for s in day if not s.available}
    assert found["lapsed_paid"].starts_at in taken and found["confirmed"].starts_at in taken
    assert found["lapsed"].starts_at not in taken


async def test_a_block_lists_a_paid_lapsed_hold_among_the_affected(db, rows):
    """The block preview once skipped the paid check: a patient who had paid was not told of the block."""
    world, found = rows
    day = world.day
    affected = await clinicians.affected_appointments(
        db, world.org.id, world.clinician.id, windows=[(datetime.combine(day, datetime.min.time()),
                                                        datetime.combine(day, datetime.max.time()))],
        centre_id=None, mode=None, now=utcnow())
    ids = {a.id for a in affected}
    assert found["lapsed_paid"].id in ids and found["running"].id in ids and found["confirmed"].id in ids
    assert not ids & {found[case].id for case in LAPSED}


async def test_paying_a_lapsed_hold_is_refused_and_a_paid_one_is_already_paid(db, rows):
    _world, found = rows
    with pytest.raises(HoldExpired):
        await payments.ensure_awaiting_payment(db, found["lapsed"])
    with pytest.raises(AlreadyPaid):
        await payments.ensure_awaiting_payment(db, found["lapsed_paid"])
    await payments.ensure_awaiting_payment(db, found["running"])
