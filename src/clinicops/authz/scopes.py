"""Which rows a caller may read: one condition per resource, the only place these rules are written.

Every repository starts its caller-facing statements from these conditions, so a row outside them is simply not
found (404, the same answer as an id that does not exist), for reads and writes alike. The caller is either a staff
:class:`Principal` or a signed-in patient's :class:`PatientScope` (their own rows in the organization their
request acts in, ``authz.patient_scope``); a patient principal without a scope sees nothing.

For staff, one rule runs through every resource:
- ADMIN and MANAGER (or any desk role held for every centre): their whole organization;
- CENTRE_MANAGER, CARE_COORDINATOR, FRONT_DESK: the rows of their centres;
- a CLINICIAN: their own appointments, wherever they are, and the patients they see (an appointment with them,
  or a care relationship: the clinic surface's "a doctor sees only their own patients");
- a clinician who also holds a desk role sees the union: their own everywhere, and their desk centres.
A payment, a Meet link, a visit or a queue token is visible exactly when its appointment is; the rows that have
no appointment follow the patient (payments) or their own clinician (visits, queues), and org-wide staff see all
of their organization's visits.

The clinic surface's care records (a clinic is an organization with one centre, its DOCTOR a lone clinician):
- ``patient_records``: an organization's own record of a patient (its registration), for its staff; a doctor only
  their own patients';
- ``care_relationships``: a doctor-patient association, for org-wide staff and its own doctor;
- ``doctor_records``: whose patient lists and visits a caller may open: org-wide staff any doctor of their
  organization, a doctor only their own;
- ``visit_notes``: a private note on a visit only for its author and the organization's ADMIN.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true, union
from sqlalchemy.orm import aliased

from clinicops.appointments.models import Appointment
from clinicops.authz.patient_scope import PatientScope
from clinicops.authz.principal import Principal, Role
from clinicops.clinicians.models import Clinician
from clinicops.patients.models import CareRelationship, ClinicalNote, Patient, PatientRegistration
from clinicops.payments.models import Payment
from clinicops.queues.models import Queue
from clinicops.visits.models import Visit

Subject = Principal | PatientScope

# The subqueries' own tables: aliases, so a statement using a rule never correlates them with its own tables. Made
# once: a fresh alias per call would redo SQLAlchemy's column adaptation on every request.
_READABLE = aliased(Appointment, name="scope_appointment")
_REGISTRATION = aliased(PatientRegistration, name="scope_registration")
_SEEN = aliased(Appointment, name="scope_seen")
_CARE = aliased(CareRelationship, name="scope_care")
_DESK_CLINICIAN = aliased(Clinician, name="scope_clinician")


_BUILT: dict[tuple, Any] = {}
_BUILT_MAX = 256  # statements of the busiest principals; a built statement holds its column collections


def reuse(subject: Subject, key: tuple, build: Callable[[], Any]) -> Any:
    """A statement built from these rules for ``subject`` (``build()``), reused for later requests of an equal
    staff principal and ``key`` (the caller's other inputs; values that vary per request go in as bind
    parameters): building a rule's subqueries costs more CPU than running them. The principal's part of the key
    is everything the rules read of it; a patient's scope is never reused."""
    if isinstance(subject, PatientScope):
        return build()
    full = (subject.user_id, subject.user_type, subject.organization_id, subject.roles,
            tuple(sorted((str(role), centres) for role, centres in subject.role_centres.items())),
            subject.clinician_id, subject.patient_id, *key)
    found = _BUILT.get(full)
    if found is None:
        if len(_BUILT) >= _BUILT_MAX:
            _BUILT.pop(next(iter(_BUILT)))  # the oldest
        found = _BUILT[full] = build()
    return found


def _staff_org(subject: Subject) -> int | None:
    """The staff member's organization; None for a patient principal or staff without one (they see nothing)."""
    if isinstance(subject, PatientScope) or not subject.is_staff:
        return None
    return subject.organization_id


def _centres_or_own(principal: Principal, centre: ColumnElement, clinician: ColumnElement) -> ColumnElement[bool]:
    """Rows at the principal's desk centres (every centre for org-wide roles) or of their own clinician."""
    centres = principal.centre_scope()
    if centres is None:
        return true()
    parts: list[ColumnElement[bool]] = []
    if centres:
        parts.append(centre.in_(sorted(centres)))
    if principal.own_clinician_id is not None:
        parts.append(clinician == principal.own_clinician_id)
    return or_(*parts) if parts else false()


def appointments(subject: Subject, model: Any = Appointment) -> ColumnElement[bool]:
    """The appointments (and so their queue tokens and Meet links) ``subject`` may read; ``model``: an alias of
    ``Appointment`` to put the condition on."""
    if isinstance(subject, PatientScope):
        return and_(*subject.of(model))
    org = _staff_org(subject)
    if org is None:
        return false()
    return and_(model.organization_id == org, _centres_or_own(subject, model.centre_id, model.clinician_id))


def _appointment_readable(subject: Subject, appointment_id: ColumnElement) -> ColumnElement[bool]:
    """EXISTS: the appointment ``appointment_id`` (a column of the outer row) is one ``subject`` may read."""
    appointment = _READABLE
    return (select(appointment.id).where(appointment.id == appointment_id, appointments(subject, appointment))
            .correlate_except(appointment).exists())


meet_links = appointments  # a Meet link lives on its appointment and is seen with it


def sessions(principal: Principal) -> ColumnElement[bool]:
    """The appointments ``principal`` conducts (their own as a clinician): the only ones whose session they start,
    end or write the record of. Not a reading rule: a clinician who manages a centre reads more than they conduct."""
    org = _staff_org(principal)
    if org is None or principal.own_clinician_id is None:
        return false()
    return and_(Appointment.organization_id == org, Appointment.clinician_id == principal.own_clinician_id)


def tokens(subject: Subject) -> ColumnElement[bool]:
    """Queue tokens: appointments with a place in a queue, seen with their appointment."""
    return and_(appointments(subject), Appointment.queue_id.is_not(None))


def patient_ids(subject: Subject) -> Select:
    """The ids of the patients ``subject`` may read, as a subquery: desk roles every patient registered with their
    organization (the desk registers and books them), a clinician those with an appointment with them or in their
    active care, a patient themselves (if registered with the organization their request acts in).

    Its tables are aliases, so the statement it is used in never correlates them with its own."""
    registration = _REGISTRATION
    if isinstance(subject, PatientScope):
        return select(registration.patient_id).where(registration.patient_id == subject.patient_id,
                                                     registration.organization_id == subject.organization_id)
    org = _staff_org(subject)
    if org is None:
        return select(registration.patient_id).where(false())
    centres = subject.centre_scope()
    if centres is None or centres:
        return select(registration.patient_id).where(registration.organization_id == org)
    own = subject.own_clinician_id
    if own is None:
        return select(registration.patient_id).where(false())
    appointment, care = _SEEN, _CARE
    return union(
        select(appointment.patient_id).where(appointment.organization_id == org, appointment.clinician_id == own),
        select(care.patient_id).where(care.organization_id == org, care.clinician_id == own, care.status == "ACTIVE"))


def patients(subject: Subject) -> ColumnElement[bool]:
    """The patient records ``subject`` may read (a condition on ``Patient.id``)."""
    return Patient.id.in_(patient_ids(subject))


def payments(subject: Subject) -> ColumnElement[bool]:
    """A payment is seen with its appointment; one without an appointment (a registration fee) with its patient."""
    if isinstance(subject, PatientScope):
        return and_(*subject.of(Payment))
    org = _staff_org(subject)
    if org is None:
        return false()
    without_appointment = and_(Payment.appointment_id.is_(None), Payment.patient_id.in_(patient_ids(subject)))
    return and_(Payment.organization_id == org,
                or_(_appointment_readable(subject, Payment.appointment_id), without_appointment))


def visits(subject: Subject) -> ColumnElement[bool]:
    """A visit record is seen with its appointment; one without an appointment (a clinic's visit, recorded
    directly) by its own clinician and org-wide staff. Its private notes have their own rule: ``visit_notes``."""
    if isinstance(subject, PatientScope):
        return and_(*subject.of(Visit))
    org = _staff_org(subject)
    if org is None:
        return false()
    if subject.centre_scope() is None:
        return Visit.organization_id == org
    own = subject.own_clinician_id
    mine = Visit.clinician_id == own if own is not None else false()
    return and_(Visit.organization_id == org, or_(_appointment_readable(subject, Visit.appointment_id), mine))


def visit_notes(subject: Subject, model: Any = ClinicalNote) -> ColumnElement[bool]:
    """The notes on a visit ``subject`` may read, once they may read the visit: a private note only its author
    and their organization's ADMIN (not a manager, not another doctor, never a patient)."""
    org = _staff_org(subject)
    if org is None or isinstance(subject, PatientScope):
        return false()
    admin = true() if subject.has(Role.ADMIN) else false()
    return and_(model.organization_id == org, model.visit_id.is_not(None),
                or_(model.is_private.is_(False), model.author_user_id == subject.user_id, admin))


def patient_records(subject: Subject, model: Any = PatientRegistration) -> ColumnElement[bool]:
    """The organization's records of patients (its registrations, holding what it recorded about each person)
    ``subject`` may read: desk roles their organization's, a clinician their own patients' (``patient_ids``)."""
    if isinstance(subject, PatientScope):
        return and_(model.patient_id == subject.patient_id, model.organization_id == subject.organization_id)
    org = _staff_org(subject)
    if org is None:
        return false()
    centres = subject.centre_scope()
    if centres is None or centres:
        return model.organization_id == org
    own = subject.own_clinician_id
    if own is None:
        return false()
    # ``patient_ids``'s clinician rule, as EXISTS probes per record (index lookups) rather than IN over the
    # doctor's whole list: a search reads a few records, a doctor may have thousands of patients
    appointment, care = _SEEN, _CARE
    seen = (select(appointment.id).where(appointment.patient_id == model.patient_id,
                                         appointment.organization_id == org, appointment.clinician_id == own)
            .correlate_except(appointment).exists())
    in_care = (select(care.id).where(care.patient_id == model.patient_id, care.organization_id == org,
                                     care.clinician_id == own, care.status == "ACTIVE")
               .correlate_except(care).exists())
    return and_(model.organization_id == org, or_(seen, in_care))


def _clinician_at_desk(principal: Principal, clinician_id: ColumnElement) -> ColumnElement[bool]:
    """The clinician is the principal's own, or (for desk roles) works mainly at one of their centres."""
    centres = principal.centre_scope()
    if centres is None:
        return true()
    parts: list[ColumnElement[bool]] = []
    if centres:
        desk = _DESK_CLINICIAN
        parts.append(clinician_id.in_(select(desk.id).where(desk.primary_centre_id.in_(sorted(centres)))))
    if principal.own_clinician_id is not None:
        parts.append(clinician_id == principal.own_clinician_id)
    return or_(*parts) if parts else false()


def doctor_records(subject: Subject, model: Any = Clinician) -> ColumnElement[bool]:
    """The clinicians whose patient lists, associations and visits ``subject`` may open (a condition on
    ``Clinician``): org-wide staff every one of their organization, a clinician themselves."""
    org = _staff_org(subject)
    if org is None:
        return false()
    return and_(model.organization_id == org, _clinician_at_desk(subject, model.id))


def care_relationships(subject: Subject, model: Any = CareRelationship) -> ColumnElement[bool]:
    """Doctor-patient associations: org-wide staff their organization's, a clinician their own."""
    org = _staff_org(subject)
    if org is None:
        return false()
    return and_(model.organization_id == org, _clinician_at_desk(subject, model.clinician_id))


def queues(subject: Subject) -> ColumnElement[bool]:
    """A clinician's daily queue: staff of its centre (all centres for org-wide roles) and its own clinician; a
    patient the queues they hold a token in."""
    if isinstance(subject, PatientScope):
        token = aliased(Appointment)
        holds_token = (select(token.id).where(token.queue_id == Queue.id, *subject.of(token))
                       .correlate_except(token).exists())
        return and_(Queue.organization_id == subject.organization_id, holds_token)
    org = _staff_org(subject)
    if org is None:
        return false()
    return and_(Queue.organization_id == org, _centres_or_own(subject, Queue.centre_id, Queue.clinician_id))
