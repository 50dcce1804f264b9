"""Clinicians' profile pictures: staff upload (type from magic bytes, 2 MiB cap); public read of generated names."""

from __future__ import annotations

import struct
import zlib

import pytest

from clinicops.clinicians import photos
from clinicops.config import get_settings
from tests.builders.auth import served_org
from tests.builders.people import bearer, make_staff

URL = "/api/upload/clinician-profile"


def tiny_png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


async def staff_headers(db, role: str = "ADMIN") -> dict[str, str]:
    org = await served_org(db)
    return bearer(await make_staff(db, org=org, role=role))


def upload(data: bytes, filename: str = "me.png", content_type: str = "image/png") -> dict:
    return {"files": {"profilePicture": (filename, data, content_type)}}


@pytest.mark.parametrize("role", ["ADMIN", "MANAGER", "CENTRE_MANAGER"])
async def test_staff_upload_a_png_and_anyone_reads_it_back(client, db, role):
    png = tiny_png()
    response = await client.post(URL, headers=await staff_headers(db, role), **upload(png, "../../evil.png"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    image_url = body["data"]["imageUrl"]
    prefix = get_settings().public_base_url.rstrip("/") + "/api/uploads/clinicians/"
    assert image_url.startswith(prefix)
    name = image_url.removeprefix(prefix)
    assert photos.NAME.fullmatch(name) and name.endswith(".png") and "evil" not in name
    assert (photos.directory(get_settings()) / name).read_bytes() == png

    read = await client.get(f"/api/uploads/clinicians/{name}")  # no token: the picture is public
    assert read.status_code == 200
    assert read.content == png
    assert read.headers["content-type"] == "image/png"
    assert read.headers["cache-control"] == "public, max-age=86400"


@pytest.mark.parametrize(("head", "extension", "content_type"), [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "jpg", "image/jpeg"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "webp", "image/webp"),
])
async def test_jpeg_and_webp_are_detected_from_their_bytes(client, db, head, extension, content_type):
    data = head + b"\x00" * 64
    response = await client.post(URL, headers=await staff_headers(db),
                                 **upload(data, "photo.bin", "application/octet-stream"))
    assert response.status_code == 200, response.text
    name = response.json()["data"]["imageUrl"].rsplit("/", 1)[1]
    assert name.endswith(f".{extension}")
    read = await client.get(f"/api/uploads/clinicians/{name}")
    assert read.status_code == 200 and read.content == data and read.headers["content-type"] == content_type


async def test_front_desk_may_not_upload(client, db):
    response = await client.post(URL, headers=await staff_headers(db, "FRONT_DESK"), **upload(tiny_png()))
    assert response.status_code == 403
    assert response.json()["success"] is False


async def test_no_token_is_401(client, db):
    response = await client.post(URL, **upload(tiny_png()))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


async def test_a_text_file_renamed_png_is_refused(client, db):
    response = await client.post(URL, headers=await staff_headers(db), **upload(b"hello, not an image\n" * 10))
    assert response.status_code == 422
    body = response.json()
    assert body["success"] is False
    assert [d["field"] for d in body["error"]["details"]] == ["profilePicture"]


async def test_a_missing_field_is_422(client, db):
    response = await client.post(URL, headers=await staff_headers(db),
                                 files={"other": ("me.png", tiny_png(), "image/png")})
    assert response.status_code == 422
    assert "profilePicture" in response.text


async def test_over_2_mib_is_413_in_the_envelope(client, db):
    data = tiny_png() + b"\x00" * (photos.MAX_BYTES)
    response = await client.post(URL, headers=await staff_headers(db), **upload(data))
    assert response.status_code == 413
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == "PAYLOAD_TOO_LARGE" and body["message"]


@pytest.mark.parametrize("name", [
    "..%2F..%2Fetc%2Fpasswd", "..%2Fpg%2Fpostgresql.conf", "0123456789abcdef0123456789abcdef.png",
    "0123456789abcdef0123456789abcdef.txt", "passwd", ".hidden.png",
])
async def test_only_generated_names_that_exist_are_served(client, db, name):
    response = await client.get(f"/api/uploads/clinicians/{name}")
    assert response.status_code == 404
    assert response.json()["success"] is False
