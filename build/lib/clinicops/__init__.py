"""ClinicOps: one backend for hospital chains and small clinics."""

__version__ = "0.1.0"
