"""Read-only clinics: while a clinic's bill is unpaid past its grace period, every change its staff make is
refused with 402 ``SUBSCRIPTION_PAST_DUE`` and every read still works; nothing is deleted. The rule is
``organizations.plans.ensure_writable``; this guard applies it on both surfaces.

Each surface mounts it on every module but those a read-only clinic still needs: on ``/api/v1`` signing in and
out (``auth``), seeing and paying its bill (``billing``) and a patient's export or erasure (``data_rights``: the
clinic's legal duty to the patient does not wait for its bill); on ``/api`` signing in and out (``auth``,
``patient_auth``). It refuses only a clinic's staff: a hospital chain has no plan, a patient's own booking or
payment is not the clinic's change, and an anonymous call (a webhook, a public read) is left to its route.

A read costs nothing here (the method is checked first; no dependency is resolved for it), so the hot public reads
are not slowed down.
"""

from __future__ import annotations

from fastapi import Depends, Request

from clinicops.http.deps import optional_principal
from clinicops.organizations import plans

READS = frozenset({"GET", "HEAD", "OPTIONS"})


async def refuse_changes_while_read_only(request: Request) -> None:
    if request.method in READS:
        return
    session = request.state.db
    principal = await optional_principal(request, session)  # an invalid token: the route's own check answers 401
    if (principal is None or not principal.is_staff or principal.organization_kind != "CLINIC"
            or principal.organization_id is None):
        return
    await plans.ensure_writable(session, principal.organization_id)


WRITABLE = [Depends(refuse_changes_while_read_only)]
