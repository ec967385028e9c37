"""The shape of the code, checked like behaviour: where imports may hide.

The dependency contracts themselves (layers, a pure grading.notebook, tasks importing
services, no cycles) are import-linter's, in pyproject.toml, run by `make lint`. An import
inside a function hides a dependency from those contracts' readers and often a cycle, so
the platform's own modules are imported at the top of a module, with the few exceptions
below, each for a reason.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("lms", "demo", "people", "cms", "curricula", "evidence", "courses", "grading", "reports")

# Where an import of the platform's own code must wait until it runs, and why.
ALLOWED = {
    # AppConfig.ready(): Django's place for wiring that needs the app registry.
    "apps.py": "AppConfig.ready",
    # Celery's worker signals run before Django's apps are loaded in the worker.
    "lms/celery.py": "worker start-up",
    # Settings are imported by everything; they must not import the apps.
    "lms/settings": "settings",
}


def _allowed(path: Path) -> bool:
    relative = path.relative_to(ROOT).as_posix()
    return any(
        relative.endswith(key) if key.endswith(".py") else relative.startswith(key)
        for key in ALLOWED
    )


def _hidden_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom):
                module = inner.module or ""
                own = inner.level > 0 or module.split(".")[0] in APPS
            elif isinstance(inner, ast.Import):
                own = any(alias.name.split(".")[0] in APPS for alias in inner.names)
            else:
                continue
            if own:
                found.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    return found


def _sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts or _allowed(path):
                continue
            yield path


def test_the_platform_imports_its_own_modules_at_the_top():
    hidden = [where for path in _sources() for where in _hidden_imports(path)]
    assert hidden == [], "imports inside functions:\n" + "\n".join(hidden)


@pytest.mark.parametrize("app", APPS)
def test_every_app_is_a_package(app):
    assert (ROOT / app / "__init__.py").exists()
