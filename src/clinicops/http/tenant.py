"""Which organization a request acts in, decided here at the edge and passed into the services.

Staff act in their own organization (``principal.organization_id``). The hospital surface's anonymous routes and
its patients act in its public organization, the one ``CLINICOPS_DEFAULT_ORGANIZATION`` names: this module is the
only place that setting is read for a request, and no service looks the public organization up by itself.

- :func:`public_organization` reads the row fresh on every request (its status, fee, cities and time zone are
  the current ones): patient routes and sign-in.
- The hot public reads (slot lists, the clinician directory) get an :class:`OrganizationKey` naming it by slug
  instead, which their one query resolves: nothing is looked up here, and nothing is remembered between requests.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.authz.principal import Principal
from clinicops.config import get_settings
from clinicops.errors import NotFound
from clinicops.http.deps import current_principal, get_db, optional_principal
from clinicops.organizations import service as organizations
from clinicops.organizations.keys import OrganizationKey
from clinicops.organizations.models import Organization


async def public_organization(db: AsyncSession) -> Organization:
    """The organization the hospital surface serves; 404 until it exists and is active."""
    org = await organizations.by_slug(db, get_settings().default_organization)
    if org is None or org.status != "ACTIVE":
        raise NotFound("This service is not set up yet")
    return org


def public_key() -> OrganizationKey:
    """The public organization by slug, for a read whose own query looks it up and checks it is active."""
    return OrganizationKey(slug=get_settings().default_organization)


def _staff_organization(principal: Principal | None) -> int | None:
    if principal is not None and principal.is_staff and principal.organization_id is not None:
        return principal.organization_id
    return None


async def _public_organization(db: AsyncSession = Depends(get_db)) -> Organization:
    return await public_organization(db)


async def _public_key() -> OrganizationKey:
    return public_key()


async def _acting_organization_id(principal: Principal = Depends(current_principal),
                                  db: AsyncSession = Depends(get_db)) -> int:
    return _staff_organization(principal) or (await public_organization(db)).id


async def _reader_organization_id(principal: Principal | None = Depends(optional_principal),
                                  db: AsyncSession = Depends(get_db)) -> int:
    return _staff_organization(principal) or (await public_organization(db)).id


async def _reader_key(principal: Principal | None = Depends(optional_principal)) -> OrganizationKey:
    staff_org = _staff_organization(principal)
    return OrganizationKey(id=staff_org) if staff_org is not None else public_key()


# The public organization, read fresh (patient sign-in, staff sign-in by phone).
PublicOrganization = Annotated[Organization, Depends(_public_organization)]
# The public organization by slug, for the hot anonymous reads (their query checks it is active).
PublicKey = Annotated[OrganizationKey, Depends(_public_key)]
# Signed-in routes for staff and patients alike: the staff member's organization, or the public one for a patient.
ActingOrganizationId = Annotated[int, Depends(_acting_organization_id)]
# Routes open to everyone: staff read their own organization, anyone else the public one (read fresh) ...
ReaderOrganizationId = Annotated[int, Depends(_reader_organization_id)]
# ... or, for the hot reads, a key naming it (by id for staff, by slug for anyone else).
ReaderKey = Annotated[OrganizationKey, Depends(_reader_key)]
