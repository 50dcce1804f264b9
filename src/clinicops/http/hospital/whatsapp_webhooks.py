"""/api/webhooks/whatsapp: delivery statuses from Meta (signed) and Gallabox (shared secret). Public routes."""

from __future__ import annotations

from fastapi import Depends, Query, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.config import get_settings
from clinicops.http.deps import get_db
from clinicops.http.hospital.schemas.operations import StatusesReceived
from clinicops.http.responses import JSON_ERRORS, Envelope
from clinicops.http.routing import new_router
from clinicops.http.envelope import ok
from clinicops.messaging import webhooks

router = new_router(prefix="/webhooks/whatsapp", tags=["webhooks"])


@router.get("/meta", response_class=PlainTextResponse, responses=JSON_ERRORS)
async def meta_verify(mode: str | None = Query(default=None, alias="hub.mode"),
                      token: str | None = Query(default=None, alias="hub.verify_token"),
                      challenge: str | None = Query(default=None, alias="hub.challenge")):
    return PlainTextResponse(webhooks.verify_meta_subscription(get_settings(), mode=mode, token=token,
                                                               challenge=challenge))


@router.post("/meta", response_model=Envelope[StatusesReceived])
async def meta_status(request: Request, db: AsyncSession = Depends(get_db)):
    applied = await webhooks.receive_meta(db, get_settings(), raw=await request.body(),
                                          signature=request.headers.get("x-hub-signature-256"))
    return ok({"received": True, "applied": applied})


@router.post("/gallabox", response_model=Envelope[StatusesReceived])
async def gallabox_status(request: Request, db: AsyncSession = Depends(get_db)):
    applied = await webhooks.receive_gallabox(db, get_settings(), raw=await request.body(),
                                              secret=request.headers.get(webhooks.GALLABOX_SECRET_HEADER))
    return ok({"received": True, "applied": applied})
