"""Hold expiry, called directly: an unpaid hold past its time frees its slot (for the slot engine at once, for the
table when the job or the next booking of that clinician releases it); a hold with a successful payment is never
released, not even while the payment is being settled. The single rule itself (lifecycle.holds) and the job run
twice or concurrently are tested in tests/lifecycle/test_holds.py and tests/appointments/test_holds.py."""
from __future__ import annotations

import asyncio
from datetime import time, timedelta

from sqlalchemy import select

from clinicops.appointments import booking, holds, slots
from clinicops.appointments.models import Appointment
from clinicops.appointments.tasks import release_expired_holds
from clinicops.config import get_settings
from clinicops.kit.timezones import utcnow
from clinicops.lifecycle import Actor
from clinicops.payments import settlement
from clinicops.payments.models import Payment
from tests.builders.people import next_phone
from tests.core import world as w
from tests.core.world import events, reload


async def _web_hold(db, world, side, hhmm: str, patient=None):
    booked = await booking.book_as_patient(db, world.patient(patient), organization_id=side.org.id,
                                           clinician_id=side.clinician.id, centre_id=side.centre.id,
                                           mode="IN_PERSON", day=side.day, at=time.fromisoformat(hhmm))
    return booked.appointment


async def _desk_hold(db, side, hhmm: str):
    desk = await booking.book_at_front_desk(db, side.desk_principal, clinician_id=side.clinician.id,
                                            centre_id=side.centre.id, patient_phone=next_phone(),
                                            patient_name="Desk Walkin", patient_email=None, mode="IN_PERSON",
                                            day=side.day, at=time.fromisoformat(hhmm))
    return desk.booked.appointment


def _order(appointment: Appointment, status: str = "CREATED") -> Payment:
    return Payment(organization_id=appointment.organization_id, patient_id=appointment.patient_id,
                   appointment_id=appointment.id, provider="offline", order_id=f"order_hold{appointment.id}",
                   amount_paise=appointment.fee_paise, consultation_fee_paise=appointment.fee_paise, status=status,
                   paid_at=utcnow() if status == "SUCCESS" else None)


async def _lapse(db, *appointments: Appointment) -> None:
    for appointment in appointments:
        appointment.hold_expires_at = utcnow() - timedelta(minutes=1)
    await db.flush()


async def _free(db, side, hhmm: str) -> bool:
    day = await slots.day_slots(db, organization_id=side.org.id, clinician_id=side.clinician.id,
                                centre_id=side.centre.id, day=side.day, mode="IN_PERSON")
    return next(s for s in day if s.starts_at == side.at(hhmm)).available


async def test_the_job_frees_lapsed_unpaid_holds_of_both_organizations_and_keeps_paid_ones(db, world):
    a, b = world.a, world.b
    web_a = await _web_hold(db, world, a, "10:00")
    desk_b = await _desk_hold(db, b, "10:00")
    paid_b = await _web_hold(db, world, b, "11:00")
    db.add(_order(paid_b, "SUCCESS"))  # the money arrived; the webhook has not confirmed it yet
    running_a = await _web_hold(db, world, a, "11:00")
    await _lapse(db, web_a, desk_b, paid_b)

    # the slot engine sees a lapsed unpaid hold as free before anything releases it; a paid one stays taken
    assert [await _free(db, a, "10:00"), await _free(db, b, "10:00")] == [True, True]
    assert [await _free(db, b, "11:00"), await _free(db, a, "11:00")] == [False, False]

    assert await release_expired_holds() == 2
    settings = get_settings()
    for row, minutes in ((web_a, settings.patient_hold_minutes), (desk_b, settings.staff_hold_minutes)):
        await reload(db, row)
        assert (row.status, row.hold_expires_at) == ("CANCELLED", None)
        assert (await events(db, row.id))[-1] == ("BOOKED", "CANCELLED", "HOLD_EXPIRY",
                                                  f"Payment not completed within {minutes} minutes")
    for row in (paid_b, running_a):
        assert (await reload(db, row)).status == "BOOKED"
        assert [e[1] for e in await events(db, row.id)] == ["BOOKED"]
    assert await release_expired_holds() == 0

    # the freed slot is booked by someone else
    again = await _web_hold(db, world, a, "10:00", patient=world.only_a)
    assert again.id != web_a.id and again.starts_at == web_a.starts_at


async def test_a_booking_releases_only_its_own_clinicians_lapsed_holds(db, world):
    a, b = world.a, world.b
    held_a = await _web_hold(db, world, a, "10:00")
    held_b = await _web_hold(db, world, b, "10:00")
    await _lapse(db, held_a, held_b)

    taken = await _web_hold(db, world, a, "10:00", patient=world.only_a)
    assert taken.starts_at == held_a.starts_at
    assert (await reload(db, held_a)).status == "CANCELLED"
    assert (await events(db, held_a.id))[-1][2] == "HOLD_EXPIRY"
    assert (await reload(db, held_b)).status == "BOOKED"  # another clinician's hold waits for the job
    assert await holds.release_expired(db) == [held_b.id]


async def test_a_hold_being_paid_is_skipped_by_the_release_and_ends_confirmed(committed):
    """The settlement holds the appointment's row while it records the money; the release, running meanwhile on
    another connection, skips the row instead of cancelling a hold that is being paid."""
    factory, _client = committed
    async with factory() as session:
        world = await w.build(session)
        held = await _web_hold(session, world, world.b, "10:00")
        order = _order(held)
        session.add(order)
        await _lapse(session, held)
        await session.commit()

    async with factory() as paying:
        payment, appointment = await settlement.lock(paying, order)
        assert await settlement.settle_paid(paying, payment, appointment, provider_payment_id="pay_RACE000001",
                                            method="UPI")
        async with factory() as releasing:
            assert await holds.release_expired(releasing) == []
            await releasing.commit()
        await paying.commit()

    async with factory() as session:
        row = await session.get(Appointment, held.id)
        assert (row.status, row.hold_expires_at) == ("CONFIRMED", None)
        assert await holds.release_expired(session) == []
        assert [e[1] for e in await events(session, held.id)] == ["BOOKED", "CONFIRMED"]


async def test_a_payment_waiting_on_a_release_books_the_slot_again(committed):
    """The other order of the same race: the release holds the row and cancels it; the settlement waits for it,
    then finds the hold released by nobody in person and books the same slot again (booking.book)."""
    factory, _client = committed
    async with factory() as session:
        world = await w.build(session)
        held = await _web_hold(session, world, world.a, "10:00")
        order = _order(held)
        session.add(order)
        await _lapse(session, held)
        await session.commit()

    async def pay() -> None:
        async with factory() as paying:
            payment, appointment = await settlement.lock(paying, order)
            assert await settlement.settle_paid(paying, payment, appointment, provider_payment_id="pay_RACE000002",
                                                method="UPI")
            await paying.commit()

    async with factory() as releasing:
        assert await holds.release_expired(releasing) == [held.id]
        paying = asyncio.create_task(pay())
        await asyncio.sleep(0.3)
        assert not paying.done()  # it queues on the appointment's row
        await releasing.commit()
    await asyncio.wait_for(paying, timeout=10)

    async with factory() as session:
        rows = (await session.execute(select(Appointment).where(Appointment.clinician_id == world.a.clinician.id)
                                      .order_by(Appointment.id))).scalars().all()
        assert [(r.id == held.id, r.status, r.starts_at) for r in rows] == [
            (True, "CANCELLED", held.starts_at), (False, "CONFIRMED", held.starts_at)]
        payment = await session.get(Payment, order.id)
        assert (payment.status, payment.appointment_id, payment.refund_eligible_paise) == (
            "SUCCESS", rows[1].id, None)
        assert (await events(session, rows[1].id))[0][2] == Actor.PAYMENT
