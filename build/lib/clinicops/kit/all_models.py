"""Imports every model so the metadata is complete (Alembic, tests)."""

from clinicops.analytics.models import Report  # noqa: F401
from clinicops.appointments.models import Appointment, AppointmentEvent  # noqa: F401
from clinicops.audit.models import AuditEvent  # noqa: F401
from clinicops.auth.models import AuthSession, OtpRequest, RateLimitHit, User, UserRole  # noqa: F401
from clinicops.clinicians.models import AvailabilityException, AvailabilityRule, Clinician  # noqa: F401
from clinicops.kit.idempotency import IdempotencyKey  # noqa: F401
from clinicops.kit.models import Base
from clinicops.messaging.models import OutboxMessage  # noqa: F401
from clinicops.organizations.models import Centre, Organization, Subscription  # noqa: F401
from clinicops.patients.models import CareRelationship, ClinicalNote, Patient, PatientRegistration  # noqa: F401
from clinicops.payments.models import Payment, WebhookEvent  # noqa: F401
from clinicops.queues.models import Queue  # noqa: F401
from clinicops.visits.models import Visit  # noqa: F401

metadata = Base.metadata
