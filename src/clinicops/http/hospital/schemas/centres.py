"""/api/centres."""

from __future__ import annotations

from clinicops.http.responses import Instant, WireModel


class Centre(WireModel):
    """The documented Centre, with the snake_case address lines the website reads and the one-line ``address``
    (the lines joined with ", ") the admin panel renders; ``phone`` is the 10-digit national number."""

    id: int
    name: str
    city: str
    address: str
    addressLine1: str | None
    addressLine2: str | None
    address_line_1: str | None
    address_line_2: str | None
    pincode: str | None
    phone: str | None
    contactPhone: str | None
    contact_phone: str | None
    timezone: str
    isActive: bool
    is_active: bool
    isDeleted: bool
    createdAt: Instant
    updatedAt: Instant
