"""Plan features as a route guard, for either surface: a clinic whose plan lacks the feature gets 403
``FEATURE_NOT_IN_PLAN`` naming the plan that has it (organizations without a plan, hospital chains, pass).

    @router.get("/revenue", dependencies=[requires_feature(Feature.ADVANCED_ANALYTICS)])
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.authz.principal import Principal
from clinicops.http.deps import current_principal, get_db
from clinicops.organizations import plans
from clinicops.organizations.plans import Feature


def requires_feature(feature: Feature) -> Any:
    async def in_plan(principal: Principal = Depends(current_principal),
                      session: AsyncSession = Depends(get_db)) -> None:
        if principal.organization_kind == "CLINIC" and principal.organization_id is not None:  # chains: no plan
            await plans.ensure_feature(session, principal.organization_id, feature)

    return Depends(in_plan)
