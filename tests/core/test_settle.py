"""Settling a payment, called directly: ``settlement.settle_paid`` and the use cases that reach it (checkout verify,
the webhook job, the desk). The money is recorded once and the appointment confirmed once, however often it is
reported; each organization charges its own one-time registration fee; a second payment for one appointment is due
back; a late payment books the slot again through booking.book or is due back. (The late payment's re-booking
itself, a taken slot and a blocked one are in tests/lifecycle/test_late_payment.py.)"""
from __future__ import annotations

import asyncio
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from clinicops.appointments import booking, holds
from clinicops.appointments.models import Appointment
from clinicops.config import get_settings
from clinicops.db import unit_of_work
from clinicops.kit.timezones import utcnow
from clinicops.lifecycle import Actor, change_status
from clinicops.lifecycle import AppointmentStatus as S
from clinicops.payments import checkout, settlement, simulate
from clinicops.payments import service as payments
from clinicops.payments.models import Payment, WebhookEvent
from tests.builders.payments import rzp_hmac
from tests.core import world as w
from tests.core.world import events, payments_of, registration, reload, templates


async def _hold(db, world, side, hhmm: str = "10:00", patient=None) -> Appointment:
    booked = await booking.book_as_patient(db, world.patient(patient), organization_id=side.org.id,
                                           clinician_id=side.clinician.id, centre_id=side.centre.id,
                                           mode="IN_PERSON", day=side.day, at=time.fromisoformat(hhmm))
    return booked.appointment


async def _verify(db, world, side, order: checkout.Order, payment_id: str):
    signature = rzp_hmac(get_settings().razorpay_key_secret, f"{order.payment.order_id}|{payment_id}")
    return await checkout.verify(db, world.patient(), appointment_id=order.appointment.id, organization_id=side.org.id,
                                 order_id=order.payment.order_id or "", payment_id=payment_id, signature=signature)


async def _settle(db, payment: Payment, provider_payment_id: str = "pay_CORE00000001") -> bool:
    payment, appointment = await settlement.lock(db, payment)
    return await settlement.settle_paid(db, payment, appointment, provider_payment_id=provider_payment_id,
                                        method="UPI")


def _open_order(appointment: Appointment, *, amount: int, registration_fee: int = 0, **fields) -> Payment:
    return Payment(organization_id=appointment.organization_id, patient_id=appointment.patient_id,
                   appointment_id=appointment.id, provider="offline", amount_paise=amount,
                   consultation_fee_paise=amount - registration_fee, registration_fee_paise=registration_fee,
                   status="CREATED", **fields)


async def test_money_reported_by_checkout_and_by_webhooks_settles_and_confirms_once(db, world, run_jobs):
    b = world.b
    held = await _hold(db, world, b)
    order = await checkout.create_order(db, world.patient(), appointment_id=held.id, organization_id=b.org.id)
    assert (order.payment.amount_paise, order.payment.consultation_fee_paise,
            order.payment.registration_fee_paise) == (900_00 + 250_00, 900_00, 250_00)  # B's fees, not A's
    async with unit_of_work() as session:  # the patient pays: Razorpay sends payment.captured and order.paid
        handoff = await simulate.checkout(session, order_id=order.payment.order_id or "")

    paid = await checkout.verify(db, world.patient(), appointment_id=held.id, organization_id=b.org.id,
                                 order_id=handoff.order_id, payment_id=handoff.payment_id,
                                 signature=handoff.signature)
    assert (paid.payment.status, paid.payment.payment_id, paid.payment.method) == (
        "SUCCESS", handoff.payment_id, "RAZORPAY")
    assert paid.appointment.id == held.id and paid.appointment.status == "CONFIRMED"
    assert paid.appointment.hold_expires_at is None
    await run_jobs()  # both webhooks applied: the money is already recorded
    stored = (await db.execute(select(WebhookEvent).execution_options(populate_existing=True))).scalars().all()
    assert len(stored) == 2 and all(e.processed_at is not None and e.error is None for e in stored)
    assert not await _settle(db, paid.payment, handoff.payment_id)  # and once more, directly

    payment = (await payments_of(db, held.id))[0]
    assert (payment.status, payment.refund_eligible_paise, payment.method) == ("SUCCESS", None, "RAZORPAY")
    assert await events(db, held.id) == [(None, "BOOKED", "PATIENT", "Booked"),
                                         ("BOOKED", "CONFIRMED", "PAYMENT", "Payment of ₹1150 received")]
    assert sorted(await templates(db, held.id)) == ["booking_confirmation", "payment_received"]
    assert (await registration(db, b.org, world.shared)).registration_fee_paid
    assert not (await registration(db, world.a.org, world.shared)).registration_fee_paid


async def test_each_organization_charges_its_own_registration_fee_once(db, world):
    a, b = world.a, world.b
    first_a, first_b = await _hold(db, world, a), await _hold(db, world, b)
    assert await payments.fees_due(db, first_a) == (1500_00, 100_00)
    assert await payments.fees_due(db, first_b) == (900_00, 250_00)

    at_a = await checkout.confirm_direct(db, a.desk_principal, appointment_id=first_a.id, method="CASH", notes=None)
    assert (at_a.payment.amount_paise, at_a.payment.registration_fee_paise) == (1600_00, 100_00)
    assert at_a.appointment.status == "CONFIRMED"
    assert (await registration(db, a.org, world.shared)).registration_fee_paid
    assert not (await registration(db, b.org, world.shared)).registration_fee_paid

    second_a = await _hold(db, world, a, "11:00")
    assert await payments.fees_due(db, second_a) == (1500_00, 0)  # paid once at A ...
    assert await payments.fees_due(db, first_b) == (900_00, 250_00)  # ... which pays nothing at B
    at_b = await checkout.confirm_direct(db, b.desk_principal, appointment_id=first_b.id, method="UPI", notes=None)
    assert (at_b.payment.amount_paise, at_b.payment.registration_fee_paise) == (1150_00, 250_00)
    assert (await registration(db, b.org, world.shared)).registration_fee_paid
    assert await payments.fees_due(db, await _hold(db, world, b, "11:00")) == (900_00, 0)


async def test_a_registration_fee_charged_by_two_open_orders_is_given_back_once(db, world):
    b = world.b
    first, second = await _hold(db, world, b, "10:00"), await _hold(db, world, b, "11:00")
    orders = [await checkout.create_order(db, world.patient(), appointment_id=held.id, organization_id=b.org.id)
              for held in (first, second)]
    assert [o.payment.registration_fee_paise for o in orders] == [250_00, 250_00]  # neither paid yet

    for order, payment_id in zip(orders, ("pay_TWOFEES00001", "pay_TWOFEES00002")):
        result = await _verify(db, world, b, order, payment_id)
        assert result.appointment.status == "CONFIRMED"
    kept, given_back = [(await payments_of(db, held.id))[0] for held in (first, second)]
    assert kept.refund_eligible_paise is None
    assert given_back.refund_eligible_paise == 250_00
    assert given_back.notes == "Registration fee was already paid; it is refundable"


async def test_a_second_payment_for_a_paid_appointment_is_due_back_in_full(db, world):
    a = world.a
    held = await _hold(db, world, a)
    order = _open_order(held, amount=1600_00, registration_fee=100_00, order_id="order_DUP0000000001")
    link = _open_order(held, amount=1500_00, link_id="plink_DUP00000001")  # a link sent by the desk, paid too
    db.add_all([order, link])
    await db.flush()

    assert await _settle(db, order, "pay_DUP00000001")
    reg = await registration(db, a.org, world.shared)
    paid_at = reg.registration_fee_paid_at
    assert await _settle(db, link, "pay_DUP00000002")
    await reload(db, link)
    assert (link.status, link.refund_eligible_paise) == ("SUCCESS", 1500_00)
    assert link.notes == "Duplicate payment: the appointment was already paid; refund due in full"
    assert (await reload(db, order)).refund_eligible_paise is None
    assert (await registration(db, a.org, world.shared)).registration_fee_paid_at == paid_at
    assert [e[1] for e in await events(db, held.id)] == ["BOOKED", "CONFIRMED"]
    assert sorted(await templates(db, held.id)) == ["booking_confirmation", "payment_received"]  # one receipt
    assert not await _settle(db, link, "pay_DUP00000002")


async def _released(db, world, side) -> tuple[Appointment, Payment]:
    """A web booking with an open order, whose hold lapsed and was released by the job's rule."""
    held = await _hold(db, world, side)
    order = _open_order(held, amount=held.fee_paise, order_id=f"order_LATE{held.id:09d}")
    db.add(order)
    held.hold_expires_at = utcnow() - timedelta(minutes=1)
    await db.flush()
    assert await holds.release_expired(db, clinician_id=side.clinician.id) == [held.id]
    return held, order


async def test_a_late_payment_books_again_in_the_appointments_own_organization(db, world):
    b = world.b
    old, order = await _released(db, world, b)
    assert await _settle(db, order)
    await reload(db, order)
    new = await db.get(Appointment, order.appointment_id)
    assert new.id != old.id and order.refund_eligible_paise is None
    assert (new.organization_id, new.centre_id, new.clinician_id, new.starts_at, new.fee_paise, new.status) == (
        b.org.id, b.centre.id, b.clinician.id, b.at("10:00"), 900_00, "CONFIRMED")
    assert [e[:3] for e in await events(db, new.id)] == [(None, "BOOKED", "PAYMENT"),
                                                         ("BOOKED", "CONFIRMED", "PAYMENT")]
    assert sorted(await templates(db, new.id)) == ["booking_confirmation", "payment_received"]


async def test_a_late_payment_for_an_appointment_cancelled_by_a_person_is_due_back(db, world):
    """Only a hold released by its clock is booked again: a cancellation someone made is respected."""
    a = world.a
    held = await _hold(db, world, a)
    order = _open_order(held, amount=held.fee_paise, order_id="order_CANCELLED001")
    db.add(order)
    await db.flush()
    await change_status(db, held, S.CANCELLED, actor_user_id=a.admin.id, actor=Actor.STAFF, reason="Doctor away")
    assert await _settle(db, order)
    await reload(db, order)
    assert (order.status, order.appointment_id, order.refund_eligible_paise) == ("SUCCESS", held.id, held.fee_paise)
    assert "could not be re-booked" in order.notes
    assert (await reload(db, held)).status == "CANCELLED"
    assert (await db.execute(select(Appointment.id).where(Appointment.clinician_id == a.clinician.id))
            ).scalars().all() == [held.id]
    assert "payment_refund_due" in await templates(db, held.id)
    assert "payment_received" not in await templates(db, held.id)


async def test_a_late_payment_after_the_start_is_due_back(db, world):
    a = world.a
    old, order = await _released(db, world, a)
    old.starts_at, old.ends_at = utcnow() - timedelta(hours=2), utcnow() - timedelta(hours=1, minutes=30)
    await db.flush()
    assert await _settle(db, order)
    await reload(db, order)
    assert (order.appointment_id, order.refund_eligible_paise) == (old.id, old.fee_paise)
    assert (await db.execute(select(Appointment.id).where(Appointment.clinician_id == a.clinician.id))
            ).scalars().all() == [old.id]


async def _settle_each_concurrently(factory, payments: list[Payment]) -> list[bool]:
    async def settle(payment: Payment, n: int) -> bool:
        async with factory() as session:
            settled = await _settle(session, payment, f"pay_RACE{n:010d}")
            await session.commit()
            return settled

    return list(await asyncio.gather(*(settle(p, n) for n, p in enumerate(payments))))


async def test_two_payments_for_one_appointment_settling_at_once_confirm_it_once(committed):
    factory, _client = committed
    async with factory() as session:
        world = await w.build(session)
        held = await _hold(session, world, world.b)
        pair = [_open_order(held, amount=1150_00, registration_fee=250_00, order_id=f"order_PAIR{n}")
                for n in range(2)]
        session.add_all(pair)
        await session.commit()

    assert await _settle_each_concurrently(factory, pair) == [True, True]
    async with factory() as session:
        settled = await payments_of(session, held.id)
        assert [p.status for p in settled] == ["SUCCESS", "SUCCESS"]
        assert sorted(p.refund_eligible_paise or 0 for p in settled) == [0, 1150_00]  # one is due back in full
        assert [e[1] for e in await events(session, held.id)] == ["BOOKED", "CONFIRMED"]
        assert (await templates(session, held.id)).count("payment_received") == 1


async def test_two_orders_carrying_the_registration_fee_settling_at_once_charge_it_once(committed):
    factory, _client = committed
    async with factory() as session:
        world = await w.build(session)
        holds_ = [await _hold(session, world, world.a, hhmm) for hhmm in ("10:00", "11:00")]
        orders = [_open_order(held, amount=1600_00, registration_fee=100_00, order_id=f"order_FEE{held.id}")
                  for held in holds_]
        session.add_all(orders)
        await session.commit()

    assert await _settle_each_concurrently(factory, orders) == [True, True]
    async with factory() as session:
        settled = [(await payments_of(session, held.id))[0] for held in holds_]
        assert sorted(p.refund_eligible_paise or 0 for p in settled) == [0, 100_00]
        assert (await registration(session, world.a.org, world.shared)).registration_fee_paid
        assert [(await session.get(Appointment, held.id)).status for held in holds_] == ["CONFIRMED"] * 2


async def test_a_second_late_payment_for_a_released_hold_is_due_back_not_booked_twice(db, world):
    """Two orders were open for one hold (a checkout and a link); both are paid after the hold was released: the
    first books the slot again, the second finds it taken (by the same patient) and is due back in full."""
    a = world.a
    old, order = await _released(db, world, a)
    link = _open_order(old, amount=old.fee_paise, link_id="plink_LATE0000001")
    db.add(link)
    await db.flush()
    assert await _settle(db, order, "pay_LATE00000001")
    assert await _settle(db, link, "pay_LATE00000002")
    await reload(db, order)
    await reload(db, link)
    assert order.appointment_id != old.id and order.refund_eligible_paise is None
    assert (link.appointment_id, link.refund_eligible_paise) == (old.id, link.amount_paise)
    rows = (await db.execute(select(Appointment).where(Appointment.clinician_id == a.clinician.id)
                             .order_by(Appointment.id))).scalars().all()
    assert [(r.id, r.status) for r in rows] == [(old.id, "CANCELLED"), (order.appointment_id, "CONFIRMED")]


@pytest.mark.parametrize("why", ["slot taken meanwhile", "cancelled by staff"])
async def test_a_payment_due_back_in_full_does_not_pay_the_registration_fee(db, world, why):
    """Money that goes back in full pays for nothing: the registration fee it carried is still owed.

    A late payment that cannot be re-booked is due back in full, registration fee included (docs/payments.md,
    "Late payment"); the registration must then stay unpaid, or the patient, once refunded, is never charged
    the organization's one-time fee. (A duplicate payment already works this way: it is refused before the fee is
    recorded.)"""
    b = world.b
    held = await _hold(db, world, b)
    order = (await checkout.create_order(db, world.patient(), appointment_id=held.id,
                                         organization_id=b.org.id)).payment
    assert order.registration_fee_paise == 250_00
    if why == "slot taken meanwhile":
        held.hold_expires_at = utcnow() - timedelta(minutes=1)
        await db.flush()
        assert await holds.release_expired(db, clinician_id=b.clinician.id) == [held.id]
        await booking.book(db, organization_id=b.org.id, patient_id=world.only_a.id, clinician_id=b.clinician.id,
                           centre_id=b.centre.id, mode="IN_PERSON", starts_at=b.at("10:00"), source="ADMIN",
                           actor_user_id=b.admin.id, actor=Actor.STAFF)
    else:
        await change_status(db, held, S.CANCELLED, actor_user_id=b.admin.id, actor=Actor.STAFF, reason="Closed")

    assert await _settle(db, order)
    await reload(db, order)
    assert (order.status, order.refund_eligible_paise) == ("SUCCESS", order.amount_paise)  # all of it goes back
    assert await payments.registration_fee_due(db, organization_id=b.org.id, patient_id=world.shared.id) == 250_00
    assert not (await registration(db, b.org, world.shared)).registration_fee_paid
