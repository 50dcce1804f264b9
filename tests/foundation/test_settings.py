"""Production refuses default secrets, offline providers and a missing DATABASE_URL, naming each setting."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from clinicops.config import Settings, SettingsError, get_settings, reset_settings

STRONG = {
    "env": "production",
    "database_url": "postgresql://clinicops@db.internal/clinicops",
    "jwt_access_secret": "a" * 24 + "-access-secret-from-vault",
    "jwt_refresh_secret": "r" * 24 + "-refresh-secret-from-vault",
    "whatsapp_provider": "gallabox", "gallabox_api_key": "gk", "gallabox_api_secret": "gs",
    "gallabox_channel_id": "gc",
    "payment_provider": "razorpay", "razorpay_key_id": "rzp_live_abc", "razorpay_key_secret": "live-key-secret",
    "razorpay_webhook_secret": "live-webhook-secret",
    "video_provider": "google", "google_service_account_json": "{}",
    "cors_origins": ["https://admin.example.com"],
}


def _problems(**overrides) -> str:
    return "\n".join(Settings(**{**STRONG, **overrides}).problems())


def test_fully_configured_production_is_accepted():
    assert Settings(**STRONG).problems() == []


def test_defaults_are_fine_outside_production():
    assert Settings(env="development").problems() == []
    assert Settings(env="test").problems() == []


@pytest.mark.parametrize(("overrides", "named"), [
    ({"database_url": None}, "CLINICOPS_DATABASE_URL"),
    ({"jwt_access_secret": Settings().jwt_access_secret}, "CLINICOPS_JWT_ACCESS_SECRET"),
    ({"jwt_refresh_secret": Settings().jwt_refresh_secret}, "CLINICOPS_JWT_REFRESH_SECRET"),
    ({"jwt_access_secret": "short"}, "CLINICOPS_JWT_ACCESS_SECRET"),
    ({"whatsapp_provider": "console"}, "CLINICOPS_WHATSAPP_PROVIDER"),
    ({"gallabox_api_key": ""}, "CLINICOPS_GALLABOX_API_KEY"),
    ({"payment_provider": "offline"}, "CLINICOPS_PAYMENT_PROVIDER"),
    ({"razorpay_key_secret": Settings().razorpay_key_secret}, "CLINICOPS_RAZORPAY_KEY_SECRET"),
    ({"razorpay_webhook_secret": Settings().razorpay_webhook_secret}, "CLINICOPS_RAZORPAY_WEBHOOK_SECRET"),
    ({"razorpay_key_id": Settings().razorpay_key_id}, "CLINICOPS_RAZORPAY_KEY_ID"),
    ({"video_provider": "offline"}, "CLINICOPS_VIDEO_PROVIDER"),
    ({"cors_origins": ["*"]}, "CLINICOPS_CORS_ORIGINS"),
])
def test_production_names_each_wrong_setting(overrides, named):
    problems = _problems(**overrides)
    assert named in problems
    others = _problems()
    assert others == ""


def test_get_settings_refuses_production_defaults(monkeypatch):
    monkeypatch.setenv("CLINICOPS_ENV", "production")
    monkeypatch.delenv("CLINICOPS_DATABASE_URL", raising=False)
    reset_settings()
    try:
        with pytest.raises(SettingsError) as refused:
            get_settings()
    finally:
        monkeypatch.undo()
        reset_settings()
    message = str(refused.value)
    for name in ("CLINICOPS_DATABASE_URL", "CLINICOPS_JWT_ACCESS_SECRET", "CLINICOPS_WHATSAPP_PROVIDER",
                 "CLINICOPS_PAYMENT_PROVIDER", "CLINICOPS_VIDEO_PROVIDER"):
        assert name in message


def test_cli_prints_the_wrong_settings_and_exits_non_zero_without_a_traceback():
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINICOPS_")}
    env["CLINICOPS_ENV"] = "production"
    result = subprocess.run([sys.executable, "-m", "clinicops.cli", "serve", "--port", "1"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "CLINICOPS_DATABASE_URL" in result.stderr and "CLINICOPS_JWT_ACCESS_SECRET" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(("raw", "expected"), [
    ("https://a.example,https://b.example", ["https://a.example", "https://b.example"]),
    (" https://a.example , https://b.example ", ["https://a.example", "https://b.example"]),
    ('["https://a.example", "https://b.example"]', ["https://a.example", "https://b.example"]),
    ("https://a.example", ["https://a.example"]),
])
def test_list_settings_take_the_documented_comma_form_and_json(monkeypatch, raw, expected):
    monkeypatch.setenv("CLINICOPS_CORS_ORIGINS", raw)
    monkeypatch.setenv("CLINICOPS_TRUSTED_PROXIES", raw.replace("https://", "").replace("a.example", "10.0.0.10"))
    settings = Settings()
    assert settings.cors_origins == expected
    assert settings.trusted_proxies == [item.replace("https://", "").replace("a.example", "10.0.0.10")
                                        for item in expected]


def test_the_cli_starts_with_comma_list_settings_as_the_docs_write_them(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINICOPS_")}
    env.update(CLINICOPS_ENV="staging", CLINICOPS_CORS_ORIGINS="https://a.example,https://b.example",
               CLINICOPS_TRUSTED_PROXIES="10.0.0.10", CLINICOPS_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    result = subprocess.run([sys.executable, "-m", "clinicops.cli", "migrate"], env=env, capture_output=True,
                            text=True, timeout=60, cwd=tmp_path)
    # The settings parse; the command gets as far as the (absent) database and says so in one line.
    assert "invalid settings" not in result.stderr, result.stderr
    assert "cannot use the database" in result.stderr
    assert "Traceback" not in result.stderr
