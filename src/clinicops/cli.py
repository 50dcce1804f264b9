"""The ``clinicops`` command: dev | serve | worker | migrate | seed | create-admin.

Every command reads the same settings (``CLINICOPS_*``). Without ``CLINICOPS_DATABASE_URL`` the embedded
PostgreSQL under ``CLINICOPS_DATA_DIR`` is used; settings unfit for production end the command with the list
of wrong settings and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
import warnings
from collections.abc import Sequence

from pydantic import ValidationError

from clinicops.config import Settings, SettingsError, get_settings

APP_FACTORY = "clinicops.main:create_app"
EXIT_SETTINGS = 2


class CommandError(Exception):
    """A problem the operator can fix; printed without a traceback, exit status 1."""


# --- database ----------------------------------------------------------------------------------------------


def migrate_database(settings: Settings, revision: str = "head") -> None:
    """Apply the packaged migrations up to ``revision`` (idempotent)."""
    from clinicops import db, schema_migrations

    schema_migrations.upgrade(db.database_url(settings, driver="psycopg"), revision)


def _describe_database(settings: Settings) -> str:
    if settings.database_url:
        return "PostgreSQL from CLINICOPS_DATABASE_URL"
    return f"embedded PostgreSQL in {(settings.data_dir / 'pg').resolve()}"


async def _with_database(work):
    """Run ``work()`` with the job app open (what it commits may enqueue jobs: the demo's invoice links and
    messages) and always release the engine (each asyncio.run has its own loop)."""
    from clinicops import db, jobs

    try:
        async with jobs.get_app().open_async():
            return await work()
    finally:
        await db.dispose()


# --- commands ----------------------------------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    migrate_database(settings, args.revision)
    print(f"Migrations applied ({args.revision}) to the {_describe_database(settings)}.")
    return 0


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    if not args.demo:
        raise CommandError("nothing to seed: pass --demo")
    if args.scale < 1:
        raise CommandError("--scale must be 1 or more")
    if not settings.database_url:
        migrate_database(settings)
    from clinicops.seed import demo

    result = asyncio.run(_with_database(lambda: demo.seed_demo(scale=args.scale)))
    if not result.created:
        print("Demo data is already loaded (organization 'main' exists); nothing to do.")
        return 0
    print(f"Demo data loaded: {result.summary()}")
    print(demo.logins_text(result.clinic_id))
    return 0


def cmd_create_admin(args: argparse.Namespace, settings: Settings) -> int:
    from clinicops.seed import admin

    slug = args.org or settings.default_organization
    # The default organization is created on a first deployment; a named one must exist (a typo must not
    # quietly create a second tenant) unless --create-org says so.
    create_org = args.create_org or args.org is None
    try:
        admin.check_inputs(args.username, args.password, args.phone, args.email)
        if not settings.database_url:
            migrate_database(settings)
        created = asyncio.run(_with_database(lambda: admin.create_admin(
            username=args.username, password=args.password, phone=args.phone, full_name=args.name,
            organization_slug=slug, email=args.email, create_organization=create_org)))
    except admin.AdminRefused as exc:
        raise CommandError(str(exc)) from None
    org_note = " (organization created)" if created.organization_created else ""
    print(f"Admin '{created.username}' created in organization '{slug}'{org_note}; user id {created.user_id}.")
    return 0


def _run_uvicorn(settings: Settings, *, host: str, port: int, workers: int, graceful: int,
                 app: str = APP_FACTORY) -> int:
    import uvicorn

    from clinicops import serving
    from clinicops.logging import configure_logging

    configure_logging()
    # uvloop and httptools (uvicorn[standard]) and no uvicorn access log: the app logs one line per request
    # itself (http.middleware), so uvicorn's would be a second, discarded one (docs/benchmarks.md, issue 10).
    config = uvicorn.Config(app, factory=True, host=host, port=port, workers=workers, log_config=None,
                            loop="uvloop", http="httptools", access_log=False,
                            timeout_graceful_shutdown=graceful, proxy_headers=False, server_header=False,
                            limit_concurrency=None, timeout_keep_alive=5)
    return serving.serve(config, workers=workers)


def _ensure_port_free(host: str, port: int) -> None:
    """Say so before anything else happens (migrations, banners) when another process holds the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc} (is ClinicOps already "
                               f"running?); choose another port with --port {port + 1}") from None


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    if args.workers < 1:
        raise CommandError("--workers must be 1 or more")
    _ensure_port_free(args.host, args.port)
    if not settings.database_url:
        migrate_database(settings)  # the embedded database is a development convenience; keep it current
    from clinicops.logging import configure_logging, get_logger

    configure_logging()
    get_logger("clinicops.serve").info(
        "serve_starting", env=settings.env.value, url=f"http://{args.host}:{args.port}", processes=args.workers,
        job_worker="inline" if settings.runs_inline_worker else "separate (clinicops worker)",
        database=_describe_database(settings))
    return _run_uvicorn(settings, host=args.host, port=args.port, workers=args.workers,
                        graceful=args.graceful_timeout, app=args.app)


def cmd_dev(args: argparse.Namespace, settings: Settings) -> int:
    from clinicops.seed import demo

    _ensure_port_free(args.host, args.port)
    print(f"Starting the {_describe_database(settings)} and applying migrations...", flush=True)
    migrate_database(settings)
    result = asyncio.run(_with_database(demo.seed_if_empty))
    url = f"http://{args.host}:{args.port}"
    print(f"\nClinicOps (development) on {url}  -  health: {url}/api/health  -  API docs: {url}/docs")
    if result.created:
        print(f"Demo data loaded: {result.summary()}")
    if result.demo_present:
        print(demo.logins_text(result.clinic_id))
    else:
        print("The database already held organizations, so no demo data was loaded.")
    print("Press Ctrl+C to stop.\n", flush=True)
    return _run_uvicorn(settings, host=args.host, port=args.port, workers=1, graceful=args.graceful_timeout)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.database_url:
        migrate_database(settings)
    from clinicops.logging import configure_logging, get_logger

    configure_logging()
    get_logger("clinicops.worker").info("worker_starting", env=settings.env.value, concurrency=args.concurrency,
                                        database=_describe_database(settings))
    asyncio.run(_run_worker(args.concurrency))
    return 0


async def _run_worker(concurrency: int) -> None:
    """Work the queue until SIGTERM or SIGINT: running jobs finish, then exit 0. A failure of the worker (the
    database restarting) is not the end of the process: :func:`jobs.work_until` starts it again with backoff."""
    from clinicops import db, jobs

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with jobs.get_app().open_async():
        await jobs.work_until(stop, concurrency=concurrency)
    await db.dispose()


# --- parsing -----------------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clinicops", description="ClinicOps: serve the API, run the job worker, migrate, seed.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    dev = sub.add_parser("dev", help="embedded PostgreSQL, migrations, demo data, API + worker on one port")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument("--graceful-timeout", type=int, default=10, help="seconds to drain requests on stop")
    dev.set_defaults(handler=cmd_dev, default_env="development")

    serve = sub.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1", help="use 0.0.0.0 behind a load balancer")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="processes (uvicorn supervisor)")
    serve.add_argument("--graceful-timeout", type=int, default=30,
                       help="seconds in-flight requests may take to finish after SIGTERM")
    serve.add_argument("--app", default=APP_FACTORY, help=argparse.SUPPRESS)  # another ASGI factory (tests)
    serve.set_defaults(handler=cmd_serve)

    worker = sub.add_parser("worker", help="run the durable job worker (messages, Meet links, holds)")
    worker.add_argument("--concurrency", type=int, default=4)
    worker.set_defaults(handler=cmd_worker)

    mig = sub.add_parser("migrate", help="apply database migrations")
    mig.add_argument("--revision", default="head")
    mig.set_defaults(handler=cmd_migrate)

    seed = sub.add_parser("seed", help="load data")
    seed.add_argument("--demo", action="store_true", help="the demo chain, clinic, staff, patients and history")
    seed.add_argument("--scale", type=int, default=1, help="multiply clinicians, patients and history")
    seed.set_defaults(handler=cmd_seed)

    admin = sub.add_parser("create-admin", help="create an ADMIN staff user (non-interactive)")
    admin.add_argument("--username", required=True)
    admin.add_argument("--password", required=True)
    admin.add_argument("--phone", required=True, help="10-digit mobile number")
    admin.add_argument("--name", default=None, help="full name (default: the username)")
    admin.add_argument("--email", default=None)
    admin.add_argument("--org", default=None, help="organization slug (default CLINICOPS_DEFAULT_ORGANIZATION, "
                                                    "created if missing)")
    admin.add_argument("--create-org", action="store_true", help="create the --org organization if it is missing")
    admin.set_defaults(handler=cmd_create_admin)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # pgserver's socket-dir fallback notice; the environment variable reaches worker processes too
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    os.environ.setdefault("PYTHONWARNINGS", "ignore:XDG_RUNTIME_DIR")
    args = _parser().parse_args(argv)
    default_env = getattr(args, "default_env", None)
    if default_env:
        os.environ.setdefault("CLINICOPS_ENV", default_env)
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"clinicops: {exc}", file=sys.stderr)
        return EXIT_SETTINGS
    except ValidationError as exc:  # a malformed value (a bad rate limit, URL or environment): one line each
        for error in exc.errors():
            name = "CLINICOPS_" + "_".join(str(part) for part in error["loc"]).upper()
            message = str(error["msg"]).removeprefix("Value error, ")
            print(f"clinicops: invalid setting {name}: {message}", file=sys.stderr)
        return EXIT_SETTINGS
    from sqlalchemy.exc import DBAPIError

    from clinicops import wiring

    wiring.install()  # every model, job and lifecycle effect, whatever the command (a seed, a worker, a server)
    try:
        return args.handler(args, settings)
    except CommandError as exc:
        print(f"clinicops: {exc}", file=sys.stderr)
        return 1
    except (DBAPIError, OSError) as exc:  # the database is unreachable or refused us: say so, no traceback
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        print(f"clinicops: cannot use the database ({_describe_database(settings)}): {reason}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
