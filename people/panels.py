"""The student's panel of the dashboard, cached per student until what it shows changes.

The panel is what `people/dashboard.html` shows a student: their classes, then the
sections the apps above register (`people.sections`: courses and the next step, recent
results, the skill profile, credentials). Drawing it takes a dozen queries and several
templates; a student opens the dashboard far more often than any of it changes. So it is
cached per student, language and time zone (`PANEL_SECONDS`), under versions that retire
it (as lms/cache.py's namespaces do):

- the student's own (`student_changed`): every write of what one student's panel shows
  calls it: an enrolment or a due date, progress, a quiz answer, evidence, a graded or
  regraded submission, a credential, a membership; a lesson visit moves only their
  activity's (`student_active`), so what depends on their work alone stays cached;
- everybody's (`students_changed`): a name any panel may show changed: a cohort, an
  institution, a competence, an exercise;
- those the apps add through the `STUDENT_PANEL_VERSIONS` hook: courses adds the pages'
  (cms.pagecache.PAGES), for the titles, addresses and lessons of courses.

A student's panel is only ever read under that student's key: nobody is served another
student's panel. Other views of what the panel shows (the API's my-progress) are cached
and retired with it (`student_cached`).

What depends on the clock is not cached as text. A section writes a mark instead
(`late_timesince`, `late_past`; the `people_sections` template filters of the same names)
and every rendering fills the marks in with the time of the request (`fill_in_time`), so
"last activity 3 minutes ago" and an overdue course stay exact while the panel is cached.
"""

from __future__ import annotations

import pickle
import re
import secrets
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.timesince import timesince
from wagtail import hooks

from lms.cache import ENTRY_SECONDS, Namespace

from . import sections, selectors
from .models import Cohort, Institution, Membership

# fn() -> Namespace: a namespace whose invalidation must retire every student's panel too
# (what the app's sections show every student: pages, names).
STUDENT_PANEL_VERSIONS = "people_student_panel_versions"

# Every student's panel at once: the names any panel may show.
EVERYBODY = Namespace("people:student-panels")

# A panel is kept for an hour after it was drawn (a student's visits to the dashboard come
# together: a lesson, a session), zlib-compressed (some 2 KB, 6 KB as drawn): the cache
# holds the panels of the students of the last hour, not of everybody.
PANEL_SECONDS = 3600


# A student's two versions: their work (`student_changed`: enrolments, progress, answers,
# results, memberships) and their activity (`student_active`: a lesson opened, which moves
# "last activity" and nothing else). The panel depends on both; what depends on the work
# alone (`student_work_cached`: what they did in a lesson) survives their reading.
WORK, ACTIVITY = "version", "activity"


def _version_key(student_id: int, kind: str = WORK) -> str:
    return f"people:student-panel:{student_id}:{kind}"


def _own_versions(student_id: int, kinds: tuple[str, ...] = (WORK, ACTIVITY)) -> tuple[int, ...]:
    """The student's versions (one round trip): random numbers, drawn again by each change.
    Unlike a `Namespace`'s they expire (a day after they were drawn): then they are drawn
    again, which retires the student's entries, and nobody keeps versions for every
    student."""
    keys = [_version_key(student_id, kind) for kind in kinds]
    found = cache.get_many(keys)
    versions = []
    for key in keys:
        version = found.get(key)
        if version is None:
            version = secrets.randbits(62)
            if not cache.add(key, version, ENTRY_SECONDS):
                version = cache.get(key, version)  # drawn by another reader meanwhile
        versions.append(version)
    return tuple(versions)


def student_changed(*student_ids: int) -> None:
    """Something these students' panels show changed (their work, enrolments, results).

    As `Namespace.invalidate`: at once, and again once the writer's transaction commits
    (a panel drawn from the old rows in between was drawn under a version already gone).
    Each time is one write to the cache for any number of students: a new version each."""
    _renew_soon(student_ids, WORK)


def student_active(*student_ids: int) -> None:
    """These students opened a lesson: their panel's "last activity" moved; what they
    did (`student_work_cached`) did not."""
    _renew_soon(student_ids, ACTIVITY)


def _renew_soon(student_ids, kind: str) -> None:
    if not student_ids:
        return
    ids = sorted(set(student_ids))
    _renew(ids, kind)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _renew(ids, kind), robust=True)


def _renew(student_ids: list[int], kind: str) -> None:
    versions = {_version_key(pk, kind): secrets.randbits(62) for pk in student_ids}
    cache.set_many(versions, ENTRY_SECONDS)


def students_changed() -> None:
    """Something every student's panel may show changed (a cohort's or an institution's
    name, a competence, an exercise's title)."""
    EVERYBODY.invalidate()


@dataclass(frozen=True)
class CohortLine:
    name: str
    institution: str
    track: str  # the track's label, in the panel's language


@dataclass(frozen=True)
class StudentPanel:
    cohorts: tuple[CohortLine, ...]
    sections: tuple[sections.Section, ...]


def _key(student_id: int, parts: tuple) -> str:
    versions = (
        *_own_versions(student_id),
        EVERYBODY.version(),
        *(fn().version() for fn in hooks.get_hooks(STUDENT_PANEL_VERSIONS)),
    )
    return ":".join(map(str, ("people:student-panel", student_id, *versions, *parts)))


def student_panel(request: HttpRequest) -> StudentPanel:
    """The request user's panel, from the cache while nothing it shows changed."""
    parts = ("panel", translation.get_language(), timezone.get_current_timezone_name())
    key = _key(request.user.pk, parts)
    stored = cache.get(key)
    if stored is not None:
        # what Django's cache backend does with every value: our own cache's bytes
        return pickle.loads(zlib.decompress(stored))  # noqa: S301
    panel = _draw(request)
    cache.set(key, zlib.compress(pickle.dumps(panel, pickle.HIGHEST_PROTOCOL)), PANEL_SECONDS)
    return panel


_MISSING = object()


def student_cached(student_id: int, parts: tuple, compute):
    """`compute()`, cached for one student under the versions that retire their panel:
    for another view of what the panel shows (the API's my-progress). `parts`: what else
    the value depends on (its name, the language, the time zone)."""
    key = _key(student_id, parts)
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, PANEL_SECONDS)
    return value


def student_work_cached(student_id: int, parts: tuple, compute, timeout: int = PANEL_SECONDS):
    """`compute()`, cached for one student until their work changes (`student_changed`),
    not their activity: what a student did in a lesson (their enrolment, progress and
    answers) read on every lesson page. `parts`: what else the value depends on.

    One round trip when cached: the student's work version and the entry are read
    together. The entry keeps the version it was computed under and counts only while that
    is still the student's version: one drawn since (their work changed, even while this
    was being computed) makes it a miss, as a key holding the version would."""
    version_key = _version_key(student_id, WORK)
    key = ":".join(map(str, ("people:student-work", student_id, *parts)))
    found = cache.get_many([version_key, key])
    version = found.get(version_key)
    if version is None:
        (version,) = _own_versions(student_id, (WORK,))  # expired: drawn again
    stored = found.get(key)
    if stored is not None and stored[0] == version:
        return stored[1]
    value = compute()
    cache.set(key, (version, value), timeout)
    return value


def _draw(request: HttpRequest) -> StudentPanel:
    cohorts = tuple(
        CohortLine(cohort.name, cohort.institution.name, cohort.get_track_display())
        for cohort in selectors.student_cohorts(user=request.user)
    )
    return StudentPanel(cohorts, tuple(sections.dashboard_sections(request, "student")))


# ---------------------------------------------------------------------------------------
# What depends on the clock: marks filled in at each rendering
# ---------------------------------------------------------------------------------------
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_MARK = re.compile("\ue000([sp])(-?[0-9]+)(?:\ue002([^\ue001]*))?\ue001")


def _instant(value: datetime) -> int:
    return (value - _EPOCH) // _MICRO


def late_timesince(value: datetime | None) -> str:
    """Django's `timesince` of `value`, worked out when the page is rendered."""
    return f"\ue000s{_instant(value)}\ue001" if value else ""


def late_past(value: datetime | None, text: str) -> str:
    """`text` once `value` is past, else nothing, worked out when the page is rendered."""
    return f"\ue000p{_instant(value)}\ue002{text}\ue001" if value else ""


def fill_in_time(html: str, now: datetime | None = None) -> str:
    """The marks of `html` replaced by what they say at `now` (the current time)."""
    if "\ue000" not in html:
        return html
    now = now or timezone.now()

    def fill(mark: re.Match) -> str:
        at = _EPOCH + int(mark[2]) * _MICRO
        if mark[1] == "s":
            return escape(timesince(at, now))
        return mark[3] if at < now else ""

    return _MARK.sub(fill, html)


# ---------------------------------------------------------------------------------------
# What people itself shows: a student's classes
# ---------------------------------------------------------------------------------------
def _membership_changed(sender, instance, **kwargs) -> None:
    student_changed(instance.user_id)


def _names_changed(**kwargs) -> None:
    students_changed()


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(
            _membership_changed, sender=Membership, dispatch_uid=f"panels-member-{id(signal)}"
        )
        for model in (Cohort, Institution):
            signal.connect(
                _names_changed, sender=model, dispatch_uid=f"panels-{model.__name__}-{id(signal)}"
            )
