"""Every route runs as one unit of work: the transaction commits before the response is sent.

A GET or HEAD begins its transaction only when it first writes (an audit row on a clinical read): a pure read
sends no BEGIN or COMMIT (``db.unit_of_work(lazy_begin=True)``).

Every route also documents its error answers as the one error envelope (``http.responses``); its success body is
the ``response_model`` it declares.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from clinicops.db import unit_of_work
from clinicops.http.guards import check_request
from clinicops.http.responses import ERROR_RESPONSES


_READS = frozenset({"GET", "HEAD"})


class UnitOfWorkRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            check_request(request)
            async with unit_of_work(lazy_begin=request.method in _READS) as session:
                request.state.db = session
                response = await handle(request)
            return response

        return handler


def new_router(*, responses: dict[int | str, dict[str, Any]] | None = None, **kwargs: Any) -> APIRouter:
    return APIRouter(route_class=UnitOfWorkRoute, responses={**ERROR_RESPONSES, **(responses or {})}, **kwargs)
