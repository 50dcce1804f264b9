"""Read-only clinics: while a clinic's bill is unpaid past its grace period, every change on /api/v1 is refused
with 402 ``SUBSCRIPTION_PAST_DUE`` and every read still works; nothing is deleted.

Applied once, in ``build_router``, to every module but those a read-only clinic still needs: signing in and out
(``auth``), seeing and paying its bill (``billing``), and a patient's export or erasure (``data_rights``: the
clinic's legal duty to the patient does not wait for its bill). The rule is ``organizations.plans.ensure_writable``.
"""

from __future__ import annotations

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.authz.principal import Principal
from clinicops.http.deps import current_principal, get_db
from clinicops.organizations import plans

READS = frozenset({"GET", "HEAD", "OPTIONS"})
EXEMPT_MODULES = frozenset({"auth", "billing", "data_rights"})


async def refuse_changes_while_read_only(request: Request, principal: Principal = Depends(current_principal),
                                         session: AsyncSession = Depends(get_db)) -> None:
    if request.method in READS or principal.organization_kind != "CLINIC" or principal.organization_id is None:
        return  # a read, or not a clinic's member (the route itself refuses those)
    await plans.ensure_writable(session, principal.organization_id)


WRITABLE = [Depends(refuse_changes_while_read_only)]
