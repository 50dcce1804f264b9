"""Messages caused by appointment events: text in the centre's zone, one message per event, withdrawals."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from clinicops import lifecycle
from clinicops.kit import phones
from clinicops.kit.timezones import human, zone
from clinicops.messaging import notify
from clinicops.messaging.models import OutboxMessage
from tests.builders.messaging import make_booking
from tests.builders.organizations import make_centre, make_org


async def outbox(db, appointment_id: int) -> list[OutboxMessage]:
    rows = await db.execute(select(OutboxMessage).where(OutboxMessage.appointment_id == appointment_id)
                            .order_by(OutboxMessage.id).execution_options(populate_existing=True))
    return list(rows.scalars())


async def test_confirmation_is_in_the_centres_zone_and_sent_once(db):
    org = await make_org(db)
    centre = await make_centre(db, org=org, name="Kochi Centre", city="kochi", timezone="Asia/Dubai")
    starts_at = datetime(2030, 3, 4, 6, 30, tzinfo=zone("UTC"))
    booking = await make_booking(db, org=org, centre=centre, status="BOOKED", starts_at=starts_at)
    await lifecycle.change_status(db, booking.appointment, "CONFIRMED", actor_user_id=None, actor="PAYMENT")
    await notify.appointment_confirmed(db, booking.appointment)  # a retried caller: still one message
    rows = await outbox(db, booking.appointment.id)
    assert [r.template for r in rows] == ["booking_confirmation"]
    message = rows[0]
    assert message.recipient == booking.patient.phone and message.patient_id == booking.patient.id
    assert message.organization_id == org.id
    assert message.params["when"] == "4 Mar 2030, 10:30 am" == human(starts_at, zone("Asia/Dubai"))
    assert "Dr. Meera Iyer" in message.body and "Kochi Centre" in message.body and "10:30 am" in message.body


async def test_cancellation_carries_the_reason_and_withdraws_queued_reminders(db):
    booking = await make_booking(db)
    appointment = booking.appointment
    from clinicops.messaging import reminders

    await reminders.queue_reminder(db, appointment.id, reminders.KINDS[0])
    await lifecycle.change_status(db, appointment, "CANCELLED", actor_user_id=None, reason="Doctor on leave")
    rows = {r.template: r for r in await outbox(db, appointment.id)}
    assert rows["appointment_reminder"].status == "FAILED"
    assert rows["appointment_reminder"].last_error == "appointment cancelled"
    assert rows["appointment_cancelled"].status == "QUEUED"
    assert rows["appointment_cancelled"].body.endswith("Reason: Doctor on leave")


async def test_reschedule_payment_and_receipt_messages(db):
    booking = await make_booking(db)
    old = booking.appointment
    new = (await make_booking(db, org=booking.org, centre=booking.centre,
                              starts_at=old.starts_at + timedelta(days=1))).appointment
    await notify.appointment_rescheduled(db, old, new)
    await notify.payment_request(db, new, link_url="https://rzp.io/l/abc", amount_paise=1600_50)
    await notify.payment_request(db, new, link_url="https://rzp.io/l/abc", amount_paise=1600_50)
    await notify.payment_received(db, new, amount_paise=1600_00)
    rows = await outbox(db, new.id)
    assert [r.template for r in rows] == ["appointment_rescheduled", "payment_request", "payment_received"]
    tz = zone(booking.centre.timezone)
    assert rows[0].params["old_when"] == human(old.starts_at, tz) and rows[0].params["when"] == human(new.starts_at, tz)
    assert "Rs. 1600.50" in rows[1].body and "https://rzp.io/l/abc" in rows[1].body
    assert "Rs. 1600 " in rows[2].body


async def test_online_link_goes_to_patient_and_clinician_once_per_link(db):
    booking = await make_booking(db, mode="ONLINE")
    appointment = booking.appointment
    appointment.meet_link = "https://meet.clinicops.invalid/abc-defg-hij"
    await db.flush()
    await notify.online_link_ready(db, appointment)
    await notify.online_link_ready(db, appointment)
    rows = await outbox(db, appointment.id)
    assert sorted((r.template, r.recipient) for r in rows) == sorted([
        ("online_consultation_link", booking.patient.phone),
        ("online_consultation_link_clinician", booking.clinician_user.phone)])
    assert all(appointment.meet_link in r.body for r in rows)
    appointment.meet_link = "https://meet.google.com/xyz-abcd-efg"
    await db.flush()
    await notify.online_link_ready(db, appointment)
    assert len(await outbox(db, appointment.id)) == 4
    assert phones.wire(booking.patient.phone).startswith("91")
