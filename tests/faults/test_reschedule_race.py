"""Races for one clinician's time over real, separate, committing connections: many contenders, one winner.

Fifty staff reschedules of different appointments of one clinician into one free slot (and bookings racing
reschedules) must end with exactly one 200/201 and a 409 SLOT_UNAVAILABLE for everyone else within a few seconds:
no deadlock broken once per ``deadlock_timeout`` (a generic 409 CONFLICT), no request timeout (503), nothing lost,
and the other tenant's schedule untouched. A reschedule moves the appointment in place (same id), so the winner is
one of the contenders' own rows at the new time and no row is added. Without the clinician lock
(appointments/repository.py ``lock_clinician_time``) contenders write overlapping times, wait on each other's
uncommitted rows in the exclusion constraint and deadlock at their next write: nobody wins and requests time out.
"""
from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from clinicops.appointments.models import Appointment
from clinicops.auth.models import User
from clinicops.kit.timezones import utcnow
from tests.builders.appointments import World, make_world, staff_body, web_body
from tests.builders.people import bearer, make_patient
from tests.builders.slots import add_appointment

CONTENDERS = 50
BURST_LIMIT_S = 10.0  # measured: about 1-2 s for 50 contenders in-process on two cores
# make_world's clinician works 09:00-13:00 in person, in 30-minute slots: eight a day
MORNING = [f"{h:02d}:{m:02d}" for h in range(9, 13) for m in (0, 30)]
BOTH = ("BOOKED", "CONFIRMED")
# The operator's PUT carried only the new time. The admin panel's edit form may also confirm a booked appointment
# in the same PUT, which writes the new row again after its insert: safe only when contenders are serialised.
PLAIN = {}
CONFIRMING = {"status": "CONFIRMED", "notes": "Moved and confirmed at the desk"}


@dataclass
class Scene:
    world: World  # the served organization; its clinician is the one raced for
    other: World  # a second tenant, with its own centre, clinician and appointments
    free: datetime  # the one free slot everybody wants
    moved: dict[int, tuple[datetime, str]]  # appointment id -> original (start, status), the raced clinician's
    others: dict[int, tuple[datetime, str]]  # the same for the other tenant's clinician


def _slots(world: World, count: int) -> list[datetime]:
    """``count`` distinct morning slots on the days after ``world.day`` (which keeps its slots free)."""
    found: list[datetime] = []
    day = world.day
    while len(found) < count:
        day += timedelta(days=1)
        found += [world.at(hhmm, day) for hhmm in MORNING]
    return found[:count]


async def _fill(session, world: World, count: int, *, statuses: tuple[str, ...] = BOTH,
                neighbour_of: datetime | None = None) -> dict[int, tuple[datetime, str]]:
    """``count`` appointments of ``world.clinician``, each with its own patient, taking ``statuses`` in turn.

    A BOOKED one is held unpaid for a few hours (as desk bookings are), so a reschedule carries the hold over.
    """
    starts = _slots(world, count)
    if neighbour_of is not None:  # one sits next to the contested slot, so that day is not empty
        starts[-1] = neighbour_of + timedelta(minutes=30)
    hold = utcnow() + timedelta(hours=6)
    rows = {}
    for i, starts_at in enumerate(starts):
        status = statuses[i % len(statuses)]
        patient = await make_patient(session, org=world.org)
        row = await add_appointment(session, clinician=world.clinician, centre=world.centre, patient=patient,
                                    starts_at=starts_at, status=status,
                                    hold_expires_at=hold if status == "BOOKED" else None)
        rows[row.id] = (starts_at, status)
    return rows


async def _scene(factory, *, count: int = CONTENDERS, statuses: tuple[str, ...] = BOTH) -> Scene:
    async with factory() as session:
        world = await make_world(session)
        other = await make_world(session, slug="race-other-tenant")
        free = world.at("10:00")
        moved = await _fill(session, world, count, statuses=statuses, neighbour_of=free)
        others = await _fill(session, other, 3)
        # the other tenant's clinician is booked at the very instant being raced for: it must stay as it is
        same_time = await add_appointment(session, clinician=other.clinician, centre=other.centre,
                                          patient=other.patient, starts_at=other.at("10:00"), status="CONFIRMED")
        others[same_time.id] = (other.at("10:00"), "CONFIRMED")
        await session.commit()
    return Scene(world, other, free, moved, others)


async def _timed(calls) -> tuple[list, float]:
    started = time.monotonic()
    results = await asyncio.wait_for(asyncio.gather(*calls), timeout=90)
    return results, time.monotonic() - started


async def _signal_contention(factory, contended: asyncio.Event, *, patience_s: float = 3.0) -> None:
    """Set ``contended`` once a transaction in this database waits for a lock (or after ``patience_s``)."""
    deadline = time.monotonic() + patience_s
    async with factory() as session:
        while time.monotonic() < deadline:
            waiting = (await session.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"))).scalar_one()
            await session.rollback()
            if waiting:
                break
            await asyncio.sleep(0.005)
    contended.set()


def _summary(responses) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in responses:
        key = str(r.status_code) if r.status_code < 400 else f"{r.status_code} {r.json()['error']['code']}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def _assert_one_winner(responses, elapsed: float) -> None:
    unexpected = [(r.status_code, r.text) for r in responses if r.status_code not in (200, 201, 409)]
    assert not unexpected, (_summary(responses), unexpected[:2])
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} <= {"SLOT_UNAVAILABLE"}, \
        _summary(responses)
    assert sum(r.status_code in (200, 201) for r in responses) == 1, _summary(responses)
    assert elapsed < BURST_LIMIT_S, f"the burst took {elapsed:.1f} s"


async def _rows(factory, where) -> dict[int, Appointment]:
    async with factory() as session:
        return {row.id: row for row in (await session.execute(select(Appointment).where(where))).scalars()}


async def _assert_moves_kept(factory, scene: Scene, *, winner: int | None, winner_status: str | None = None) -> None:
    """Every contender that lost still has its time and status; the winner (if a move won) is the same row, now at
    the contested time."""
    rows = await _rows(factory, Appointment.id.in_(list(scene.moved)))
    assert set(rows) == set(scene.moved)
    for appointment_id, was in scene.moved.items():
        row = rows[appointment_id]
        assert row.parent_appointment_id is None, appointment_id
        if appointment_id == winner:
            assert (row.starts_at, row.status) == (scene.free, winner_status), appointment_id
        else:
            assert (row.starts_at, row.status) == was, appointment_id


async def _count_of(factory, clinician_id: int) -> int:
    async with factory() as session:
        return (await session.execute(select(func.count()).select_from(Appointment).where(
            Appointment.clinician_id == clinician_id))).scalar_one()


async def _assert_other_tenant_untouched(factory, scene: Scene) -> None:
    rows = await _rows(factory, Appointment.clinician_id == scene.other.clinician.id)
    assert {i: (r.starts_at, r.status) for i, r in rows.items()} == scene.others


@pytest.mark.parametrize(("extra", "statuses"), [(PLAIN, BOTH), (CONFIRMING, ("BOOKED",))],
                         ids=["new time", "new time and confirm"])
async def test_fifty_reschedules_into_one_slot_give_one_winner_fast(committed, extra, statuses):
    factory, client = committed
    scene = await _scene(factory, statuses=statuses)
    body = {"scheduledStartAt": scene.free.isoformat(), **extra}

    responses, elapsed = await _timed(
        client.put(f"/api/appointments/{i}", json=body, headers=bearer(scene.world.admin)) for i in scene.moved)
    print(f"\n{CONTENDERS} concurrent reschedules into one slot: {_summary(responses)} in {elapsed:.2f} s")

    _assert_one_winner(responses, elapsed)
    winner = next(r.json()["data"] for r in responses if r.status_code == 200)
    assert winner["id"] in scene.moved and winner["parent_appointment_id"] is None  # the same appointment, moved
    assert datetime.fromisoformat(winner["scheduled_start_at"]) == scene.free
    status = extra.get("status", scene.moved[winner["id"]][1])
    assert winner["status"] == status
    await _assert_moves_kept(factory, scene, winner=winner["id"], winner_status=status)
    # no row added: the losers' attempts left nothing behind, and the winner moved its own row
    assert await _count_of(factory, scene.world.clinician.id) == CONTENDERS
    await _assert_other_tenant_untouched(factory, scene)


async def test_bookings_racing_reschedules_for_one_slot_give_one_winner(committed):
    factory, client = committed
    movers, bookers = 30, CONTENDERS - 30
    scene = await _scene(factory, count=movers, statuses=("BOOKED",))
    world = scene.world
    async with factory() as session:
        patients = [await make_patient(session, org=world.org) for _ in range(bookers)]
        users = [await session.get(User, p.user_id) for p in patients]
        await session.commit()
    free = scene.free.isoformat()
    moves = [client.put(f"/api/appointments/{i}", json={"scheduledStartAt": free, **CONFIRMING},
                        headers=bearer(world.admin)) for i in scene.moved]
    contended = asyncio.Event()

    async def book(n: int):
        # a booking writes its row once, so it only ever waits; it joins once the moves are queued on each other
        await contended.wait()
        if n % 2:  # half on the patient website, half at the front desk
            return await client.post("/api/booking/create", json=web_body(world, hhmm="10:00"),
                                     headers=bearer(users[n]))
        return await client.post("/api/appointments", headers=bearer(world.desk),
                                 json=staff_body(world, starts_at=free, patient=patients[n]))

    calls = [c for pair in itertools.zip_longest(moves, [book(n) for n in range(bookers)]) for c in pair if c]
    responses, elapsed = await _timed([*calls, _signal_contention(factory, contended)])
    responses.pop()
    print(f"\nbookings racing reschedules for one slot: {_summary(responses)} in {elapsed:.2f} s")

    _assert_one_winner(responses, elapsed)
    holders = await _rows(factory, (Appointment.clinician_id == world.clinician.id)
                          & (Appointment.starts_at == scene.free))
    assert len(holders) == 1
    holder = next(iter(holders.values()))
    assert holder.status in ("BOOKED", "CONFIRMED")
    mover_won = holder.id in scene.moved
    await _assert_moves_kept(factory, scene, winner=holder.id if mover_won else None, winner_status="CONFIRMED")
    # a booking that wins adds its one row; a move that wins adds none; a refused contender left nothing behind
    assert await _count_of(factory, world.clinician.id) == movers + (0 if mover_won else 1)
    await _assert_other_tenant_untouched(factory, scene)
