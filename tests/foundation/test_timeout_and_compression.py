"""Request timeout (until the response starts) and response compression."""

from __future__ import annotations

import asyncio

import httpx
from fastapi.responses import StreamingResponse

from clinicops.config import Settings
from clinicops.http.routing import new_router
from clinicops.main import create_app


def _app(timeout_s: float):
    app = create_app(Settings(env="test", request_timeout_s=timeout_s), run_worker=False)
    probe = new_router(prefix="/api/_probe")

    @probe.get("/slow")
    async def slow():
        await asyncio.sleep(2)
        return {"success": True}

    @probe.get("/stream")
    async def stream():
        async def chunks():
            for i in range(3):
                yield f"chunk {i}\n".encode()
                await asyncio.sleep(0.15)  # the whole stream outlives the timeout; it started in time

        return StreamingResponse(chunks(), media_type="text/plain")

    app.include_router(probe)
    return app


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_a_request_that_does_not_answer_in_time_gets_a_503_envelope(engine):
    async with _client(_app(0.2)) as http:
        response = await http.get("/api/_probe/slow")
    assert response.status_code == 503
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == "REQUEST_TIMEOUT"
    assert response.headers["retry-after"] == "1"


async def test_a_response_that_started_in_time_is_not_cut_off(engine):
    async with _client(_app(0.2)) as http:
        response = await http.get("/api/_probe/stream")
    assert response.status_code == 200
    assert response.text == "chunk 0\nchunk 1\nchunk 2\n"


async def test_large_responses_are_gzipped_when_the_client_accepts_it(client):
    zipped = await client.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers.get("content-encoding") == "gzip"
    assert zipped.json()["paths"]  # httpx inflates it
    plain = await client.get("/openapi.json", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
