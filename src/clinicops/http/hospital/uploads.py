"""/api/upload/clinician-profile and /api/uploads/clinicians/{name}: clinicians' profile pictures.

The admin panel uploads a picture (multipart field ``profilePicture``), reads ``data.imageUrl`` and saves it as the
clinician's ``profile_picture_url``. Reading a picture is public, as the clinician directory is.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, File, UploadFile
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from clinicops.authz import policies
from clinicops.authz.principal import Principal
from clinicops.clinicians import photos
from clinicops.config import get_settings
from clinicops.errors import NotFound, PayloadTooLarge, ValidationFailed
from clinicops.http.deps import require
from clinicops.http.hospital.schemas.operations import PICTURE, UploadedPicture
from clinicops.http.responses import Envelope
from clinicops.http.routing import new_router
from clinicops.http.envelope import ok

router = new_router(tags=["uploads"])
Uploader = Annotated[Principal, Depends(require(policies.MANAGE_CLINICIAN_PROFILES))]
Picture = Annotated[UploadFile, File(alias="profilePicture", description="JPEG, PNG or WebP, at most 2 MiB")]
FIELD = "profilePicture"
CACHE_CONTROL = "public, max-age=86400"


@router.post("/upload/clinician-profile", response_model=Envelope[UploadedPicture],
             summary="Upload a clinician's profile picture (JPEG, PNG or WebP, 2 MiB)")
async def upload_clinician_profile(picture: Picture, principal: Uploader):
    try:
        data = await picture.read(photos.MAX_BYTES + 1)
    finally:
        await picture.close()
    if len(data) > photos.MAX_BYTES:
        raise PayloadTooLarge("The picture is larger than 2 MiB")
    extension = photos.detect(data[:16])
    if extension is None:
        raise ValidationFailed(FIELD, "profilePicture must be a JPEG, PNG or WebP image")
    settings = get_settings()
    name = await run_in_threadpool(photos.save, settings, data, extension)
    return ok({"imageUrl": photos.public_url(settings, name)})


@router.get("/uploads/clinicians/{name}", summary="A clinician's profile picture (public)",
            response_class=FileResponse, responses={200: PICTURE})
async def clinician_picture(name: str):
    found = await run_in_threadpool(photos.locate, get_settings(), name)
    if found is None:
        raise NotFound("No such picture")
    path, content_type = found
    return FileResponse(path, media_type=content_type, headers={"Cache-Control": CACHE_CONTROL})
