"""The edge of every request, in one pure-ASGI layer: request id and log line, security headers, body cap, timeout.

One layer wraps ``send`` once (four layers used to wrap it four times, a measurable share of a small read's CPU:
docs/benchmarks.md, issue 10). The order of the old layers is kept: the body cap answers before the timeout
starts, a timeout's 503 and a 413 carry the security headers and the request id, and anything that escapes the
app becomes the 500 (or 503) envelope here. It sits inside CORS so every answer carries CORS headers.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from typing import Any

import structlog

from clinicops.http.envelope import envelope
from clinicops.http.errors import UNAVAILABLE_MESSAGE, database_unavailable
from clinicops.logging import get_logger

log = get_logger("clinicops.http")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")

Scope = dict[str, Any]


async def send_envelope(send: Any, status: int, code: str, message: str, request_id: str | None = None,
                        extra_headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps(envelope(status, code, message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if request_id:
        headers.append((b"x-request-id", request_id.encode()))
    headers.extend(extra_headers or [])
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


_DOCS = ("/docs", "/redoc", "/openapi")
_NO_STORE = (b"cache-control", b"no-store")  # answers carry patient data, tokens and schedules: nobody keeps a copy
_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
_TOO_LARGE = (413, "PAYLOAD_TOO_LARGE", "The request body is too large")


class EdgeMiddleware:
    def __init__(self, app: Any, *, max_body_bytes: int, timeout_s: float, hsts: bool = False,
                 show_internals: bool = False):
        self.app = app
        self.max_bytes = max_body_bytes
        self.timeout_s = timeout_s
        self.show_internals = show_internals
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"cross-origin-resource-policy", b"cross-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = declared = encoding = None
        for name, value in scope.get("headers") or ():
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
            elif name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                encoding = value
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started_at = time.perf_counter()
        path = scope.get("path", "")
        extra = [*self.headers, *(() if path.startswith(_DOCS) else (_CSP,)), (b"x-request-id", request_id.encode())]
        status = 500
        started = False
        deadline: asyncio.Timeout | None = None

        async def send_at_edge(message: dict) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                if deadline is not None:  # a live stream, once started, is not cut off
                    deadline.reschedule(None)
                headers = message.get("headers") or []
                if any(name.lower() == b"cache-control" for name, _ in headers):
                    message["headers"] = [*headers, *extra]
                else:
                    message["headers"] = [*headers, _NO_STORE, *extra]
            await send(message)

        try:
            if declared is not None:
                try:
                    too_big = int(declared) > self.max_bytes
                except ValueError:
                    too_big = False
                if too_big:
                    await send_envelope(send_at_edge, *_TOO_LARGE)
                    return
            elif encoding is not None and b"chunked" in encoding.lower():
                receive = await self._capped_body(receive)
                if receive is None:
                    if not started:
                        await send_envelope(send_at_edge, *_TOO_LARGE)
                    return
            if self.timeout_s <= 0:
                await self.app(scope, receive, send_at_edge)
                return
            try:
                try:
                    async with asyncio.timeout(self.timeout_s) as deadline:
                        await self.app(scope, receive, send_at_edge)
                finally:
                    deadline = None  # an ended timeout cannot be rescheduled; the envelopes below start a response
            except TimeoutError:
                if started:
                    raise
                log.warning("request_timeout", path=path, seconds=self.timeout_s)
                await send_envelope(send_at_edge, 503, "REQUEST_TIMEOUT", "The request took too long; try again",
                                    extra_headers=[(b"retry-after", b"1")])
        except Exception as exc:
            if database_unavailable(exc):  # a driver error no handler saw (raised while connecting, say)
                log.error("database_unavailable", path=path, error=type(exc).__name__)
                code = (503, "SERVICE_UNAVAILABLE", UNAVAILABLE_MESSAGE)
                headers = [(b"retry-after", b"5")]
            else:
                log.exception("unhandled_error", path=path, method=scope.get("method"))
                code, headers = (500, "INTERNAL_ERROR", "Something went wrong on our side"), []
            if not started:
                await send_envelope(send_at_edge, *code, extra_headers=headers)
            status = code[0]
        finally:
            log.info("request", method=scope.get("method"), path=path, status=status,
                     duration_ms=round((time.perf_counter() - started_at) * 1000, 1))
            structlog.contextvars.unbind_contextvars("request_id")

    async def _capped_body(self, receive: Any) -> Any:
        """A chunked body is read (up to the cap) before the app sees it: a streamed body that grows past the cap
        mid-parse would otherwise reach the framework as a body-parsing error (400). None: over the cap, or the
        client went away."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        return replay
