"""Patient data rights: export of one patient's record (JSON, PDF) and erasure requests (issue 11)."""
