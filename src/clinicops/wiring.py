"""The composition root: what a process needs before its first unit of work, in one place.

- every model, so every foreign key resolves at the first flush (a lone worker imports few models by itself);
- every module that registers a lifecycle effect (a refund, a message, a Meet link): the lifecycle knows none of
  them, so a process that does not import them would change statuses without their effects;
- every job module, so the job app a worker builds knows every task (``jobs.get_app()`` binds the tasks
  registered so far).

Entry points call :func:`install` (``main.create_app``, the ``clinicops`` command, the tests); the lifecycle
refuses to run an event before it (``lifecycle.effects.EffectsNotInstalled``).
"""

from __future__ import annotations

# Models (the schema: foreign keys resolve only between imported models).
from clinicops.analytics.models import Report  # noqa: F401
from clinicops.appointments.models import Appointment, AppointmentEvent  # noqa: F401
from clinicops.audit.models import AuditEvent  # noqa: F401
from clinicops.auth.models import AuthSession, OtpRequest, RateLimitHit, User, UserRole  # noqa: F401
from clinicops.billing.models import Invoice, PlanDay  # noqa: F401
from clinicops.clinicians.models import AvailabilityException, AvailabilityRule, Clinician  # noqa: F401
from clinicops.kit.idempotency import IdempotencyKey  # noqa: F401
from clinicops.kit.models import Base
from clinicops.messaging.models import OutboxMessage  # noqa: F401
from clinicops.organizations.models import Centre, Organization, Subscription  # noqa: F401
from clinicops.patients.models import CareRelationship, ClinicalNote, Patient, PatientRegistration  # noqa: F401
from clinicops.payments.models import Payment, WebhookEvent  # noqa: F401
from clinicops.queues.models import Queue  # noqa: F401
from clinicops.visits.models import Visit  # noqa: F401
from clinicops.privacy.models import ErasureRequest  # noqa: F401

# Lifecycle effects (importing a module registers its effects).
from clinicops.lifecycle import effects
from clinicops.messaging import notify  # noqa: F401  (confirmation, cancellation and reschedule messages)
from clinicops.payments import refunds  # noqa: F401  (the refund due on a cancellation)
from clinicops.video import service as video  # noqa: F401  (Meet links on confirmation and on a move)

# Jobs (importing a module registers its tasks on jobs.tasks).
from clinicops.appointments import tasks as appointment_tasks  # noqa: F401
from clinicops.auth import tasks as auth_tasks  # noqa: F401
from clinicops.billing import tasks as billing_tasks  # noqa: F401  (also registers invoice payment links)
from clinicops.messaging import tasks as messaging_tasks  # noqa: F401
from clinicops.payments import tasks as payment_tasks  # noqa: F401
from clinicops.video import tasks as video_tasks  # noqa: F401

metadata = Base.metadata


def install() -> None:
    """Make this process ready (idempotent): every lifecycle effect registered, or a loud failure."""
    effects.install()
