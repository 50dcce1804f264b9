"""One settings object for the whole service (environment prefix ``CLINICOPS_``)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    STAGING = "staging"
    PRODUCTION = "production"


DEV_ACCESS_SECRET = "dev-access-secret-change-me-0123456789abcdef"
DEV_REFRESH_SECRET = "dev-refresh-secret-change-me-0123456789abcdef"
DEV_RAZORPAY_KEY_ID = "rzp_test_offline"
DEV_RAZORPAY_KEY_SECRET = "offline-razorpay-key-secret"
DEV_RAZORPAY_WEBHOOK_SECRET = "offline-razorpay-webhook-secret"
_DEFAULT_SECRETS = {
    DEV_ACCESS_SECRET,
    DEV_REFRESH_SECRET,
    DEV_RAZORPAY_KEY_SECRET,
    DEV_RAZORPAY_WEBHOOK_SECRET,
}

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class RateLimit:
    """A limit written ``COUNT/PERIOD`` such as ``3/10m``."""

    def __init__(self, spec: str):
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*", spec)
        if not match:
            raise ValueError(f"rate limit {spec!r} must look like 3/10m")
        self.count = int(match.group(1))
        self.period = timedelta(seconds=int(match.group(2) or 1) * _PERIODS[match.group(3)])
        self.spec = spec.strip()

    def __repr__(self) -> str:
        return f"RateLimit({self.spec!r})"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLINICOPS_", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    database_url: str | None = None
    data_dir: Path = Path("./.clinicops")
    # Per process. Sized so that a burst is served by kept connections: overflow connections are closed when
    # returned, so a pool that overflows under steady load opens and closes a connection per burst
    # (docs/benchmarks.md, issue 10). Requests beyond size + overflow wait for a connection (pool timeout).
    db_pool_size: int = 20
    db_pool_overflow: int = 10
    db_pool_timeout_s: float = 10.0
    # Off: a pre-ping costs three round trips per pooled checkout with asyncpg (BEGIN; SELECT; ROLLBACK), a quarter
    # of the slot reads' throughput. Dropped connections still recover: SQLAlchemy invalidates the whole pool on
    # the first disconnect error, so after a database restart one request per process gets a 503, the next reconnect.
    db_pool_pre_ping: bool = False

    jwt_access_secret: str = DEV_ACCESS_SECRET
    jwt_refresh_secret: str = DEV_REFRESH_SECRET
    jwt_access_ttl: int = Field(default=15 * 60, description="seconds")
    jwt_refresh_ttl: int = Field(default=7 * 24 * 3600, description="seconds")
    jwt_issuer: str = "clinicops"
    jwt_audience: str = "clinicops-api"

    default_organization: str = "main"
    inline_worker: bool | None = None

    whatsapp_provider: str = "console"
    gallabox_base_url: str = "https://server.gallabox.com"
    gallabox_api_key: str = ""
    gallabox_api_secret: str = ""
    gallabox_channel_id: str = ""
    gallabox_webhook_secret: str = ""
    meta_base_url: str = "https://graph.facebook.com/v21.0"
    meta_access_token: str = ""
    meta_phone_number_id: str = ""
    meta_app_secret: str = ""
    meta_verify_token: str = ""
    whatsapp_language: str = "en"
    whatsapp_template_map: str = ""  # JSON: per-template provider name, language, parameter order

    payment_provider: str = "offline"
    razorpay_base_url: str = "https://api.razorpay.com/v1"
    razorpay_key_id: str = DEV_RAZORPAY_KEY_ID
    razorpay_key_secret: str = DEV_RAZORPAY_KEY_SECRET
    razorpay_webhook_secret: str = DEV_RAZORPAY_WEBHOOK_SECRET
    patient_hold_minutes: int = 15
    staff_hold_minutes: int = 24 * 60
    payment_link_minutes: int = 30

    video_provider: str = "offline"
    google_service_account_file: str = ""
    google_service_account_json: str = ""
    google_calendar_id: str = "primary"
    google_impersonate_user: str = ""

    # Unset: no cross-origin browser access, except loopback origins (any port) in development.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = 10 * 1024 * 1024
    request_timeout_s: float = 30.0
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    public_base_url: str = "http://127.0.0.1:8000"
    outbound_timeout_s: float = 10.0

    log_level: str = "INFO"
    log_format: str = "auto"  # auto: coloured lines in development on a terminal, JSON otherwise; json; console

    otp_sends_per_phone: str = "3/10m"
    otp_sends_per_phone_daily: str = "10/1d"
    otp_sends_per_ip: str = "30/10m"
    login_failures_per_account: str = "10/15m"
    login_attempts_per_ip: str = "60/1m"

    @field_validator("cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        """Both forms the docs show: ``a,b`` (comma list) and ``["a","b"]`` (JSON list)."""
        if isinstance(value, str):
            if value.strip().startswith("["):
                return json.loads(value)
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from sqlalchemy.engine import make_url

        try:
            url = make_url(value.strip())
        except Exception as exc:  # sqlalchemy's parse errors name the bad part (a port that is not a number)
            raise ValueError(f"not a database URL: {exc}") from None
        if url.get_backend_name() not in ("postgresql", "postgres"):
            raise ValueError("must be a PostgreSQL URL: postgresql://user:password@host:5432/database")
        return value.strip()

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("log level must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("log_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        chosen = value.strip().lower()
        if chosen not in ("auto", "json", "console"):
            raise ValueError("log format must be auto, json or console")
        return chosen

    @field_validator(
        "otp_sends_per_phone",
        "otp_sends_per_phone_daily",
        "otp_sends_per_ip",
        "login_failures_per_account",
        "login_attempts_per_ip",
    )
    @classmethod
    def _valid_limit(cls, value: str) -> str:
        RateLimit(value)
        return value

    def limit(self, name: str) -> RateLimit:
        return RateLimit(getattr(self, name))

    @property
    def is_production(self) -> bool:
        return self.env == Environment.PRODUCTION

    @property
    def shows_internals(self) -> bool:
        """Stack traces and /docs are for development only."""
        return self.env == Environment.DEVELOPMENT

    @property
    def cors_origin_regex(self) -> str | None:
        """Development front ends on this machine (``npm run dev`` on any port) may call the API."""
        if self.env == Environment.DEVELOPMENT:
            return r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?"
        return None

    @property
    def runs_inline_worker(self) -> bool:
        if self.inline_worker is None:
            return not self.is_production
        return self.inline_worker

    def problems(self) -> list[str]:
        """What makes these settings unfit for production (empty when fit or not production)."""
        if self.env != Environment.PRODUCTION:
            return []
        found: list[str] = []
        if not self.database_url:
            found.append("CLINICOPS_DATABASE_URL must be set in production (no embedded PostgreSQL)")
        for name in ("jwt_access_secret", "jwt_refresh_secret"):
            value = getattr(self, name)
            if value in _DEFAULT_SECRETS or len(value) < 32:
                found.append(f"CLINICOPS_{name.upper()} is missing, a default, or shorter than 32 characters")
        if self.jwt_access_secret == self.jwt_refresh_secret:
            found.append("CLINICOPS_JWT_ACCESS_SECRET and CLINICOPS_JWT_REFRESH_SECRET must differ")
        if self.whatsapp_provider not in ("gallabox", "meta"):
            found.append("CLINICOPS_WHATSAPP_PROVIDER must be gallabox or meta in production")
        elif self.whatsapp_provider == "gallabox" and not (
            self.gallabox_api_key and self.gallabox_api_secret and self.gallabox_channel_id
        ):
            found.append("CLINICOPS_GALLABOX_API_KEY, _API_SECRET and _CHANNEL_ID are required")
        elif self.whatsapp_provider == "meta" and not (
            self.meta_access_token and self.meta_phone_number_id and self.meta_app_secret
        ):
            found.append("CLINICOPS_META_ACCESS_TOKEN, _PHONE_NUMBER_ID and _APP_SECRET are required")
        if self.payment_provider != "razorpay":
            found.append("CLINICOPS_PAYMENT_PROVIDER must be razorpay in production")
        for name in ("razorpay_key_secret", "razorpay_webhook_secret"):
            if getattr(self, name) in _DEFAULT_SECRETS or not getattr(self, name):
                found.append(f"CLINICOPS_{name.upper()} is missing or a default")
        if self.razorpay_key_id == DEV_RAZORPAY_KEY_ID:
            found.append("CLINICOPS_RAZORPAY_KEY_ID is missing or a default")
        if self.video_provider != "google":
            found.append("CLINICOPS_VIDEO_PROVIDER must be google in production")
        elif not (self.google_service_account_file or self.google_service_account_json):
            found.append("CLINICOPS_GOOGLE_SERVICE_ACCOUNT_FILE or _JSON is required")
        if "*" in self.cors_origins:
            found.append("CLINICOPS_CORS_ORIGINS must list the allowed origins in production, not *")
        return found


class SettingsError(RuntimeError):
    pass


@lru_cache
def get_settings() -> Settings:
    settings = Settings()
    problems = settings.problems()
    if problems:
        raise SettingsError("refusing to start in production:\n  - " + "\n  - ".join(problems))
    return settings


def reset_settings() -> None:
    get_settings.cache_clear()
