"""Clinic billing: invoices per cycle, payment links to the clinic admin, grace and read-only (issue 11)."""
