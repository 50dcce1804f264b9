"""What a staff username, password and email must look like: one rule for the API and the command line."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

USERNAME_PATTERN = r"^[A-Za-z0-9._@-]{3,50}$"
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128

_USERNAME = re.compile(USERNAME_PATTERN)


def username_problem(username: str) -> str | None:
    if not _USERNAME.match(username):
        return "username must be 3 to 50 letters, digits or . _ @ -"
    return None


def password_problem(password: str) -> str | None:
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        return f"password must be {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters"
    return None


def normalized_email(email: str) -> str:
    """The address as stored (domain lower-cased), or ValueError naming what is wrong with it."""
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"email is not valid: {exc}") from None
