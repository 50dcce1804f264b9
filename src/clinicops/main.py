"""create_app(): middleware, error handlers, and the two surfaces."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware

from clinicops import __version__, changes, db, wiring
from clinicops.config import Environment, Settings, get_settings
from clinicops.http import errors, openapi
from clinicops.http.clinic import build_router as clinic_router
from clinicops.http import hospital
from clinicops.http.middleware import EdgeMiddleware
from clinicops.logging import configure_logging, get_logger

log = get_logger("clinicops")
GZIP_MINIMUM_BYTES = 4096


# Young collections every 50,000 allocations instead of 700, older ones rarely (bench/run.py: API CPU per request
# -15 to -30 % on the hot reads; docs/benchmarks.md). Reference cycles are still collected, just in fewer passes.
GC_THRESHOLDS = (50_000, 20, 100)


def _settle_garbage_collector() -> None:
    """Once started, move everything alive (modules, routes, models, caches' scaffolding) out of the collector's
    sight (``gc.freeze``) so a collection walks only what requests allocated, and collect less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Every serving process opens the job app, so work enqueued after a commit is deferred at once (not left
    for the periodic sweeps); with ``INLINE_WORKER`` it also works the queue, restarted after any failure."""
    from clinicops import jobs

    settings: Settings = app.state.settings
    stop = asyncio.Event()
    worker_task = None
    # The change feed keeps this process's caches honest; until it listens they are bypassed (clinicops.changes).
    changes.FEED.start(changes.listener_dsn(db.database_url(settings)))
    async with jobs.get_app().open_async():
        if app.state.run_worker:
            worker_task = asyncio.create_task(jobs.work_until(stop), name="inline-job-worker")
            log.info("inline_worker_started")
        _settle_garbage_collector()
        try:
            yield
        finally:
            stop.set()
            if worker_task is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(worker_task, timeout=10)
            await changes.FEED.stop()
    await db.dispose()
    log.info("shutdown_complete", env=settings.env.value)


def create_app(settings: Settings | None = None, *, run_worker: bool | None = None) -> FastAPI:
    settings = settings or get_settings()
    wiring.install()  # every model, job and lifecycle effect, before the first request
    if not getattr(create_app, "_logging_configured", False):
        configure_logging()
        create_app._logging_configured = True  # type: ignore[attr-defined]
    show_docs = settings.env != Environment.PRODUCTION
    app = FastAPI(
        title="ClinicOps", version=__version__, lifespan=lifespan,
        docs_url=None, redoc_url=None,  # /docs is served by http.openapi, from local assets (no CDN)
        openapi_url="/openapi.json" if show_docs else None,
    )
    app.state.settings = settings
    app.state.run_worker = settings.runs_inline_worker if run_worker is None else run_worker
    errors.install(app)
    for router, guards in hospital.routers(include_dev=settings.env in (Environment.DEVELOPMENT,
                                                                         Environment.TEST)):
        app.include_router(router, prefix=hospital.PREFIX, dependencies=guards)
    app.include_router(clinic_router())
    openapi.install(app, docs=show_docs)  # after the API: its routes are matched first

    # Added innermost first: the last one added wraps all the others. Compression only for large answers (the
    # schema, exports, long lists): a small JSON answer costs more CPU to compress than its bytes cost to send.
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES)
    app.add_middleware(EdgeMiddleware, max_body_bytes=settings.max_body_bytes, timeout_s=settings.request_timeout_s,
                       hsts=settings.is_production, show_internals=settings.shows_internals)
    app.add_middleware(
        CORSMiddleware, allow_origins=settings.cors_origins, allow_origin_regex=settings.cors_origin_regex,
        allow_credentials="*" not in settings.cors_origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "X-Request-ID", "Idempotency-Key"],
        expose_headers=["X-Request-ID", "Retry-After", "X-Total-Count"], max_age=600,
    )
    return app
