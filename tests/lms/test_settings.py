"""Production settings: `check --deploy` is clean, and a missing secret stops the start."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DEBUG",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",  # a test-only switch, never part of a deployment
        }
    }
    clean.update(DJANGO_SETTINGS_MODULE="lms.settings.production", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checklist():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="skills.example.az",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _manage("check", ALLOWED_HOSTS="skills.example.az")
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


def test_production_refuses_a_weak_secret_key():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", SECRET_KEY="short", ALLOWED_HOSTS="x"
    )
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout


def _production_value(expression: str, **env: str) -> str:
    script = f"from django.conf import settings; print({expression})"
    result = _manage(
        "shell",
        "-c",
        script,
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="skills.example.az",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]  # after the shell's own banner


def test_production_keeps_database_connections_and_checks_them_before_reuse():
    value = _production_value(
        "settings.DATABASES['default']['CONN_MAX_AGE'], "
        "settings.DATABASES['default']['CONN_HEALTH_CHECKS']"
    )
    assert value == "60 True"


def test_production_reads_sessions_from_a_shared_cache_only():
    shared = _production_value("settings.SESSION_ENGINE", CACHE_URL="redis://127.0.0.1:6379/9")
    assert shared == "django.contrib.sessions.backends.cached_db"
    # a cache of each process's own would keep a session another process ended
    local = _production_value("settings.SESSION_ENGINE", CACHE_URL="locmemcache://")
    assert local == "django.contrib.sessions.backends.db"
