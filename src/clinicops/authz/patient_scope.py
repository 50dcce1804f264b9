"""Which rows a signed-in patient may see or change: the one rule, for every table that has a patient.

A patient is one person across organizations (the same phone is registered at the chain and at a clinic), but a
patient's request acts in exactly one organization: the one whose patient website they use. The surface decides
which (the hospital surface: its public organization, ``http/tenant.py``) and passes it in. Their rows are those
with their ``patient_id`` AND that ``organization_id``; another organization's appointment, payment or message is
simply not found (404), for reads and writes alike.

Every patient-side read and write goes through :func:`patient_scope` and :meth:`PatientScope.of`; nothing filters a
patient's rows by ``patient_id`` alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement

from clinicops.authz.principal import Principal
from clinicops.errors import Forbidden


@dataclass(frozen=True)
class PatientScope:
    patient_id: int
    organization_id: int

    def of(self, model: Any) -> list[ColumnElement[bool]]:
        """The scope as conditions on any tenant table with ``patient_id`` and ``organization_id`` columns."""
        return [model.patient_id == self.patient_id, model.organization_id == self.organization_id]


def patient_scope(principal: Principal, organization_id: int) -> PatientScope:
    """The signed-in patient, in the organization their request acts in (see the module's docstring)."""
    if not principal.is_patient or principal.patient_id is None:
        raise Forbidden("This endpoint is for patients")
    return PatientScope(patient_id=principal.patient_id, organization_id=organization_id)
