from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text,
                        Uuid, func, text)
from sqlalchemy.orm import Mapped, mapped_column

from clinicops.kit.models import Base, IdMixin, TimestampMixin

ROLES = ("ADMIN", "MANAGER", "CENTRE_MANAGER", "CLINICIAN", "CARE_COORDINATOR", "FRONT_DESK")
OTP_PURPOSES = ("LOGIN", "SIGNUP", "PASSWORD_RESET", "STAFF_LOGIN", "CLINIC_REGISTRATION", "CLINIC_LOGIN",
                "CLINIC_RESET")
SIGN_IN_REQUEST_KINDS = ("REGISTRATION", "LOGIN", "PASSWORD_RESET")


class User(IdMixin, TimestampMixin, Base):
    """A person who signs in: staff of one organization, or a patient (no organization)."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("user_type IN ('STAFF', 'PATIENT')", name="user_type"),
        CheckConstraint("(user_type = 'STAFF') = (organization_id IS NOT NULL)", name="staff_has_org"),
        Index("uq_users_staff_phone", "organization_id", "phone", unique=True,
              postgresql_where=text("user_type = 'STAFF' AND NOT is_deleted")),
        Index("uq_users_patient_phone", "phone", unique=True,
              postgresql_where=text("user_type = 'PATIENT' AND NOT is_deleted")),
        Index("uq_users_username", text("lower(username)"), unique=True,
              postgresql_where=text("username IS NOT NULL AND NOT is_deleted")),
        Index("ix_users_phone", "phone"),
    )

    organization_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("organizations.id"))
    user_type: Mapped[str] = mapped_column(String(10))
    phone: Mapped[str] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(255))
    username: Mapped[str | None] = mapped_column(String(50))
    password_hash: Mapped[str | None] = mapped_column(Text)
    full_name: Mapped[str] = mapped_column(String(150), server_default="")
    avatar_url: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    is_deleted: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    token_version: Mapped[int] = mapped_column(Integer, server_default="0")
    # Set when someone else chose the password (a new doctor's temporary one): the user may sign in, but the
    # clinic surface refuses everything else until they change it.
    must_change_password: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UserRole(IdMixin, Base):
    __tablename__ = "user_roles"
    __table_args__ = (
        CheckConstraint("role IN " + str(ROLES), name="role"),
        Index("uq_user_roles_user_role_centre", "user_id", "role", text("coalesce(centre_id, 0)"), unique=True),
    )

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    centre_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("centres.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AuthSession(IdMixin, Base):
    """One refresh token. ``family_id`` groups a sign-in and every token rotated from it."""

    __tablename__ = "auth_sessions"
    __table_args__ = (
        CheckConstraint("policy IN ('ROTATING', 'STATIC')", name="policy"),
        Index("ix_auth_sessions_family", "family_id"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    parent_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("auth_sessions.id", ondelete="SET NULL"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    policy: Mapped[str] = mapped_column(String(10))
    surface: Mapped[str] = mapped_column(String(20))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(40))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class OtpRequest(IdMixin, Base):
    __tablename__ = "otp_requests"
    __table_args__ = (
        CheckConstraint("purpose IN " + str(OTP_PURPOSES), name="purpose"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_otp_requests_phone_purpose", "phone", "purpose", "created_at"),
    )

    phone: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RateLimitHit(IdMixin, Base):
    """One counted event for a limit key (``otp:phone:+91…``); limits hold across processes."""

    __tablename__ = "rate_limit_hits"
    __table_args__ = (Index("ix_rate_limit_hits_key_at", "key", "created_at"),)

    key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SignInRequest(IdMixin, Base):
    """One step-one answer of the clinic surface's two-step flows (register, login, forgot password): the id the
    caller brings back with the code. ``user_id`` is NULL when the phone is not staff of the clinic, so the reply
    is the same whether or not it is (the code is simply never sent)."""

    __tablename__ = "sign_in_requests"
    __table_args__ = (
        CheckConstraint("kind IN " + str(SIGN_IN_REQUEST_KINDS), name="kind"),
        Index("ix_sign_in_requests_phone_kind", "phone", "kind", "created_at"),
    )

    kind: Mapped[str] = mapped_column(String(20))
    organization_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("organizations.id", ondelete="CASCADE"),
                                                 index=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(20))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
