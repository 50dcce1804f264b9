"""A payment that arrives after its hold was released re-books the slot through booking.book, the one path of
every new appointment; when the slot can no longer be booked, the money is due back in full."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from clinicops.appointments import booking
from clinicops.appointments import holds as hold_release
from clinicops.appointments.models import Appointment, AppointmentEvent
from clinicops.kit.timezones import utcnow
from clinicops.lifecycle import Actor
from clinicops.lifecycle import AppointmentStatus as S
from clinicops.messaging.models import OutboxMessage
from clinicops.payments import settlement
from clinicops.payments.models import Payment
from tests.builders.appointments import make_world
from tests.builders.people import make_patient
from tests.builders.slots import add_exception


async def _released_hold(db, world):
    """A web booking at 10:00 with an open order, whose hold lapsed and was released."""
    booked = await booking.book(
        db, organization_id=world.org.id, patient_id=world.patient.id, clinician_id=world.clinician.id,
        centre_id=world.centre.id, mode="IN_PERSON", starts_at=world.at("10:00"), source="WEB_PATIENT",
        actor_user_id=world.patient_user.id, actor=Actor.PATIENT, hold_minutes=10, notes="Back pain")
    old = booked.appointment
    payment = Payment(organization_id=old.organization_id, patient_id=old.patient_id, appointment_id=old.id,
                      provider="offline", order_id=f"order_late{old.id}", amount_paise=old.fee_paise,
                      consultation_fee_paise=old.fee_paise, status="CREATED")
    db.add(payment)
    old.hold_expires_at = utcnow() - timedelta(minutes=1)
    await db.flush()
    assert await hold_release.release_expired(db, clinician_id=old.clinician_id) == [old.id]
    return old, payment


async def _settle(db, payment: Payment) -> Payment:
    payment, appointment = await settlement.lock(db, payment)
    assert await settlement.settle_paid(db, payment, appointment, provider_payment_id="pay_late", method="UPI")
    return payment


async def _events(db, appointment_id: int) -> list[tuple]:
    rows = await db.execute(select(AppointmentEvent).where(AppointmentEvent.appointment_id == appointment_id)
                            .order_by(AppointmentEvent.id))
    return [(e.from_status, e.to_status, e.actor, e.reason) for e in rows.scalars()]


async def test_a_late_payment_books_the_slot_again_through_book(db):
    world = await make_world(db)
    old, payment = await _released_hold(db, world)
    world.clinician.consultation_fee_paise += 500_00  # the fee changed meanwhile: the re-booking keeps the paid one
    await db.flush()
    payment = await _settle(db, payment)

    assert payment.status == "SUCCESS" and payment.appointment_id != old.id and not payment.refund_eligible_paise
    new = await db.get(Appointment, payment.appointment_id)
    assert (new.status, new.starts_at, new.ends_at, new.patient_id) == ("CONFIRMED", old.starts_at, old.ends_at,
                                                                        old.patient_id)
    assert (new.fee_paise, new.source, new.booked_by_user_id, new.notes) == (old.fee_paise, "WEB_PATIENT",
                                                                             old.booked_by_user_id, "Back pain")
    assert new.hold_expires_at is None
    assert await _events(db, new.id) == [
        (None, "BOOKED", "PAYMENT", f"Re-booked: payment for appointment #{old.id} arrived after its hold was "
                                    "released"),
        ("BOOKED", "CONFIRMED", "PAYMENT", f"Payment of ₹{old.fee_paise // 100} received")]
    await db.refresh(old)
    assert old.status == "CANCELLED"


async def test_a_late_payment_for_a_taken_slot_is_due_back(db):
    world = await make_world(db)
    old, payment = await _released_hold(db, world)
    other = await make_patient(db, org=world.org)
    taken = await booking.book(
        db, organization_id=world.org.id, patient_id=other.id, clinician_id=world.clinician.id,
        centre_id=world.centre.id, mode="IN_PERSON", starts_at=world.at("10:00"), source="ADMIN",
        actor_user_id=world.admin.id, actor=Actor.STAFF)
    payment = await _settle(db, payment)

    assert payment.status == "SUCCESS" and payment.appointment_id == old.id
    assert payment.refund_eligible_paise == payment.amount_paise and "could not be re-booked" in payment.notes
    at_ten = (await db.execute(select(Appointment.id).where(
        Appointment.clinician_id == world.clinician.id, Appointment.starts_at == world.at("10:00"),
        Appointment.status != S.CANCELLED))).scalars().all()
    assert at_ten == [taken.appointment.id]
    templates = (await db.execute(select(OutboxMessage.template).where(
        OutboxMessage.appointment_id == old.id))).scalars().all()
    assert "payment_refund_due" in templates and "payment_received" not in templates


async def test_a_late_payment_for_a_slot_no_longer_offered_is_due_back(db):
    """Free of other bookings, but the clinician blocked that morning: booking.book refuses it, as it would any
    booking (the transaction stays usable: the money is recorded)."""
    world = await make_world(db)
    old, payment = await _released_hold(db, world)
    await add_exception(db, clinician=world.clinician, on=world.day, reason="Conference")
    payment = await _settle(db, payment)

    assert payment.status == "SUCCESS" and payment.refund_eligible_paise == payment.amount_paise
    assert payment.appointment_id == old.id
    assert (await db.execute(select(Appointment.id).where(
        Appointment.clinician_id == world.clinician.id, Appointment.status != S.CANCELLED))).scalars().all() == []
