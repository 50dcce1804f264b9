"""Structured logs with request ids; secrets dropped and phone numbers masked before anything is written.

Outside development (and whenever the output is not a terminal) every line, the server's own included, is one
JSON object with no colour codes, ready for a log shipper. In development on a terminal the same events are
readable coloured lines. ``CLINICOPS_LOG_LEVEL`` sets the level, ``CLINICOPS_LOG_FORMAT`` (json / console)
overrides the choice.
"""

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
# Every form the API accepts: E.164 of any country (+915123456789, +1 415 555 2671), 91 + 10 digits, 10 digits,
# with spaces or dashes as people type them (98765 43210, +91 98765-43210).
_PHONE = re.compile(r"(?<![\w+])(?:\+\d[\d\s-]{6,16}\d|(?:91[\s-]?)?\d{5}[\s-]?\d{5})(?![\w])")
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


# uvicorn passes a copy of its message with ANSI colour codes as ``extra``; a log line never carries it.
_DROPPED = ("color_message",)


def _scrub_processor(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if _kept(k, v) else scrub(v, k)) for k, v in event_dict.items() if k not in _DROPPED}


def _settings() -> Any:
    from clinicops.config import get_settings

    try:
        return get_settings()
    except Exception:  # settings unfit to start: the command reports that itself; log with the defaults
        return None


def _use_console(out: Any, settings: Any) -> bool:
    chosen = getattr(settings, "log_format", "auto")
    if chosen in ("json", "console"):
        return chosen == "console"
    development = settings is None or settings.env.value == "development"
    return development and bool(getattr(out, "isatty", lambda: False)())


def configure_logging(level: str | None = None, *, stream: Any = None, console: bool | None = None) -> None:
    """Route structlog and the standard library through one renderer with scrubbing.

    ``level`` and ``console`` default to the settings (``LOG_LEVEL``, ``LOG_FORMAT``); ``stream`` to stdout.
    """
    settings = _settings()
    out = stream or sys.stdout
    level = (level or getattr(settings, "log_level", None) or "INFO").upper()
    if console is None:
        console = _use_console(out, settings)
    renderer: Any = (structlog.dev.ConsoleRenderer(colors=stream is None) if console
                     else structlog.processors.JSONRenderer())
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, _scrub_processor, renderer],
        # One write per line (message and newline together): processes sharing one log file never interleave.
        logger_factory=structlog.WriteLoggerFactory(file=out),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, structlog.processors.format_exc_info,
                    _scrub_processor, renderer],
    ))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)  # a library's warning is a log line too, not a bare line on stderr
    for noisy in ("uvicorn.access", "sqlalchemy.engine", "httpx", "httpcore", "pgserver", "procrastinate"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
