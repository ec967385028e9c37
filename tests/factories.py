"""factory_boy factories for the people and organisations every test needs."""

import factory
from factory.django import DjangoModelFactory

from people.models import Cohort, Institution, Membership, Region, Role, Track, User


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.az")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"region-{n}")
    kind = Region.Kind.ECONOMIC_REGION
    name_en = factory.Sequence(lambda n: f"Region {n}")


class InstitutionFactory(DjangoModelFactory):
    class Meta:
        model = Institution

    code = factory.Sequence(lambda n: f"inst-{n}")
    kind = Institution.Kind.SCHOOL
    name_en = factory.Sequence(lambda n: f"School No. {n}")
    region = factory.SubFactory(RegionFactory)


class CohortFactory(DjangoModelFactory):
    class Meta:
        model = Cohort

    institution = factory.SubFactory(InstitutionFactory)
    name = factory.Sequence(lambda n: f"9-{n}")
    code = factory.Sequence(lambda n: f"cohort-{n}")
    track = Track.SCHOOL
    academic_year = "2026-2027"


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.STUDENT
    cohort = factory.SubFactory(CohortFactory)
    institution = None


PASSWORD = "correct-horse-battery"


def student_in(cohort: Cohort, **kwargs) -> User:
    user = UserFactory(**kwargs)
    MembershipFactory(user=user, cohort=cohort, role=Role.STUDENT)
    return user


def teacher_of(cohort: Cohort, **kwargs) -> User:
    from people.services import membership_create

    user = UserFactory(**kwargs)
    membership_create(user=user, role=Role.TEACHER, cohort=cohort)
    return user


def admin_of(institution: Institution, **kwargs) -> User:
    user = UserFactory(**kwargs)
    MembershipFactory(user=user, cohort=None, institution=institution, role=Role.INSTITUTION_ADMIN)
    return user


def analyst(**kwargs) -> User:
    ministry = InstitutionFactory(
        kind=Institution.Kind.MINISTRY, name_en="Ministry of Science and Education"
    )
    user = UserFactory(**kwargs)
    MembershipFactory(user=user, cohort=None, institution=ministry, role=Role.MINISTRY_ANALYST)
    return user


def staff_user(**kwargs) -> User:
    """Platform staff: the Django admin, no membership anywhere."""
    return UserFactory(is_staff=True, **kwargs)


def student_csv(
    rows: list[tuple[str, ...]] | list[list[str]],
    *,
    header: tuple[str, ...] = ("username", "first_name", "last_name", "email"),
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> bytes:
    """A student import file as an institution admin's spreadsheet would save it."""
    lines = [delimiter.join(header), *(delimiter.join(row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
