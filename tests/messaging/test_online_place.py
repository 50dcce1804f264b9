"""Where an appointment takes place, in every message about it: an ONLINE appointment is "online (Google Meet)" and
never names a centre (name or address); an IN_PERSON one names its centre.

Driven through the real endpoints (book, pay at the desk, reschedule, cancel, block), so the messages are the ones
the use cases actually queue.
"""

from __future__ import annotations

from sqlalchemy import select

from clinicops.messaging import reminders
from clinicops.messaging.models import OutboxMessage
from clinicops.messaging.notify import ONLINE_PLACE, place_of
from clinicops.messaging.templates import TEMPLATES
from tests.builders.appointments import book_as_staff, make_world
from tests.builders.people import bearer

CENTRE_NAME = "Indiranagar Wellness Centre"
TEMPLATES_WITH_A_PLACE = ("booking_confirmation", "appointment_reminder", "appointment_rescheduled",
                          "appointment_cancelled", "slot_blocked")


async def _world(db):
    world = await make_world(db)
    world.centre.name, world.centre.address_line1 = CENTRE_NAME, "12 Sarjapur Road"
    await db.flush()
    return world


async def _messages(db, patient_id: int) -> dict[str, OutboxMessage]:
    rows = await db.execute(select(OutboxMessage).where(OutboxMessage.patient_id == patient_id)
                            .order_by(OutboxMessage.id).execution_options(populate_existing=True))
    return {row.template: row for row in rows.scalars()}


async def _live_through_every_message(client, db, world, *, mode: str, first: str, moved_to: str
                                      ) -> dict[str, OutboxMessage]:
    """Book (staff), pay at the desk (confirmation), remind, reschedule, cancel; then block a second booking."""
    staff = bearer(world.admin)
    booked = await book_as_staff(client, world, world.admin, world.at(first), appointment_type=mode)
    paid = await client.post(f"/api/appointments/{booked['id']}/confirm-direct-payment", headers=staff,
                             json={"paymentMethod": "CASH"})
    assert paid.status_code == 200, paid.text
    await reminders.queue_reminder(db, booked["id"], reminders.KINDS[0])
    moved = await client.post(f"/api/appointments/{booked['id']}/reschedule", headers=staff,
                              json={"scheduled_start_at": world.at(moved_to).isoformat()})
    assert moved.status_code == 200, moved.text
    cancelled = await client.delete(f"/api/appointments/{moved.json()['data']['id']}", headers=staff)
    assert cancelled.status_code == 200, cancelled.text

    blocked = await book_as_staff(client, world, world.admin, world.at(first), appointment_type=mode)
    block = await client.post("/api/admin/slots/block", headers=staff, json={
        "clinicianId": world.clinician.id, "centreId": world.centre.id, "date": world.day.isoformat(),
        "startTime": first, "endTime": moved_to, "reason": "Training"})
    assert block.status_code == 201, block.text
    assert blocked["id"] in [a["id"] for a in block.json()["data"]["affectedAppointments"]]
    messages = await _messages(db, world.patient.id)
    assert set(TEMPLATES_WITH_A_PLACE) <= set(messages), sorted(messages)
    return messages


async def test_online_messages_say_online_and_never_name_the_centre(client, db):
    world = await _world(db)
    messages = await _live_through_every_message(client, db, world, mode="ONLINE", first="14:00",
                                                 moved_to="15:00")
    for template in TEMPLATES_WITH_A_PLACE:
        row = messages[template]
        assert ONLINE_PLACE in row.body, (template, row.body)
        for text in (CENTRE_NAME, "Indiranagar", "Sarjapur"):
            assert text not in row.body, (template, row.body)
            assert text not in str(row.params), (template, row.params)  # what a provider template is sent


async def test_in_person_messages_still_name_the_centre(client, db):
    world = await _world(db)
    messages = await _live_through_every_message(client, db, world, mode="IN_PERSON", first="10:00",
                                                 moved_to="11:00")
    for template in TEMPLATES_WITH_A_PLACE:
        row = messages[template]
        assert f"at {CENTRE_NAME}" in row.body and row.params["place"] == f"at {CENTRE_NAME}", (template, row.body)
        assert "online" not in row.body.lower(), (template, row.body)


def test_every_template_about_an_appointments_place_takes_place_not_centre():
    for template in TEMPLATES_WITH_A_PLACE:
        assert "{place}" in TEMPLATES[template] and "{centre}" not in TEMPLATES[template], template
    assert place_of("ONLINE", CENTRE_NAME) == "online (Google Meet)"
    assert place_of("ONLINE", CENTRE_NAME, "https://meet.google.com/abc-defg-hij") == (
        "online (Google Meet): https://meet.google.com/abc-defg-hij")
    assert place_of("IN_PERSON", CENTRE_NAME) == f"at {CENTRE_NAME}"
