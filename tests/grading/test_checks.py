"""The unsandboxed development mode is loud: a system check warns at every start."""

from django.core import checks
from django.test import override_settings

from grading.sandbox import bubblewrap as sandbox


def ids():
    return [m.id for m in checks.run_checks(tags=[checks.Tags.security])]


def test_no_warning_when_the_sandbox_is_available():
    assert "grading.W001" not in ids() and "grading.W002" not in ids()


@override_settings(GRADING_ALLOW_UNSANDBOXED=True)
def test_unsandboxed_mode_is_announced():
    assert "grading.W001" in ids()


def test_a_machine_without_bubblewrap_is_announced(monkeypatch):
    monkeypatch.setattr(sandbox, "bubblewrap_available", lambda: False)
    assert "grading.W002" in ids()
