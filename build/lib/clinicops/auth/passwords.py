"""argon2id for new hashes; bcrypt hashes from the first backend still verify and are upgraded on login."""

from __future__ import annotations

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id, library defaults (RFC 9106 low-memory profile)
MAX_PASSWORD_BYTES = 1024


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, stored_hash: str | None) -> bool:
    if not stored_hash or not password or len(password.encode()) > MAX_PASSWORD_BYTES:
        return False
    if stored_hash.startswith(("$2a$", "$2b$", "$2y$")):
        encoded = password.encode()
        if len(encoded) > 72:  # bcrypt 5 raises beyond 72 bytes; such a password never matched a bcrypt hash
            return False
        try:
            return bcrypt.checkpw(encoded, stored_hash.encode())
        except ValueError:
            return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    if stored_hash.startswith(("$2a$", "$2b$", "$2y$")):
        return True
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


# Spent on unknown accounts so a login for a missing user costs as much as a wrong password.
DUMMY_HASH = hash_password("not-a-real-password-0f9a8c")
