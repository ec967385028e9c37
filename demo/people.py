"""Demo people: institutions in several regions for all three tracks, cohorts, and a user
for every role, whose credentials `load_demo` prints. Idempotent: running it again resets
the demo passwords and adds nothing twice."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

from people import services
from people.models import Cohort, Institution, Region, Role, Track, User

DEMO_PASSWORD = "demo-skills-2026"  # noqa: S105 - printed by make demo on purpose


@dataclass(frozen=True)
class Credential:
    role: str
    username: str
    password: str
    note: str


INSTITUTIONS = [
    # code, kind, region, en, az, ru
    (
        "ministry",
        "ministry",
        "baku-city",
        "Ministry of Science and Education",
        "Elm və Təhsil Nazirliyi",
        "Министерство науки и образования",
    ),
    (
        "baku-school-6",
        "school",
        "baku-city",
        "Baku School No. 6",
        "Bakı 6 nömrəli məktəb",
        "Бакинская школа № 6",
    ),
    (
        "ganja-lyceum-2",
        "school",
        "ganja",
        "Ganja Lyceum No. 2",
        "Gəncə 2 nömrəli lisey",
        "Гянджинский лицей № 2",
    ),
    (
        "lankaran-school-3",
        "school",
        "lankaran",
        "Lankaran School No. 3",
        "Lənkəran 3 nömrəli məktəb",
        "Ленкоранская школа № 3",
    ),
    (
        "bsu",
        "university",
        "baku-city",
        "Baku State University",
        "Bakı Dövlət Universiteti",
        "Бакинский государственный университет",
    ),
    (
        "gsu",
        "university",
        "ganja",
        "Ganja State University",
        "Gəncə Dövlət Universiteti",
        "Гянджинский государственный университет",
    ),
    (
        "state-scholarship",
        "scholarship",
        "baku-city",
        "State Programme for Education Abroad",
        "Xaricdə təhsil üzrə Dövlət Proqramı",
        "Государственная программа обучения за рубежом",
    ),
]

COHORTS = [
    # code, institution, name, track, level, number of demo students
    ("baku-6-9a", "baku-school-6", "9-A", Track.SCHOOL, "5-9", 12),
    ("baku-6-10b", "baku-school-6", "10-B", Track.SCHOOL, "10-11", 10),
    ("ganja-2-9b", "ganja-lyceum-2", "9-B", Track.SCHOOL, "5-9", 6),
    ("lankaran-3-11a", "lankaran-school-3", "11-A", Track.SCHOOL, "10-11", 4),
    ("bsu-cs-21", "bsu", "CS-21", Track.UNIVERSITY, "bachelor", 11),
    ("gsu-ds-m1", "gsu", "DS-M1", Track.UNIVERSITY, "master", 5),
    (
        "scholars-2026-eu",
        "state-scholarship",
        "Intake 2026 · Europe",
        Track.SCHOLARSHIP,
        "TU Munich; KU Leuven",
        4,
    ),
]

FIRST_NAMES = [
    "Aysel",
    "Murad",
    "Leyla",
    "Elvin",
    "Nigar",
    "Tural",
    "Günay",
    "Rashad",
    "Sevinj",
    "Kamran",
    "Aynur",
    "Farid",
    "Lala",
    "Orkhan",
    "Nargiz",
    "Vugar",
]
LAST_NAMES = [
    "Aliyeva",
    "Mammadov",
    "Hasanova",
    "Guliyev",
    "Huseynova",
    "Ismayilov",
    "Abbasova",
    "Karimov",
    "Jafarova",
    "Rzayev",
    "Babayeva",
    "Safarov",
]

ACADEMIC_YEAR = "2026-2027"


def _demo_password_hash() -> str:
    """Hash once: every demo account shares the password, and hashing costs ~0.5 s."""
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = make_password(DEMO_PASSWORD)
    return _PASSWORD_HASH


_PASSWORD_HASH: str | None = None


def _user(username: str, first: str, last: str, *, staff: bool = False) -> User:
    user, _ = User.objects.get_or_create(
        username=username,
        defaults={"first_name": first, "last_name": last, "email": f"{username}@demo.skills.az"},
    )
    user.password = _demo_password_hash()
    user.is_staff = user.is_superuser = staff
    user.save()
    return user


@transaction.atomic
def load() -> list[Credential]:
    regions = {r.code: r for r in Region.objects.all()}
    institutions = {}
    for code, kind, region, en, az, ru in INSTITUTIONS:
        institutions[code], _ = Institution.objects.update_or_create(
            code=code,
            defaults={
                "kind": kind,
                "region": regions[region],
                "name_en": en,
                "name_az": az,
                "name_ru": ru,
            },
        )
    cohorts = {}
    for code, inst, name, track, level, _count in COHORTS:
        cohorts[code], _ = Cohort.objects.update_or_create(
            code=code,
            defaults={
                "institution": institutions[inst],
                "name": name,
                "track": track,
                "level": level,
                "academic_year": ACADEMIC_YEAR,
            },
        )

    # Students: named ones to log in with, plus classmates so aggregates have real groups.
    n = 0
    for code, _inst, _name, _track, _level, count in COHORTS:
        for i in range(count):
            first = FIRST_NAMES[n % len(FIRST_NAMES)]
            last = LAST_NAMES[(n * 7) % len(LAST_NAMES)]
            user = _user(f"{code}-s{i + 1:02d}", first, last)
            services.membership_create(user=user, role=Role.STUDENT, cohort=cohorts[code])
            n += 1
    pupil = _user("pupil", "Aysel", "Aliyeva")
    services.membership_create(user=pupil, role=Role.STUDENT, cohort=cohorts["baku-6-9a"])
    student = _user("student", "Murad", "Mammadov")
    services.membership_create(user=student, role=Role.STUDENT, cohort=cohorts["bsu-cs-21"])
    scholar = _user("scholar", "Leyla", "Hasanova")
    services.membership_create(user=scholar, role=Role.STUDENT, cohort=cohorts["scholars-2026-eu"])

    teacher = _user("teacher", "Elvin", "Guliyev")
    for code in ("baku-6-9a", "baku-6-10b"):
        services.membership_create(user=teacher, role=Role.TEACHER, cohort=cohorts[code])
    lecturer = _user("lecturer", "Nigar", "Huseynova")
    for code in ("bsu-cs-21", "scholars-2026-eu"):
        services.membership_create(user=lecturer, role=Role.TEACHER, cohort=cohorts[code])
    lead = _user("lead", "Tural", "Ismayilov")
    services.membership_create(user=lead, role=Role.TEACHER, cohort=cohorts["ganja-2-9b"])
    lead.groups.add(Group.objects.get(name=services.CURRICULUM_LEADS_GROUP))

    school_admin = _user("schooladmin", "Günay", "Abbasova")
    services.membership_create(
        user=school_admin, role=Role.INSTITUTION_ADMIN, institution=institutions["baku-school-6"]
    )
    analyst = _user("analyst", "Rashad", "Karimov")
    services.membership_create(
        user=analyst, role=Role.MINISTRY_ANALYST, institution=institutions["ministry"]
    )
    _user("staff", "Platform", "Staff", staff=True)

    return [
        Credential("student (school pupil)", "pupil", DEMO_PASSWORD, "Baku School No. 6, 9-A"),
        Credential(
            "student (university)", "student", DEMO_PASSWORD, "Baku State University, CS-21"
        ),
        Credential("student (state scholar)", "scholar", DEMO_PASSWORD, "Intake 2026 · Europe"),
        Credential("teacher", "teacher", DEMO_PASSWORD, "teaches 9-A and 10-B"),
        Credential("teacher (university)", "lecturer", DEMO_PASSWORD, "teaches CS-21, scholars"),
        Credential("curriculum lead", "lead", DEMO_PASSWORD, "approves and publishes courses"),
        Credential("institution admin", "schooladmin", DEMO_PASSWORD, "Baku School No. 6"),
        Credential("ministry analyst", "analyst", DEMO_PASSWORD, "aggregates only"),
        Credential("platform staff", "staff", DEMO_PASSWORD, "Django admin at /django-admin/"),
    ]
