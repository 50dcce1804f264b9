"""The effects of a status change or a move: registered by their owning domains, run in a documented order,
inside the caller's transaction, and never silently skipped."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clinicops.appointments import booking
from clinicops.appointments.models import Appointment, AppointmentEvent
from clinicops.errors import SlotUnavailable
from clinicops.lifecycle import Actor, change_status, effects
from clinicops.lifecycle import AppointmentStatus as S
from clinicops.lifecycle.effects import APPOINTMENT, MOVED, ORDER, EffectsNotInstalled, Registry
from clinicops.messaging.models import OutboxMessage
from clinicops.payments.models import Payment
from tests.builders.appointments import make_world
from tests.builders.messaging import make_booking


async def _outbox(db, appointment_id: int) -> list[OutboxMessage]:
    return list((await db.execute(select(OutboxMessage).where(OutboxMessage.appointment_id == appointment_id)
                                  .order_by(OutboxMessage.id))).scalars())


def test_every_event_runs_its_owners_effects_in_the_documented_order():
    """The order matters: the refund is recorded before the cancellation message; on a move the notice goes
    first (it withdraws what was queued for the old time), then the new Meet link is made."""
    def owners(event):
        return [handler.__module__ for handler in effects.handlers(APPOINTMENT, event)]

    assert effects.installed()
    assert owners(S.CONFIRMED) == ["clinicops.video.service", "clinicops.messaging.notify"]
    assert owners(S.CANCELLED) == ["clinicops.payments.refunds", "clinicops.messaging.notify"]
    assert owners(MOVED) == ["clinicops.messaging.notify", "clinicops.video.service"]
    assert owners(S.COMPLETED) == []


async def test_confirming_an_online_appointment_sends_its_link_before_the_confirmation(db):
    appointment = (await make_booking(db, status=S.BOOKED, mode="ONLINE")).appointment
    appointment.meet_link = "https://meet.google.com/abc-defg-hij"
    await change_status(db, appointment, S.CONFIRMED, actor_user_id=None, actor=Actor.PAYMENT, reason="Paid")
    assert [m.template for m in await _outbox(db, appointment.id)] == [
        "online_consultation_link", "online_consultation_link_clinician", "booking_confirmation"]


async def test_a_move_tells_the_patient_and_drops_the_old_meeting(db):
    world = await make_world(db)
    booked = await booking.book(
        db, organization_id=world.org.id, patient_id=world.patient.id, clinician_id=world.clinician.id,
        centre_id=world.centre.id, mode="ONLINE", starts_at=world.at("14:00"), source="ADMIN",
        actor_user_id=world.admin.id, actor=Actor.STAFF, status=S.CONFIRMED)
    appointment = booked.appointment
    appointment.meet_link, appointment.meet_event_id = "https://meet.google.com/old-link-xyz", "evt-old"
    await db.flush()
    moved = await booking.move(db, appointment, starts_at=world.at("15:00"), actor_user_id=world.admin.id,
                               actor=Actor.STAFF)
    assert moved.from_starts_at == world.at("14:00") and appointment.starts_at == world.at("15:00")
    assert [m.template for m in await _outbox(db, appointment.id)] == ["appointment_rescheduled"]
    assert appointment.meet_link is None and appointment.meet_event_id is None  # a new one is made by a job


async def test_the_effects_commit_and_roll_back_with_the_change(db):
    appointment = (await make_booking(db, status=S.CONFIRMED)).appointment
    payment = Payment(organization_id=appointment.organization_id, patient_id=appointment.patient_id,
                      appointment_id=appointment.id, provider="DIRECT", amount_paise=appointment.fee_paise,
                      consultation_fee_paise=appointment.fee_paise, status="SUCCESS", method="CASH")
    db.add(payment)
    await db.flush()

    savepoint = await db.begin_nested()
    await change_status(db, appointment, S.CANCELLED, actor_user_id=None, actor=Actor.STAFF, reason="Closed")
    assert payment.refund_eligible_paise == appointment.fee_paise  # the refund effect ran ...
    assert [m.template for m in await _outbox(db, appointment.id)] == ["appointment_cancelled"]  # ... and the message
    await savepoint.rollback()

    await db.refresh(appointment)
    await db.refresh(payment)
    assert appointment.status == "CONFIRMED" and payment.refund_eligible_paise is None
    assert await _outbox(db, appointment.id) == []
    events = (await db.execute(select(func.count()).select_from(AppointmentEvent).where(
        AppointmentEvent.appointment_id == appointment.id))).scalar_one()
    assert events == 0


async def test_a_failing_effect_stops_the_event_and_reaches_the_caller():
    """What raises undoes the change with the caller's transaction; later effects do not run."""
    registry = Registry({(APPOINTMENT, "CONFIRMED"): ("first", "second", "third")})
    ran: list[str] = []

    @registry.register("first")
    async def first(session, change):
        ran.append("first")

    @registry.register("second")
    async def second(session, change):
        raise RuntimeError("provider down")

    @registry.register("third")
    async def third(session, change):
        ran.append("third")

    registry.install()
    with pytest.raises(RuntimeError, match="provider down"):
        await registry.run(None, APPOINTMENT, "CONFIRMED", object())
    assert ran == ["first"]


async def test_a_forgotten_install_fails_loudly():
    registry = Registry(ORDER)
    with pytest.raises(EffectsNotInstalled, match="wiring.install"):
        await registry.run(None, APPOINTMENT, S.CONFIRMED, object())
    with pytest.raises(EffectsNotInstalled, match="wiring.install"):
        await registry.run(None, APPOINTMENT, S.COMPLETED, object())  # even an event without effects
    with pytest.raises(EffectsNotInstalled, match="messaging.confirmation"):
        registry.install()  # nothing registered: every missing effect is named


def test_effects_are_registered_once_under_a_known_name():
    registry = Registry(ORDER)

    async def handler(session, change):
        return None

    registry.register("messaging.confirmation")(handler)
    registry.register("messaging.confirmation")(handler)  # the same function again (a re-import) is harmless
    with pytest.raises(ValueError):
        registry.register("messaging.confirmation")(lambda session, change: None)
    with pytest.raises(LookupError):
        registry.register("messaging.typo")(handler)


async def test_a_change_without_effects_asked_for_none_runs_none(db):
    appointment = (await make_booking(db, status=S.BOOKED)).appointment
    await change_status(db, appointment, S.CANCELLED, actor_user_id=None, actor=Actor.SYSTEM, notify=False)
    assert appointment.status == "CANCELLED" and await _outbox(db, appointment.id) == []


async def test_a_move_in_the_past_is_refused_before_any_effect(db):
    world = await make_world(db)
    booked = await booking.book(
        db, organization_id=world.org.id, patient_id=world.patient.id, clinician_id=world.clinician.id,
        centre_id=world.centre.id, mode="IN_PERSON", starts_at=world.at("10:00"), source="ADMIN",
        actor_user_id=world.admin.id, actor=Actor.STAFF)
    with pytest.raises(SlotUnavailable):
        await booking.move(db, booked.appointment, starts_at=world.at("10:00") - timedelta(days=30),
                           actor_user_id=world.admin.id, actor=Actor.STAFF)
    assert await _outbox(db, booked.appointment.id) == []
    assert (await db.get(Appointment, booked.appointment.id)).starts_at == world.at("10:00")
