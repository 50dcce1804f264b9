"""JSON structured logs with request ids; secrets dropped and phone numbers masked before anything is written."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

from clinicops.kit.phones import mask

_SECRET_KEY = re.compile(
    r"(pass(word)?|otp|code_hash|token|secret|signature|authorization|api[_-]?key|apisecret|cookie|private_key)",
    re.I)
_PHONE = re.compile(r"(?<!\d)(?:\+?91[\s-]?)?[6-9]\d{9}(?!\d)")
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._\-]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+")


def scrub_text(text: str) -> str:
    text = _BEARER.sub("Bearer ***", text)
    text = _JWT.sub("***", text)
    return _PHONE.sub(lambda m: mask(m.group(0)), text)


def scrub(value: Any, key: str | None = None) -> Any:
    if key is not None and _SECRET_KEY.search(key):
        return "***"
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    return value


_GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


def _kept(key: str, value: Any) -> bool:
    # A generated request id (uuid4 hex) may hold a run of digits shaped like a phone; masking it would break
    # the match between the log line and the X-Request-ID the client saw.
    return key in ("timestamp", "level") or (key == "request_id" and isinstance(value, str)
                                              and bool(_GENERATED_ID.match(value)))


def _scrub_processor(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if _kept(k, v) else scrub(v, k)) for k, v in event_dict.items()}


def configure_logging(level: str = "INFO", *, stream: Any = None) -> None:
    """Route structlog and the standard library through one JSON renderer with scrubbing."""
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, _scrub_processor,
                    structlog.processors.JSONRenderer()],
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stdout),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, structlog.processors.format_exc_info,
                    _scrub_processor, structlog.processors.JSONRenderer()],
    ))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for noisy in ("uvicorn.access", "sqlalchemy.engine", "httpx", "httpcore", "pgserver", "procrastinate"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
