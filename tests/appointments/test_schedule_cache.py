"""The public slot reads come from a per-process schedule cache while the change feed listens. Two caches, each
with its own feed, play two API processes, over two organizations, two centres and two doctors: whatever changes
a slot (an appointment, a block, a weekly rule, a payment of a hold, a centre's zone), written by either process
or by plain SQL behind both, is in the other's next answer once its notification has arrived; an unpaid hold
frees its slot at its lapse without any write; and nothing is answered from memory while a feed is not
listening."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import event, text

from clinicops.appointments import slots
from clinicops.appointments.schedule_cache import ScheduleCache
from clinicops.errors import NotFound
from clinicops.kit.timezones import utcnow
from clinicops.organizations.keys import OrganizationKey
from tests.builders.availability import at, future_weekday, make_appointment, make_exception
from tests.builders.clinicians import add_rule, make_clinician
from tests.builders.feeds import caught_up, running_feeds
from tests.builders.organizations import make_centre, make_org
from tests.builders.patients import make_payment
from tests.builders.people import make_patient

MONDAY = 1


@pytest.fixture
async def feeds(database_url):
    async with running_feeds(database_url, 2) as found:
        yield found


class World:
    """Organization ``one`` with centres ``lake`` and ``hill`` and doctors ``first`` (both centres) and ``second``
    (lake); organization ``other`` with its own doctor at its own centre."""


@pytest.fixture
async def world(committed):
    factory, _client = committed
    w = World()
    async with factory() as session, session.begin():
        w.org = await make_org(session, slug="slots-cache-one")
        w.other_org = await make_org(session, slug="slots-cache-two")
        w.lake = await make_centre(session, org=w.org, name="Lake Centre")
        w.hill = await make_centre(session, org=w.org, name="Hill Centre")
        w.other_centre = await make_centre(session, org=w.other_org, name="Other Centre")
        w.first = await make_clinician(session, org=w.org, centre=w.lake, full_name="Dr. First",
                                       weekdays=(MONDAY,), start=time(9), end=time(11))
        await add_rule(session, clinician=w.first, centre=w.hill, weekday=MONDAY, start=time(14), end=time(15))
        w.second = await make_clinician(session, org=w.org, centre=w.lake, full_name="Dr. Second",
                                        weekdays=(MONDAY,), start=time(9), end=time(11))
        w.stranger = await make_clinician(session, org=w.other_org, centre=w.other_centre, full_name="Dr. Other",
                                          weekdays=(MONDAY,), start=time(9), end=time(11))
        w.patient = await make_patient(session, org=w.org)
    w.day = future_weekday(w.lake, MONDAY)
    w.factory = factory
    return w


def schedule_reads(engine):
    """The schedule statements sent while the block runs (a cache hit sends none)."""
    sent: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if "FROM availability_rules" in statement:
            sent.append(statement)
    return sent, count


@pytest.fixture
def reads(engine):
    sent, count = schedule_reads(engine)
    event.listen(engine.sync_engine, "before_cursor_execute", count)
    yield sent
    event.remove(engine.sync_engine, "before_cursor_execute", count)


async def day(w, cache, clinician=None, centre=None, org=None, now=None) -> dict[str, bool]:
    org = org or w.org
    async with w.factory() as session:
        view = await slots.public_day(session, organization=OrganizationKey(slug=org.slug),
                                      clinician_id=(clinician or w.first).id, centre_id=(centre or w.lake).id,
                                      day=w.day, mode=None, cache=cache, now=now)
    return {view.clock.hm(s.start): s.available for s in view.slots}


async def write(w, sql: str, **params) -> None:
    async with w.factory() as session, session.begin():
        await session.execute(text(sql), params)


async def test_a_booking_behind_both_processes_is_in_the_next_answer(world, feeds, reads):
    w = world
    one, two = ScheduleCache(feeds[0]), ScheduleCache(feeds[1])
    free = {"09:00": True, "09:30": True, "10:00": True, "10:30": True}
    assert await day(w, one) == free
    assert await day(w, two) == free
    assert await day(w, two) == free
    assert len(reads) == 2  # the third answer came from memory
    assert two.hits == 1

    async with w.factory() as session, session.begin():
        await make_appointment(session, clinician=w.first, centre=w.lake, patient=w.patient, day=w.day,
                               start=time(10), status="CONFIRMED")
    await caught_up(w.factory, *feeds)
    assert await day(w, one) == {**free, "10:00": False}
    assert await day(w, two) == {**free, "10:00": False}

    await write(w, "UPDATE appointments SET status = 'CANCELLED' WHERE clinician_id = :c", c=w.first.id)
    await caught_up(w.factory, *feeds)
    assert await day(w, two) == free


async def test_only_the_changed_doctors_entries_are_dropped(world, feeds, reads):
    w = world
    cache = ScheduleCache(feeds[0])
    await day(w, cache, clinician=w.first)
    await day(w, cache, clinician=w.first, centre=w.hill)
    await day(w, cache, clinician=w.second)
    assert len(cache) == 3
    async with w.factory() as session, session.begin():
        await make_appointment(session, clinician=w.second, centre=w.lake, patient=w.patient, day=w.day,
                               start=time(9), status="CONFIRMED")
    await caught_up(w.factory, *feeds)
    assert len(cache) == 2  # the second doctor's day is gone, the first doctor's two stay
    before = len(reads)
    assert (await day(w, cache, clinician=w.second))["09:00"] is False
    assert await day(w, cache, clinician=w.first, centre=w.hill) == {"14:00": True, "14:30": True}
    assert len(reads) == before + 1


async def test_organizations_never_share_entries(world, feeds):
    w = world
    cache = ScheduleCache(feeds[0])
    assert await day(w, cache, org=w.other_org, clinician=w.stranger, centre=w.other_centre)
    # the other organization's doctor asked for through this organization: not found, cached or not
    for _ in range(2):
        with pytest.raises(NotFound):
            await day(w, cache, clinician=w.stranger, centre=w.other_centre)
    with pytest.raises(NotFound):
        await day(w, cache, org=w.other_org, clinician=w.first)


async def test_blocks_rules_and_zones_reach_the_cached_days(world, feeds):
    w = world
    cache = ScheduleCache(feeds[1])
    assert len(await day(w, cache)) == 4
    async with w.factory() as session, session.begin():
        block = await make_exception(session, clinician=w.first, day=w.day, start=time(9), end=time(10))
    await caught_up(w.factory, *feeds)
    assert list(await day(w, cache)) == ["10:00", "10:30"]

    await write(w, "DELETE FROM availability_exceptions WHERE id = :id", id=block.id)
    await write(w, "UPDATE availability_rules SET end_time = '12:00' WHERE clinician_id = :c AND centre_id = :ce",
                c=w.first.id, ce=w.lake.id)
    await caught_up(w.factory, *feeds)
    assert list(await day(w, cache)) == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]

    await write(w, "UPDATE centres SET timezone = 'Asia/Dubai' WHERE id = :id", id=w.lake.id)
    await caught_up(w.factory, *feeds)
    assert len(cache) == 0  # a centre change empties the cache


async def test_an_unpaid_hold_frees_its_slot_when_it_lapses_without_any_write(world, feeds, reads):
    w = world
    cache = ScheduleCache(feeds[0])
    lapses = utcnow().replace(microsecond=900_000) + timedelta(minutes=10)  # to the microsecond, not the second
    async with w.factory() as session, session.begin():
        await make_appointment(session, clinician=w.first, centre=w.lake, patient=w.patient, day=w.day,
                               start=time(9, 30), status="BOOKED", source="WEB_PATIENT", hold_expires_at=lapses)
    await caught_up(w.factory, *feeds)
    assert (await day(w, cache))["09:30"] is False
    assert (await day(w, cache, now=lapses - timedelta(microseconds=1)))["09:30"] is False
    assert len(reads) == 1  # still exact: served from memory
    assert (await day(w, cache, now=lapses))["09:30"] is True  # the hold has lapsed: read again
    assert len(reads) == 2


async def test_a_late_payment_of_a_lapsed_hold_takes_the_slot_back(world, feeds):
    w = world
    cache = ScheduleCache(feeds[0])
    async with w.factory() as session, session.begin():
        hold = await make_appointment(session, clinician=w.first, centre=w.lake, patient=w.patient, day=w.day,
                                      start=time(9, 30), status="BOOKED", source="WEB_PATIENT",
                                      hold_expires_at=utcnow() - timedelta(minutes=1))
    await caught_up(w.factory, *feeds)
    assert (await day(w, cache))["09:30"] is True  # lapsed and unpaid: free, and cached that way
    async with w.factory() as session, session.begin():
        await make_payment(session, patient=w.patient, appointment=hold, status="SUCCESS")
    await caught_up(w.factory, *feeds)
    assert (await day(w, cache))["09:30"] is False  # the payment is announced: the hold holds again


async def test_nothing_is_answered_from_memory_while_the_feed_is_not_listening(world, feeds, reads):
    w = world
    cache = ScheduleCache(feeds[0])
    await day(w, cache)
    await day(w, cache)
    assert len(reads) == 1
    await feeds[0].stop()
    await day(w, cache)
    await day(w, cache)
    assert len(reads) == 3
    assert len(cache) == 0
