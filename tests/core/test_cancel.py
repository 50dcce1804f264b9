"""Cancelling, called directly: by staff (``appointments.service.cancel``) and by the patient
(``appointments.portal.cancel``). The patient's free-cancellation window and the refund rule are each
organization's own (``free_cancellation_hours``: 24 at A, 6 at B); the refund and the cancellation message are
written in the cancel's own transaction; a refused cancel writes nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest

from clinicops.appointments import portal
from clinicops.appointments import service as appointments
from clinicops.appointments.exceptions import AppointmentNotFound, CancellationWindowClosed
from clinicops.db import unit_of_work
from clinicops.errors import InvalidTransition
from clinicops.kit.timezones import utcnow
from clinicops.lifecycle import Actor, change_status
from clinicops.lifecycle import AppointmentStatus as S
from tests.builders.patients import make_appointment, make_payment
from tests.core.world import events, outbox, payments_of, reload, templates


async def _paid(db, world, side, *, hours_ahead: float, status: str = S.CONFIRMED, patient=None):
    """An appointment of ``patient`` (default: the shared one) ``hours_ahead`` from now, paid with the
    organization's registration fee (written directly: the booking rules are tests/core/test_book.py's)."""
    fee = side.clinician.consultation_fee_paise
    appointment = await make_appointment(
        db, centre=side.centre, clinician=side.clinician, patient=patient or world.shared, status=status,
        starts_at=utcnow().replace(microsecond=0) + timedelta(hours=hours_ahead), fee_paise=fee)
    payment = await make_payment(db, patient=patient or world.shared, appointment=appointment,
                                 amount_paise=fee + side.org.registration_fee_paise, consultation_fee_paise=fee,
                                 registration_fee_paise=side.org.registration_fee_paise)
    return appointment, payment


async def _unchanged(db, appointment, payment, status: str = S.CONFIRMED) -> None:
    assert (await reload(db, appointment)).status == status and appointment.cancelled_at is None
    assert await events(db, appointment.id) == []
    assert await outbox(db, appointment.id) == []
    assert (await reload(db, payment)).refund_eligible_paise is None


async def test_a_staff_cancel_writes_its_refund_and_message_in_its_own_transaction(db, world):
    b = world.b
    appointment, payment = await _paid(db, world, b, hours_ahead=2)  # inside any window: staff always refund

    with pytest.raises(RuntimeError):
        async with unit_of_work() as session:
            view = await appointments.cancel(session, b.admin_principal, appointment.id, reason="Clinic closed")
            assert view.appointment.status == "CANCELLED"
            assert await templates(session, appointment.id) == ["appointment_cancelled"]
            assert (await payments_of(session, appointment.id))[0].refund_eligible_paise == 900_00
            raise RuntimeError("the request fails before its commit")
    await _unchanged(db, appointment, payment)  # the refund and the message went with the cancel

    async with unit_of_work() as session:
        await appointments.cancel(session, b.admin_principal, appointment.id, reason="Clinic closed")
    await reload(db, appointment)
    assert (appointment.status, appointment.cancellation_reason, appointment.cancelled_by_user_id) == (
        "CANCELLED", "Clinic closed", b.admin.id)
    assert await events(db, appointment.id) == [("CONFIRMED", "CANCELLED", "STAFF", "Clinic closed")]
    await reload(db, payment)
    assert payment.refund_eligible_paise == 900_00  # the consultation fee; B's registration fee stays paid
    assert payment.notes == "Appointment cancelled: ₹900 consultation fee refundable"
    [message] = await outbox(db, appointment.id)
    assert (message.template, message.organization_id, message.recipient, message.params["reason"]) == (
        "appointment_cancelled", b.org.id, world.shared.phone, "Clinic closed")


async def test_the_patients_window_is_each_organizations_own(db, world):
    a, b = world.a, world.b
    patient = world.patient()
    at_a, paid_a = await _paid(db, world, a, hours_ahead=12)
    at_b, paid_b = await _paid(db, world, b, hours_ahead=12)

    with pytest.raises(CancellationWindowClosed) as refused:
        await portal.cancel(db, patient, at_a.id, organization_id=a.org.id)
    assert refused.value.message.startswith("Appointments cannot be cancelled online within 24 hours")
    await _unchanged(db, at_a, paid_a)

    view = await portal.cancel(db, patient, at_b.id, organization_id=b.org.id, reason="Travelling")
    assert view.appointment.status == "CANCELLED"
    assert await events(db, at_b.id) == [("CONFIRMED", "CANCELLED", "PATIENT", "Travelling")]
    assert (await reload(db, paid_b)).refund_eligible_paise == 900_00
    assert await templates(db, at_b.id) == ["appointment_cancelled"]

    ahead, paid_ahead = await _paid(db, world, a, hours_ahead=30)
    await portal.cancel(db, patient, ahead.id, organization_id=a.org.id)
    assert (await reload(db, paid_ahead)).refund_eligible_paise == 1500_00
    assert await events(db, ahead.id) == [("CONFIRMED", "CANCELLED", "PATIENT", "Cancelled by patient")]


REFUSED = {
    # name: (whose appointment, hours ahead, its status, the cancel, the error)
    "staff of the other organization": (
        "b", 48, S.CONFIRMED, lambda db, world, id: appointments.cancel(db, world.a.admin_principal, id, reason=None),
        AppointmentNotFound),
    "a desk outside its centre": (
        "b", 48, S.CONFIRMED, lambda db, world, id: appointments.cancel(db, world.a.desk_principal, id, reason=None),
        AppointmentNotFound),
    "a finished appointment": (
        "b", -2, S.COMPLETED, lambda db, world, id: appointments.cancel(db, world.b.admin_principal, id, reason=None),
        InvalidTransition),
    "the patient, acting in the other organization": (
        "b", 48, S.CONFIRMED, lambda db, world, id: portal.cancel(db, world.patient(), id,
                                                                  organization_id=world.a.org.id),
        AppointmentNotFound),
    "another patient": (
        "a", 48, S.CONFIRMED, lambda db, world, id: portal.cancel(db, world.patient(world.only_a), id,
                                                                  organization_id=world.a.org.id),
        AppointmentNotFound),
    "the patient, inside B's six hours": (
        "b", 3, S.CONFIRMED, lambda db, world, id: portal.cancel(db, world.patient(), id,
                                                                 organization_id=world.b.org.id),
        CancellationWindowClosed),
}


@pytest.mark.parametrize("case", list(REFUSED))
async def test_a_refused_cancel_writes_nothing(db, world, case):
    side, hours, status, cancel, error = REFUSED[case]
    appointment, payment = await _paid(db, world, getattr(world, side), hours_ahead=hours, status=status)
    with pytest.raises(error):
        await cancel(db, world, appointment.id)
    await _unchanged(db, appointment, payment, status)


REFUNDS = [
    # (organization, hours ahead, who cancels, consultation fee refunded)
    ("a", 12, "patient", False),  # inside A's 24 hours
    ("b", 12, "patient", True),  # outside B's 6 hours: the same lead time is free at B
    ("b", 3, "patient", False),
    ("a", 30, "patient", True),
    ("a", 3, "staff", True),  # staff and the system always give the fee back
    ("b", 3, "system", True),
]


@pytest.mark.parametrize("side, hours, who, refunded", REFUNDS)
async def test_the_refund_rule_is_the_appointments_organizations(db, world, side, hours, who, refunded):
    org_side = getattr(world, side)
    appointment, payment = await _paid(db, world, org_side, hours_ahead=hours)
    actor_user_id, actor = {"patient": (world.shared_user.id, Actor.PATIENT),
                            "staff": (org_side.admin.id, Actor.STAFF), "system": (None, Actor.SYSTEM)}[who]
    await change_status(db, appointment, S.CANCELLED, actor_user_id=actor_user_id, actor=actor, reason="Cancelled")
    await reload(db, payment)
    fee = org_side.clinician.consultation_fee_paise
    assert payment.refund_eligible_paise == (fee if refunded else 0)
    hours_rule = org_side.org.free_cancellation_hours
    assert payment.notes == (f"Appointment cancelled: ₹{fee // 100} consultation fee refundable" if refunded else
                             f"Appointment cancelled by the patient within {hours_rule} hours: "
                             "consultation fee not refundable")
    assert [m.template for m in await outbox(db, appointment.id)] == ["appointment_cancelled"]

