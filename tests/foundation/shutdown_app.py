"""The real app plus one route that reads its body as it arrives (for the graceful-shutdown test).

Served by ``clinicops serve --app tests.foundation.shutdown_app:create_app`` in a subprocess.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from fastapi import Request

from clinicops.http.routing import new_router
from clinicops.main import create_app as create_real_app


def create_app():
    app = create_real_app()
    probe = new_router(prefix="/api/_probe")

    @probe.post("/echo-length")
    async def echo_length(request: Request):
        received = 0
        async for chunk in request.stream():
            if not received and os.environ.get("SHUTDOWN_PROBE_MARKER"):
                Path(os.environ["SHUTDOWN_PROBE_MARKER"]).touch()  # tells the test the request is in flight
            received += len(chunk)
        return {"success": True, "data": {"received": received}}

    @probe.get("/slow")
    async def slow(ms: int = 200):
        await asyncio.sleep(ms / 1000)  # a request that is still running when SIGTERM arrives
        return {"success": True, "data": {"slept_ms": ms}}

    app.include_router(probe)
    return app
