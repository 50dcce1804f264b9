"""Shared building blocks with no business logic."""
