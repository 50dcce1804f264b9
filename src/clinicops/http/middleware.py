"""Pure-ASGI middleware: request context, security headers, body cap and request timeout."""

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


class RequestContextMiddleware:
    """Gives every request an id, logs one line per request and turns any escaped exception into a 500 envelope.

    It sits inside CORS so even unexpected failures carry CORS headers.
    """

    def __init__(self, app: Any, *, show_internals: bool = False):
        self.app = app
        self.show_internals = show_internals

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status_holder = {"status": 500, "started": False}

        async def send_with_id(message: dict) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if database_unavailable(exc):  # a driver error no handler saw (raised while connecting, say)
                log.error("database_unavailable", path=scope.get("path"), error=type(exc).__name__)
                status, code, message = 503, "SERVICE_UNAVAILABLE", UNAVAILABLE_MESSAGE
                extra = [(b"retry-after", b"5")]
            else:
                log.exception("unhandled_error", path=scope.get("path"), method=scope.get("method"))
                status, code, message, extra = 500, "INTERNAL_ERROR", "Something went wrong on our side", []
            if not status_holder["started"]:
                await send_envelope(send, status, code, message, request_id, extra)
            status_holder["status"] = status
        finally:
            log.info("request", method=scope.get("method"), path=scope.get("path"),
                     status=status_holder["status"], duration_ms=round((time.perf_counter() - started) * 1000, 1))
            structlog.contextvars.unbind_contextvars("request_id")


class SecurityHeadersMiddleware:
    def __init__(self, app: Any, *, hsts: bool = False):
        self.app = app
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
        is_docs = scope.get("path", "").startswith(("/docs", "/redoc", "/openapi"))

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                extra = list(self.headers)
                present = {name.lower() for name, _ in message.get("headers", [])}
                if b"cache-control" not in present:
                    # Responses carry patient data, tokens and schedules: no browser or proxy keeps a copy.
                    extra.append((b"cache-control", b"no-store"))
                if not is_docs:
                    extra.append((b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimitMiddleware:
    """413 for bodies over the cap, whether announced by Content-Length or sent in chunks.

    A body without a Content-Length is read (up to the cap) before the app sees it: a streamed body that grows
    past the cap mid-parse would otherwise reach the framework as a body-parsing error (400).
    """

    def __init__(self, app: Any, *, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                too_big = False
            if too_big:
                await send_envelope(send, 413, "PAYLOAD_TOO_LARGE", "The request body is too large")
                return
            await self.app(scope, receive, send)
            return
        if b"chunked" not in headers.get(b"transfer-encoding", b"").lower():
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await send_envelope(send, 413, "PAYLOAD_TOO_LARGE", "The request body is too large")
                return
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

        await self.app(scope, replay, send)


class TimeoutMiddleware:
    """Bounds the time until the response starts (a live stream, once started, is not cut off)."""

    def __init__(self, app: Any, *, seconds: float):
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.seconds <= 0:
            await self.app(scope, receive, send)
            return
        started = False
        deadline: asyncio.Timeout | None = None

        async def send_and_release(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if deadline is not None:
                    deadline.reschedule(None)
            await send(message)

        try:
            async with asyncio.timeout(self.seconds) as deadline:
                await self.app(scope, receive, send_and_release)
        except TimeoutError:
            if started:
                raise
            log.warning("request_timeout", path=scope.get("path"), seconds=self.seconds)
            await send_envelope(send, 503, "REQUEST_TIMEOUT", "The request took too long; try again",
                                extra_headers=[(b"retry-after", b"1")])
