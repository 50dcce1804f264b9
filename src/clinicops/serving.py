"""``clinicops serve``: uvicorn processes on one listening socket that stop without dropping a request.

On SIGTERM each process, before anything else, takes every connection the kernel has already queued for the
listening socket and then shuts that socket down, which stops it listening in every process at once: a new
connection is refused (a load balancer retries it elsewhere) instead of being queued, accepted by nobody and
reset. Then uvicorn's own graceful shutdown finishes the requests it holds (``--graceful-timeout``) and the
process exits 0. With ``--workers N`` a small parent binds the socket, starts N processes on it, replaces one
that dies, and on SIGTERM passes the signal on and waits for all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import signal
import socket
import time
from typing import Any

import uvicorn
from uvicorn.server import STARTUP_FAILURE

from clinicops.logging import get_logger

log = get_logger("clinicops.serve")

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class DrainingServer(uvicorn.Server):
    """A uvicorn server whose shutdown serves what the kernel already accepted before it stops listening."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        adopted = await self._adopt_backlog(sockets or [])
        if adopted:
            log.info("shutdown_adopted_queued_connections", count=adopted)
        # Let the connections accepted last (adopted just now, or by the event loop a moment before the signal)
        # read their requests: uvicorn's shutdown closes a connection without a request in progress at once.
        await asyncio.sleep(0.1)
        await super().shutdown(sockets)

    async def _adopt_backlog(self, sockets: list[socket.socket]) -> int:
        loop = asyncio.get_running_loop()
        adopted = 0
        for listener in sockets:
            # The event loop stops accepting here (uvicorn closes its server later): from now on this loop takes
            # the queue, and a socket shut down below is never polled again.
            loop.remove_reader(listener.fileno())
            while True:
                try:
                    conn, _address = listener.accept()
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:  # another process has already shut the socket down
                    break
                conn.setblocking(False)
                await loop.connect_accepted_socket(self._new_protocol, conn)
                adopted += 1
            # Stops listening in every process sharing the socket; nothing queued is left behind to be reset.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RD)
        return adopted

    def _new_protocol(self) -> asyncio.Protocol:
        return self.config.http_protocol_class(  # type: ignore[call-arg]
            config=self.config, server_state=self.server_state, app_state=self.lifespan.state)


def _ignore_stop_signals() -> None:
    """uvicorn re-raises the signal that stopped it once it has drained; exit 0 instead of dying by it."""
    for sig in _STOP_SIGNALS:
        signal.signal(sig, lambda *_: None)


def _serve_one(config: uvicorn.Config, sock: socket.socket) -> None:
    from clinicops.logging import configure_logging

    configure_logging()
    _ignore_stop_signals()
    DrainingServer(config).run(sockets=[sock])


def serve(config: uvicorn.Config, *, workers: int) -> int:
    """Serve until SIGTERM or SIGINT; returns the exit status (0 after a graceful stop)."""
    sock = config.bind_socket()
    if workers == 1:
        _serve_one(config, sock)
        sock.close()
        return 0
    return _Supervisor(config, sock, workers).run()


class _Supervisor:
    """The parent of ``--workers N``: starts the processes, replaces one that dies, stops them on a signal."""

    def __init__(self, config: uvicorn.Config, sock: socket.socket, workers: int):
        self.config = config
        self.sock = sock
        self.workers = workers
        self.context = multiprocessing.get_context("spawn")
        self.stopping = False

    def _start(self) -> Any:
        process = self.context.Process(target=_serve_one, args=(self.config, self.sock), daemon=False)
        process.start()
        return process

    def _on_signal(self, signum: int, _frame: Any) -> None:
        if not self.stopping:
            log.info("serve_stopping", signal=signal.Signals(signum).name)
        self.stopping = True

    def run(self) -> int:
        for sig in _STOP_SIGNALS:
            signal.signal(sig, self._on_signal)
        processes = [self._start() for _ in range(self.workers)]
        log.info("serve_started", processes=[p.pid for p in processes])
        while not self.stopping:
            time.sleep(0.1)
            for index, process in enumerate(processes):
                if process.is_alive() or self.stopping:
                    continue
                if process.exitcode == STARTUP_FAILURE:  # the app cannot start: restarting would loop forever
                    log.error("serve_process_failed_to_start", pid=process.pid)
                    self.stopping = True
                    break
                log.error("serve_process_died", pid=process.pid, exitcode=process.exitcode)
                processes[index] = self._start()
        for process in processes:
            if process.is_alive():
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()  # SIGTERM: each one drains as above
        failed = 0
        for process in processes:
            process.join()
            failed += process.exitcode not in (0, None)
        self.sock.close()
        log.info("serve_stopped", failed=failed)
        return 1 if failed else 0
