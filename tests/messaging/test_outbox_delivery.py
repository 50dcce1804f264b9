"""Outbox delivery through the WhatsApp provider interface: outcomes, backoff, attempts, dedupe, no double send,
and a worker dying mid-send strands only the message it was sending.

The provider here is a fake implementing the provider protocol (the edge of WhatsApp); the outbox, its locking
and the delivery loop are the real ones on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from clinicops import db as dbmod
from clinicops.config import Settings
from clinicops.kit.timezones import utcnow
from clinicops.main import create_app
from clinicops.messaging import repository, service, tasks
from clinicops.messaging.models import OutboxMessage
from clinicops.messaging.providers import OutgoingMessage, SendResult, TransientSendError, UnknownOutcome
from tests.builders.people import next_phone


class FakeProvider:
    """Answers each send with the next scripted outcome ("ok" or an exception); records every call."""

    name = "fake"

    def __init__(self, *outcomes, delay: float = 0.0):
        self.outcomes = list(outcomes)
        self.delay = delay
        self.sent: list[int] = []

    async def send(self, message: OutgoingMessage) -> SendResult:
        self.sent.append(message.id)
        if self.delay:
            await asyncio.sleep(self.delay)
        outcome = self.outcomes.pop(0) if self.outcomes else "ok"
        if isinstance(outcome, BaseException):
            raise outcome
        return SendResult(provider=self.name, provider_message_id=f"wamid-{message.id}-{len(self.sent)}")


async def _queue(session, phone: str | None = None, *, dedupe_key: str | None = None, otp: str = "123456"):
    return await service.queue_message(
        session, template="otp", recipient=phone or next_phone(), dedupe_key=dedupe_key,
        params={"otp": otp, "organization": "Mibo", "minutes": 10})


async def _row(db, message_id: int) -> OutboxMessage:
    return (await db.execute(select(OutboxMessage).where(OutboxMessage.id == message_id)
                             .execution_options(populate_existing=True))).scalar_one()


async def _make_due(db, message_id: int) -> None:
    await db.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                     .values(next_attempt_at=func.now() - timedelta(seconds=1)))


async def test_a_successful_send_marks_the_message_sent(db):
    message_id = await _queue(db)
    provider = FakeProvider("ok")
    assert await service.deliver_due(dbmod.unit_of_work, provider=provider) == 1
    row = await _row(db, message_id)
    assert provider.sent == [message_id]
    assert row.status == "SENT" and row.attempts == 1
    assert row.provider == "fake" and row.provider_message_id == f"wamid-{message_id}-1"
    assert row.sent_at is not None


async def test_a_transient_failure_backs_off_then_sends(db):
    message_id = await _queue(db)
    provider = FakeProvider(TransientSendError("503 from provider"), "ok")
    await service.deliver_due(dbmod.unit_of_work, provider=provider)
    row = await _row(db, message_id)
    assert row.status == "QUEUED" and row.attempts == 1 and "503" in row.last_error
    wait = row.next_attempt_at - utcnow()
    assert timedelta(seconds=1) < wait <= service.backoff(1)

    assert await service.deliver_due(dbmod.unit_of_work, provider=provider) == 0  # not due yet
    assert provider.sent == [message_id]

    await _make_due(db, message_id)
    await service.deliver_due(dbmod.unit_of_work, provider=provider)
    row = await _row(db, message_id)
    assert row.status == "SENT" and row.attempts == 2
    assert provider.sent == [message_id, message_id]


async def test_backoff_grows_with_each_attempt():
    delays = [service.backoff(n) for n in range(1, 6)]
    assert delays == sorted(delays) and delays[0] < delays[-1]


async def test_max_attempts_ends_in_failed(db):
    message_id = await _queue(db)
    max_attempts = (await _row(db, message_id)).max_attempts
    provider = FakeProvider(*[TransientSendError("timeout connecting")] * (max_attempts + 3))
    for _ in range(max_attempts + 2):
        await _make_due(db, message_id)
        await service.deliver_due(dbmod.unit_of_work, provider=provider)
    row = await _row(db, message_id)
    assert row.status == "FAILED"
    assert row.attempts == max_attempts
    assert len(provider.sent) == max_attempts


async def test_an_unknown_outcome_is_never_resent(db):
    message_id = await _queue(db)
    provider = FakeProvider(UnknownOutcome("read timeout after sending"))
    await service.deliver_due(dbmod.unit_of_work, provider=provider)
    assert (await _row(db, message_id)).status == "UNKNOWN"
    await _make_due(db, message_id)
    assert await service.deliver_due(dbmod.unit_of_work, provider=provider) == 0
    assert provider.sent == [message_id]
    assert (await _row(db, message_id)).status == "UNKNOWN"


async def test_a_dedupe_key_makes_one_message(db):
    phone = next_phone()
    first = await _queue(db, phone, dedupe_key="reminder:appointment:42:24h")
    second = await _queue(db, phone, dedupe_key="reminder:appointment:42:24h")
    assert first is not None and second is None
    count = await db.scalar(select(func.count()).select_from(OutboxMessage)
                            .where(OutboxMessage.dedupe_key == "reminder:appointment:42:24h"))
    assert count == 1


async def test_two_workers_never_send_one_message_twice(committed):
    factory, _client = committed
    async with dbmod.unit_of_work() as session:
        ids = [await _queue(session) for _ in range(12)]
    provider = FakeProvider(delay=0.01)

    async def drain() -> int:
        total = 0
        while (attempted := await service.deliver_due(dbmod.unit_of_work, provider=provider, limit=3)) > 0:
            total += attempted
        return total

    totals = await asyncio.gather(drain(), drain())
    assert sorted(provider.sent) == sorted(ids)
    assert sum(totals) == len(ids)
    async with factory() as check:
        statuses = (await check.execute(select(OutboxMessage.status))).scalars().all()
    assert statuses == ["SENT"] * len(ids)


class WorkerDied(BaseException):
    """A process killed mid-send, as the delivery loop sees it: nothing after this point of the send runs."""


async def _statuses(session, ids: list[int]) -> dict[int, tuple[str, int]]:
    rows = await session.execute(select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.attempts)
                                 .where(OutboxMessage.id.in_(ids)).execution_options(populate_existing=True))
    return {message_id: (status, attempts) for message_id, status, attempts in rows.all()}


async def test_a_worker_dying_mid_send_strands_only_the_message_in_flight(db):
    ids = [await _queue(db) for _ in range(6)]
    dying = FakeProvider("ok", WorkerDied("killed during the second send"))
    with pytest.raises(WorkerDied):
        await service.deliver_due(dbmod.unit_of_work, provider=dying)
    assert dying.sent == ids[:2]
    assert await _statuses(db, ids) == {ids[0]: ("SENT", 1), ids[1]: ("SENDING", 1),
                                        **{message_id: ("QUEUED", 0) for message_id in ids[2:]}}

    survivor = FakeProvider()
    assert await service.deliver_due(dbmod.unit_of_work, provider=survivor) == 4
    assert survivor.sent == ids[2:]  # every message the dead worker never reached, once each

    # the sweep parks the one in flight as UNKNOWN; nobody resends it
    await db.execute(update(OutboxMessage).where(OutboxMessage.id == ids[1])
                     .values(updated_at=func.now() - timedelta(minutes=10)))
    assert await repository.release_stuck_sending(db, older_than=utcnow() - tasks.STUCK_SENDING_AFTER) == 1
    assert await service.deliver_due(dbmod.unit_of_work, provider=survivor) == 0
    assert dying.sent + survivor.sent == ids
    assert await _statuses(db, ids) == {ids[1]: ("UNKNOWN", 1),
                                        **{message_id: ("SENT", 1) for message_id in ids if message_id != ids[1]}}


async def test_while_a_message_is_in_flight_it_is_the_only_one_claimed(committed):
    factory, _client = committed
    async with dbmod.unit_of_work() as session:
        ids = [await _queue(session) for _ in range(5)]
    seen: list[dict[str, int]] = []

    class Observing(FakeProvider):
        async def send(self, message: OutgoingMessage) -> SendResult:
            async with factory() as other:  # another connection sees only what is committed
                counts = await other.execute(select(OutboxMessage.status, func.count())
                                             .group_by(OutboxMessage.status))
                seen.append(dict(counts.all()))
            return await super().send(message)

    provider = Observing()
    assert await service.deliver_due(dbmod.unit_of_work, provider=provider) == len(ids)
    assert provider.sent == ids
    expected = [{"SENT": n, "SENDING": 1, "QUEUED": len(ids) - n - 1} for n in range(len(ids))]
    assert seen == [{status: count for status, count in counts.items() if count} for counts in expected]


async def test_limit_bounds_the_messages_one_call_attempts(db):
    ids = [await _queue(db) for _ in range(5)]
    provider = FakeProvider()
    assert await service.deliver_due(dbmod.unit_of_work, provider=provider, limit=3) == 3
    assert provider.sent == ids[:3]
    assert [status for status, _ in (await _statuses(db, ids[3:])).values()] == ["QUEUED", "QUEUED"]


async def test_dev_messages_lists_a_phones_messages_newest_first(db, client):
    phone = next_phone()
    older = await _queue(db, phone, otp="111111")
    newer = await _queue(db, phone, otp="222222")
    await _queue(db)  # someone else's
    response = await client.get("/api/dev/messages", params={"phone": phone[3:]})
    assert response.status_code == 200
    items = response.json()["data"]
    assert [item["params"]["otp"] for item in items] == ["222222", "111111"]
    assert older < newer
    for item in items:
        assert {"to", "template", "body", "params", "createdAt"} <= set(item)
        assert item["to"] == phone.lstrip("+") and item["template"] == "otp"
        assert item["params"]["otp"] in item["body"]


@pytest.mark.parametrize("env", ["staging", "production"])
async def test_dev_messages_is_not_mounted_outside_development_and_test(db, env):
    app = create_app(Settings(env=env), run_worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        response = await http.get("/api/dev/messages", params={"phone": "9876543210"})
    assert response.status_code == 404
