"""The shape of the code, checked like behaviour: where imports may hide.

The dependency contracts themselves (layers, a pure grading.notebook, tasks importing
services, no cycles) are import-linter's, in pyproject.toml, run by `make lint`. An import
inside a function hides a dependency from those contracts' readers and often a cycle, so
the platform's own modules are imported at the top of a module, with the few exceptions
below, each for a reason.
"""

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "lms",
    "demo",
    "people",
    "sso",
    "cms",
    "curricula",
    "evidence",
    "xapi",
    "courses",
    "grading",
    "reports",
    "credentials",
    "lti",
)

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


# ---------------------------------------------------------------------------------------
# Templates follow the layers too: an app's templates load the template tag libraries of
# its own app and of the apps below it, never of an app above it (nor of a sibling in an
# independent layer). A lower app's page that shows an upper app's part names a place for
# it instead (e.g. people.sections' hooks), and the upper app registers what goes there.
# ---------------------------------------------------------------------------------------

# (template, tag library) -> why this template may load an upper app's library.
TEMPLATE_LOAD_EXCEPTIONS = {
    ("courses/templates/courses/blocks/exercise.html", "grading_tags"): (
        "the lesson's notebook exercise block: a StreamField block of courses whose value "
        "is a grading.Exercise (chosen by name, not imported) renders grading's exercise "
        "panel in place; a block has one template and no place for other apps to register"
    ),
}

TEMPLATE_SUFFIXES = (".html", ".txt", ".xml", ".svg")
LOAD = re.compile(r"{%\s*load\s+(.+?)\s*%}")


def _layer_ranks() -> tuple[dict[str, int], set[str]]:
    """Each app's layer, lowest 0, from the import-linter contract in pyproject.toml, and
    the apps that share a layer without being independent (":" rather than "|")."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "layers")
    ranks, open_siblings = {}, set()
    for rank, layer in enumerate(reversed(contract["layers"])):
        separator = ":" if ":" in layer else "|"
        apps = [name.strip() for name in layer.split(separator)]
        for app in apps:
            ranks[app] = rank
        if separator == ":":
            open_siblings.update(apps)
    return ranks, open_siblings


def _tag_libraries() -> dict[str, str]:
    """Tag library name -> the app whose templatetags/ folder holds it."""
    owners: dict[str, list[str]] = {}
    for app in APPS:
        for path in sorted((ROOT / app / "templatetags").glob("*.py")):
            if path.stem != "__init__":
                owners.setdefault(path.stem, []).append(app)
    clashes = {name: apps for name, apps in owners.items() if len(apps) > 1}
    assert clashes == {}, f"tag libraries with one name in several apps: {clashes}"
    return {name: apps[0] for name, apps in owners.items()}


def _loaded_libraries(text: str) -> list[str]:
    """The libraries of every {% load %}: `{% load a b %}` and `{% load x y from lib %}`."""
    found = []
    for match in LOAD.finditer(text):
        words = match.group(1).split()
        found += [words[-1]] if "from" in words else words
    return found


def _templates():
    for app in APPS:
        for path in sorted((ROOT / app / "templates").rglob("*")):
            if path.suffix in TEMPLATE_SUFFIXES:
                yield app, path


def _upward_loads() -> list[tuple[str, str, str]]:
    ranks, open_siblings = _layer_ranks()
    libraries = _tag_libraries()
    found = []
    for app, path in _templates():
        for library in _loaded_libraries(path.read_text()):
            owner = libraries.get(library)  # None: Django's, Wagtail's, a package's
            if owner is None or owner == app:
                continue
            below = ranks[owner] < ranks[app]
            sibling = ranks[owner] == ranks[app] and {app, owner} <= open_siblings
            if not (below or sibling):
                found.append((path.relative_to(ROOT).as_posix(), library, owner))
    return found


def test_the_layers_know_every_app():
    ranks, _open = _layer_ranks()
    assert set(APPS) <= set(ranks)


def test_templates_load_no_tag_library_of_an_app_above():
    upward = [
        f"{template} loads {library} ({owner})"
        for template, library, owner in _upward_loads()
        if (template, library) not in TEMPLATE_LOAD_EXCEPTIONS
    ]
    assert upward == [], "templates that load an upper app's tags:\n" + "\n".join(upward)


def test_every_template_load_exception_is_still_needed():
    used = {(template, library) for template, library, _owner in _upward_loads()}
    assert set(TEMPLATE_LOAD_EXCEPTIONS) <= used, "stale exceptions: remove them"


@pytest.mark.parametrize(
    ("text", "libraries"),
    [
        ("{% load i18n static courses_tags %}", ["i18n", "static", "courses_tags"]),
        ('{% extends "base.html" %}{% load grading_tags %}', ["grading_tags"]),
        ("{% load score exercise_panel from grading_tags %}", ["grading_tags"]),
        ("{%load  wagtailcore_tags  %}", ["wagtailcore_tags"]),
    ],
)
def test_loads_are_read_in_every_form(text, libraries):
    assert _loaded_libraries(text) == libraries
