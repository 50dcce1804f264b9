"""gunicorn's own log lines in the same JSON form as the app's, for operators who run gunicorn.

    gunicorn 'clinicops.main:create_app()' -k uvicorn_worker.UvicornWorker --no-control-socket \\
        --logger-class clinicops.gunicorn_logging.JsonLogger ...

gunicorn writes its arbiter and worker lines ("Starting gunicorn", "Booting worker") through its own text
handlers; this logger hands them to the root logger that :func:`clinicops.logging.configure_logging` sets up,
so every line on stdout is one JSON object with secrets dropped and phones masked.
"""

from __future__ import annotations

from typing import Any

from gunicorn import glogging

from clinicops.logging import configure_logging


class JsonLogger(glogging.Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        configure_logging()
        for log in (self.error_log, self.access_log):
            log.handlers = []
            log.propagate = True
