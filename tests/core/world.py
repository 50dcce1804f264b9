"""The core tests' world: two organizations that differ in everything an organization decides.

| | organization A (a hospital chain) | organization B (a clinic) |
|---|---|---|
| zone | Asia/Kolkata (+05:30) | Asia/Dubai (+04:00) |
| registration fee | ₹100 | ₹250 |
| free cancellation | 24 hours | 6 hours |
| centre, clinician | centre A, clinician A (₹1500) | centre B, clinician B (₹900) |

Each clinician works every day at their own centre: IN_PERSON 09:00–13:00 and ONLINE 14:00–17:00, 30-minute slots,
wall-clock in the centre's zone. Each organization has an ADMIN and a FRONT_DESK of its centre. The patient ``shared``
is registered with both organizations (one login); ``only_a`` is registered with A alone. Principals are built
directly (the HTTP edge's job is tested elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment, AppointmentEvent
from clinicops.auth.models import User
from clinicops.authz.principal import Principal, Role
from clinicops.clinicians.models import Clinician
from clinicops.kit.timezones import zone
from clinicops.messaging.models import OutboxMessage
from clinicops.organizations.models import Centre, Organization
from clinicops.patients.models import Patient, PatientRegistration
from clinicops.payments.models import Payment
from tests.builders.clinicians import add_rule, make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import make_patient, make_staff

IN_PERSON = (time(9, 0), time(13, 0))
ONLINE = (time(14, 0), time(17, 0))


@dataclass
class Side:
    """One organization with its centre, clinician and staff."""

    org: Organization
    centre: Centre
    clinician: Clinician
    clinician_user: User
    admin: User
    desk: User
    day: date  # three days ahead in the centre's zone: every slot of it is bookable

    def at(self, hhmm: str, day: date | None = None) -> datetime:
        """The instant of a wall-clock time at the centre."""
        return datetime.combine(day or self.day, time.fromisoformat(hhmm), tzinfo=zone(self.centre.timezone))

    @property
    def admin_principal(self) -> Principal:
        return Principal(user_id=self.admin.id, user_type="STAFF", organization_id=self.org.id,
                         roles=frozenset({Role.ADMIN}), role_centres={Role.ADMIN: None})

    @property
    def desk_principal(self) -> Principal:
        return Principal(user_id=self.desk.id, user_type="STAFF", organization_id=self.org.id,
                         roles=frozenset({Role.FRONT_DESK}),
                         role_centres={Role.FRONT_DESK: frozenset({self.centre.id})})

    @property
    def clinician_principal(self) -> Principal:
        return Principal(user_id=self.clinician_user.id, user_type="STAFF", organization_id=self.org.id,
                         roles=frozenset({Role.CLINICIAN}), clinician_id=self.clinician.id,
                         role_centres={Role.CLINICIAN: frozenset({self.centre.id})})


@dataclass
class World:
    a: Side
    b: Side
    shared: Patient  # registered with A and B
    shared_user: User
    only_a: Patient  # registered with A only
    only_a_user: User

    def patient(self, patient: Patient | None = None) -> Principal:
        """The patient's principal (their request's organization is chosen by the surface, passed separately)."""
        patient = patient or self.shared
        user_id = self.shared_user.id if patient.id == self.shared.id else self.only_a_user.id
        return Principal(user_id=user_id, user_type="PATIENT", organization_id=None, patient_id=patient.id)


async def _side(db: AsyncSession, *, name: str, kind: str, timezone: str, fee_paise: int, registration_fee: int,
                free_hours: int, city: str, cities: tuple[str, ...]) -> Side:
    org = await make_org(db, name=f"Organization {name}", kind=kind, timezone=timezone, cities=cities,
                         registration_fee_paise=registration_fee, free_cancellation_hours=free_hours)
    centre = await make_centre(db, org=org, name=f"Centre {name}", city=city, timezone=timezone)
    clinician = await make_clinician(db, org=org, centre=centre, full_name=f"Dr. {name}", fee_paise=fee_paise,
                                     weekdays=tuple(range(7)), start=IN_PERSON[0], end=IN_PERSON[1])
    for weekday in range(7):
        await add_rule(db, clinician=clinician, centre=centre, weekday=weekday, start=ONLINE[0], end=ONLINE[1],
                       mode="ONLINE")
    clinician_user = await db.get(User, clinician.user_id)
    assert clinician_user is not None
    admin = await make_staff(db, org=org, role="ADMIN", full_name=f"Admin {name}")
    desk = await make_staff(db, org=org, role="FRONT_DESK", centres=[centre], full_name=f"Desk {name}")
    day = datetime.now(zone(timezone)).date() + timedelta(days=3)
    return Side(org, centre, clinician, clinician_user, admin, desk, day)


async def build(db: AsyncSession) -> World:
    a = await _side(db, name="A", kind="CHAIN", timezone="Asia/Kolkata", fee_paise=1500_00, registration_fee=100_00,
                    free_hours=24, city="bangalore", cities=("bangalore", "kochi", "mumbai"))
    b = await _side(db, name="B", kind="CLINIC", timezone="Asia/Dubai", fee_paise=900_00, registration_fee=250_00,
                    free_hours=6, city="dubai", cities=())
    shared = await make_patient(db, org=a.org, first_name="Asha", last_name="Shared")
    db.add(PatientRegistration(organization_id=b.org.id, patient_id=shared.id, mrn=f"B{shared.id:06d}"))
    only_a = await make_patient(db, org=a.org, first_name="Anil", last_name="Only")
    await db.flush()
    return World(a, b, shared, await _user(db, shared), only_a, await _user(db, only_a))


async def _user(db: AsyncSession, patient: Patient) -> User:
    user = await db.get(User, patient.user_id)
    assert user is not None
    return user


# --- reading what a use case wrote ---------------------------------------------------------------------------

async def events(db: AsyncSession, appointment_id: int) -> list[tuple]:
    """The status history: (from, to, actor, reason), oldest first."""
    rows = await db.execute(select(AppointmentEvent).where(AppointmentEvent.appointment_id == appointment_id)
                            .order_by(AppointmentEvent.id))
    return [(e.from_status, e.to_status, e.actor, e.reason) for e in rows.scalars()]


async def outbox(db: AsyncSession, appointment_id: int) -> list[OutboxMessage]:
    rows = await db.execute(select(OutboxMessage).where(OutboxMessage.appointment_id == appointment_id)
                            .order_by(OutboxMessage.id))
    return list(rows.scalars())


async def templates(db: AsyncSession, appointment_id: int) -> list[str]:
    return [m.template for m in await outbox(db, appointment_id)]


async def count(db: AsyncSession, model, *where) -> int:
    return (await db.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def appointments_of(db: AsyncSession, clinician: Clinician) -> list[Appointment]:
    rows = await db.execute(select(Appointment).where(Appointment.clinician_id == clinician.id)
                            .order_by(Appointment.id).execution_options(populate_existing=True))
    return list(rows.scalars())


async def payments_of(db: AsyncSession, appointment_id: int) -> list[Payment]:
    rows = await db.execute(select(Payment).where(Payment.appointment_id == appointment_id).order_by(Payment.id)
                            .execution_options(populate_existing=True))
    return list(rows.scalars())


async def registration(db: AsyncSession, org: Organization, patient: Patient) -> PatientRegistration | None:
    return (await db.execute(select(PatientRegistration).where(
        PatientRegistration.organization_id == org.id, PatientRegistration.patient_id == patient.id)
        .execution_options(populate_existing=True))).scalar_one_or_none()


async def reload(db: AsyncSession, row):
    await db.refresh(row)
    return row
