"""Change feeds in the test process: each one plays the listener of one API process (clinicops.changes)."""

from __future__ import annotations

import asyncio
import itertools
from contextlib import asynccontextmanager

from sqlalchemy import text

from clinicops import changes

_markers = itertools.count(1)


@asynccontextmanager
async def running_feeds(database_url: str, count: int = 1):
    """``count`` listening feeds on the test database, stopped afterwards."""
    feeds = [changes.ChangeFeed() for _ in range(count)]
    try:
        for feed in feeds:
            feed.start(changes.listener_dsn(database_url))
        for feed in feeds:
            await feed.wait_listening()
        yield feeds
    finally:
        for feed in feeds:
            await feed.stop()


async def caught_up(factory, *feeds: changes.ChangeFeed, timeout: float = 5.0) -> None:
    """Wait until every feed has received everything committed so far: notifications reach a listener in commit
    order, so once a marker sent after them arrives, they have arrived too."""
    marker = str(next(_markers))
    seen = {id(feed): asyncio.Event() for feed in feeds}
    for feed in feeds:
        event = seen[id(feed)]
        feed.subscribe(("marker",), lambda _topic, key, event=event: key == marker and event.set())
    async with factory() as session, session.begin():
        await changes.publish(session, "marker", marker)
    await asyncio.wait_for(asyncio.gather(*(event.wait() for event in seen.values())), timeout)
