"""The fixed part of the demo data: organizations, centres, staff, clinicians and their weekly hours."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

DEMO_PASSWORD = "Demo@1234"
CHAIN_SLUG = "main"
CLINIC_SLUG = "sunrise-clinic"
TIMEZONE = "Asia/Kolkata"

MON, TUE, WED, THU, FRI, SAT = 1, 2, 3, 4, 5, 6  # 0 = Sunday, as availability_rules store it

# The chain operates in the three cities the hospital spec names and charges a one-time registration fee of 100
# rupees; the clinic has its own city and no such fee. Both keep the default 24-hour free-cancellation window.
CHAIN = {"slug": CHAIN_SLUG, "name": "Mibo Mental Health", "kind": "CHAIN", "timezone": TIMEZONE,
         "address": "100 Feet Road, Indiranagar, Bengaluru 560038", "phone": "+919845000001",
         "email": "care@mibo.example.com", "whatsapp_number": "+919845000001",
         "cities": ["bangalore", "kochi", "mumbai"], "registration_fee_paise": 100_00, "free_cancellation_hours": 24}

CENTRES = (
    {"city": "bangalore", "name": "Mibo Indiranagar", "address_line1": "12, 100 Feet Road, Indiranagar",
     "pincode": "560038", "phone": "+919845000011", "email": "bangalore@mibo.example.com"},
    {"city": "kochi", "name": "Mibo Panampilly Nagar", "address_line1": "4th Cross Road, Panampilly Nagar",
     "pincode": "682036", "phone": "+919845000012", "email": "kochi@mibo.example.com"},
    {"city": "mumbai", "name": "Mibo Bandra", "address_line1": "21, Linking Road, Bandra West",
     "pincode": "400050", "phone": "+919845000013", "email": "mumbai@mibo.example.com"},
)


@dataclass(frozen=True)
class StaffSeed:
    username: str
    full_name: str
    role: str
    phone: str  # 10 digits, as staff type it
    city: str | None = None  # the centre a centre-scoped role is limited to


CHAIN_STAFF = (
    StaffSeed("admin", "Aarti Menon", "ADMIN", "9900000101"),
    StaffSeed("manager", "Rahul Verma", "MANAGER", "9900000102"),
    StaffSeed("centre.manager", "Kavya Nair", "CENTRE_MANAGER", "9900000103", "bangalore"),
    StaffSeed("care.coordinator", "Farah Sheikh", "CARE_COORDINATOR", "9900000104"),
    StaffSeed("front.desk", "Suresh Kumar", "FRONT_DESK", "9900000105", "bangalore"),
)


@dataclass(frozen=True)
class Hours:
    """One weekly rule: these weekdays, these wall-clock hours, this mode, at the centre in ``city``."""

    weekdays: tuple[int, ...]
    start: time
    end: time
    mode: str
    city: str


@dataclass(frozen=True)
class ClinicianSeed:
    username: str
    full_name: str
    phone: str
    specializations: tuple[str, ...]
    qualifications: tuple[str, ...]
    languages: tuple[str, ...]
    fee_paise: int
    duration: int
    years: int
    bio: str
    hours: tuple[Hours, ...]
    expertise: tuple[str, ...] = ()
    registration_number: str = ""
    daily_token_limit: int | None = None
    advance_paise: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def cities(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(h.city for h in self.hours))


def _h(weekdays, start: str, end: str, mode: str, city: str) -> Hours:
    return Hours(tuple(weekdays), time.fromisoformat(start), time.fromisoformat(end), mode, city)


CHAIN_CLINICIANS = (
    ClinicianSeed(
        "dr.meera", "Dr. Meera Iyer", "9900000201", ("Psychiatry",), ("MBBS", "MD (Psychiatry)"),
        ("English", "Hindi", "Tamil"), 1600_00, 30, 14,
        "Consultant psychiatrist for mood and anxiety disorders; combines medication with brief therapy.",
        (_h((MON, WED, FRI), "10:00", "14:00", "IN_PERSON", "bangalore"),
         _h((TUE, THU, SAT), "15:00", "19:00", "ONLINE", "bangalore")),
        expertise=("Depression", "Anxiety", "Bipolar disorder"), registration_number="KMC-48213"),
    ClinicianSeed(
        "dr.arjun", "Dr. Arjun Rao", "9900000202", ("Clinical Psychology",), ("M.Phil (Clinical Psychology)",),
        ("English", "Kannada", "Telugu"), 1200_00, 50, 9,
        "RCI-registered clinical psychologist practising CBT and ACT for adults and couples.",
        (_h((MON, TUE, THU), "11:00", "17:40", "IN_PERSON", "bangalore"),
         _h((WED, SAT), "10:00", "14:10", "ONLINE", "bangalore")),
        expertise=("CBT", "Couples therapy", "Stress"), registration_number="RCI-A21457"),
    ClinicianSeed(
        "dr.anjali", "Dr. Anjali Menon", "9900000203", ("Psychiatry",), ("MBBS", "DPM", "DNB (Psychiatry)"),
        ("English", "Malayalam", "Hindi"), 1400_00, 30, 11,
        "Psychiatrist with a focus on addiction and sleep; sees patients in Kochi and online.",
        (_h((MON, TUE, WED, THU, FRI), "09:30", "13:30", "IN_PERSON", "kochi"),
         _h((SAT,), "10:00", "13:00", "ONLINE", "kochi")),
        expertise=("De-addiction", "Sleep disorders"), registration_number="TCMC-30917"),
    ClinicianSeed(
        "dr.thomas", "Dr. Thomas Kurian", "9900000204", ("Counselling Psychology",), ("MSc (Psychology)",),
        ("English", "Malayalam"), 900_00, 50, 6,
        "Counsellor for students and young professionals: exam stress, relationships and grief.",
        (_h((TUE, THU, SAT), "14:00", "18:10", "IN_PERSON", "kochi"),
         _h((MON, WED, FRI), "17:00", "20:20", "ONLINE", "kochi")),
        expertise=("Grief", "Academic stress"), registration_number="RCI-B55102"),
    ClinicianSeed(
        "dr.sana", "Dr. Sana Qureshi", "9900000205", ("Child and Adolescent Psychiatry",),
        ("MBBS", "MD (Psychiatry)", "Fellowship (CAP)"), ("English", "Hindi", "Marathi", "Urdu"), 1800_00, 30, 12,
        "Child and adolescent psychiatrist: ADHD, autism assessments and parent guidance.",
        (_h((MON, WED, FRI), "10:00", "16:00", "IN_PERSON", "mumbai"),
         _h((TUE, THU), "18:00", "21:00", "ONLINE", "mumbai")),
        expertise=("ADHD", "Autism", "Parenting"), registration_number="MMC-2009-4471"),
    ClinicianSeed(
        "dr.vikram", "Dr. Vikram Shah", "9900000206", ("Psychiatry", "Psychotherapy"), ("MBBS", "MD (Psychiatry)"),
        ("English", "Hindi", "Gujarati"), 2000_00, 50, 18,
        "Senior psychiatrist and psychotherapist; also consults at Indiranagar on Saturdays.",
        (_h((TUE, THU), "10:00", "15:50", "IN_PERSON", "mumbai"),
         _h((MON, WED), "17:00", "20:20", "ONLINE", "mumbai"),
         _h((SAT,), "10:00", "13:20", "IN_PERSON", "bangalore")),
        expertise=("OCD", "Trauma", "Psychotherapy"), registration_number="MMC-1999-1288"),
)

DEMO_CLINICIAN_LOGIN = "dr.meera"

CLINIC = {"slug": CLINIC_SLUG, "name": "Sunrise Family Clinic", "kind": "CLINIC", "timezone": TIMEZONE,
          "address": "8, FC Road, Shivajinagar, Pune 411005", "phone": "+919880000001",
          "email": "hello@sunrise-clinic.example.com", "whatsapp_number": "+919880000001",
          "cities": ["pune"], "registration_fee_paise": 0, "free_cancellation_hours": 24}
CLINIC_CENTRE = {"city": "pune", "name": "Sunrise Family Clinic", "address_line1": "8, FC Road, Shivajinagar",
                 "pincode": "411005", "phone": "+919880000001", "email": "hello@sunrise-clinic.example.com"}
CLINIC_ADMIN = StaffSeed("sunrise.admin", "Neha Kulkarni", "ADMIN", "9880000101")
CLINIC_DOCTORS = (
    ClinicianSeed(
        "dr.anil", "Dr. Anil Deshpande", "9880000102", ("General Medicine",), ("MBBS", "MD (Medicine)"),
        ("English", "Marathi", "Hindi"), 500_00, 15, 20, "Family physician for adults and the elderly.",
        (_h((MON, TUE, WED, THU, FRI, SAT), "09:00", "13:00", "IN_PERSON", "pune"),
         _h((MON, WED, FRI), "18:00", "19:30", "ONLINE", "pune")),
        registration_number="MMC-1994-0873", daily_token_limit=40, advance_paise=100_00),
    ClinicianSeed(
        "dr.priya", "Dr. Priya Joshi", "9880000103", ("Paediatrics",), ("MBBS", "DCH"),
        ("English", "Marathi"), 600_00, 15, 8, "Paediatrician: vaccinations, growth and common illnesses.",
        (_h((MON, TUE, WED, THU, FRI, SAT), "16:00", "20:00", "IN_PERSON", "pune"),),
        registration_number="MMC-2012-5530", daily_token_limit=30, advance_paise=100_00),
)
CLINIC_SUBSCRIPTION = {"plan": "BASIC", "price_per_doctor_paise": 799_00, "max_doctors": 3,
                       "billing_cycle": "MONTHLY", "status": "ACTIVE"}

FIRST_NAMES = ("Aarav", "Ananya", "Rohan", "Diya", "Karthik", "Ishita", "Vivek", "Sneha", "Aditya", "Pooja",
               "Nikhil", "Lakshmi", "Siddharth", "Meghna", "Harish", "Divya", "Manoj", "Nandini", "Rahul",
               "Shreya", "Imran", "Fatima", "Joseph", "Maria", "Gurpreet", "Simran", "Arjun", "Kavitha",
               "Pranav", "Ritu")
LAST_NAMES = ("Sharma", "Reddy", "Nair", "Iyer", "Patel", "Menon", "Gupta", "Das", "Pillai", "Khan",
              "Fernandes", "Singh", "Kulkarni", "Bhat", "Chatterjee", "Joshi", "Rao", "Thomas", "Mehta", "Varghese")
PATIENT_PHONE_BASE = 9845001000  # valid Indian mobile numbers; patient i gets base + i
EXTRA_STAFF_PHONE_BASE = 9900010000
