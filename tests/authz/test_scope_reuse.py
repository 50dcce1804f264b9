"""``scopes.reuse``: a statement built from the rules is shared only by principals the rules cannot tell apart."""

from __future__ import annotations

from dataclasses import replace

from clinicops.authz import scopes
from clinicops.authz.patient_scope import PatientScope
from clinicops.authz.principal import Principal, Role

DOCTOR = Principal(user_id=1, user_type="STAFF", organization_id=10, roles=frozenset({Role.CLINICIAN}),
                   role_centres={Role.CLINICIAN: frozenset({3})}, clinician_id=7)


def _built(subject, key=("k",)):
    return scopes.reuse(subject, key, object)  # a fresh object per build: identity tells a reuse


def test_an_equal_principal_and_key_reuse_the_statement():
    assert _built(DOCTOR) is _built(replace(DOCTOR, full_name="other name", session_family="f2"))


def test_anything_the_rules_read_or_the_key_builds_anew():
    first = _built(DOCTOR)
    for other in (replace(DOCTOR, user_id=2), replace(DOCTOR, organization_id=11), replace(DOCTOR, clinician_id=8),
                  replace(DOCTOR, roles=frozenset({Role.CLINICIAN, Role.ADMIN})),
                  replace(DOCTOR, role_centres={Role.CLINICIAN: frozenset({3}), Role.FRONT_DESK: frozenset({4})}),
                  replace(DOCTOR, user_type="PATIENT"), replace(DOCTOR, patient_id=5)):
        assert _built(other) is not first, other
    assert _built(DOCTOR, ("other key",)) is not first


def test_a_patients_scope_is_never_reused():
    scope = PatientScope(patient_id=5, organization_id=10)
    assert _built(scope) is not _built(scope)
