"""Writes of the LTI tool: a launch opened or refused, the person and the LMS course it
brings, and a deep-linking answer.

A launch is validated first (lti.tool, pylti1p3), then `launch_open` makes or finds, in
one transaction, the account of the LMS user, the cohort of the LMS course, the link and
what it opens, the enrolment, and the row its score will go back through. A launch that
cannot open (a deleted exercise, a role without access) leaves none of that behind: only
the refused launch, logged with its reason.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from pylti1p3.roles import DesignerRole, StaffRole, StudentRole, TeacherRole, TeachingAssistantRole

from cms.translation import canonical_page
from courses.models import CourseAssignment, CoursePage
from courses.services import course_assign
from grading.models import Exercise
from people.models import Cohort, Membership, Role

from . import queue
from .models import Context, GradePassback, Launch, LtiUser, Registration, ResourceLink
from .passbacks import passbacks_refresh
from .tool import LaunchError, tool_url

log = logging.getLogger("lti")

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"


@dataclass(frozen=True)
class Opened:
    launch: Launch
    user: object
    target_url: str


# ---------------------------------------------------------------------------------------
# The launch log
# ---------------------------------------------------------------------------------------


def launch_refused(
    *, reason: str, registration: Registration | None = None, issuer: str = "", message_type=""
) -> Launch:
    """Log a refused launch (a log line and a row the admin lists); nothing else is made."""
    log.warning(
        "LTI launch refused (issuer %s, registration %s): %s",
        issuer or "?",
        registration.pk if registration else "-",
        reason,
    )
    return Launch.objects.create(
        registration=registration,
        issuer=issuer[:255],
        message_type=message_type[:60],
        status=Launch.Status.REFUSED,
        error=reason,
    )


def launch_logged(*, registration: Registration, claims: dict, user=None, link=None, target_url=""):
    return Launch.objects.create(
        registration=registration,
        issuer=claims.get("iss", "")[:255],
        message_type=claims.get(CLAIM + "message_type", "")[:60],
        status=Launch.Status.OK,
        user=user,
        link=link,
        target_url=target_url,
    )


# ---------------------------------------------------------------------------------------
# Roles, people, LMS courses
# ---------------------------------------------------------------------------------------


def role_of(claims: dict) -> str | None:
    """The LMS roles as the platform's: instructors (and designers, assistants,
    administrators) teach, learners study; anyone else (a mentor, a guest) gets nothing."""
    if any(
        role(claims).check()
        for role in (TeacherRole, DesignerRole, TeachingAssistantRole, StaffRole)
    ):
        return Role.TEACHER
    if StudentRole(claims).check():
        return Role.STUDENT
    return None


def _username(issuer: str, sub: str) -> str:
    return "lti-" + hashlib.sha256(f"{issuer}\n{sub}".encode()).hexdigest()[:24]


def lti_user_provision(*, registration: Registration, issuer: str, sub: str, claims: dict):
    """The account of LMS user `sub` of `issuer`: found by that pair only (never by e-mail,
    which an LMS lets people change), else made, without a password (they come in
    through their LMS). Names follow the LMS."""
    names = {
        "first_name": (claims.get("given_name") or "")[:150],
        "last_name": (claims.get("family_name") or "")[:150],
    }
    if not any(names.values()) and claims.get("name"):
        names["first_name"] = claims["name"][:150]
    link = LtiUser.objects.select_related("user").filter(issuer=issuer, sub=sub).first()
    if link is not None:
        user = link.user
        changed = [f for f, value in names.items() if value and getattr(user, f) != value]
        for field in changed:
            setattr(user, field, names[field])
        if changed:
            user.save(update_fields=changed)
        return user, link
    user = get_user_model()(
        username=_username(issuer, sub), email=(claims.get("email") or "")[:254], **names
    )
    user.set_unusable_password()
    user.save()
    link = LtiUser.objects.create(issuer=issuer, sub=sub, registration=registration, user=user)
    log.info("LTI user %s of %s provisioned as user %s", sub, issuer, user.pk)
    return user, link


def _academic_year(now) -> str:
    start = now.year if now.month >= 8 else now.year - 1
    return f"{start}-{start + 1}"


def context_provision(*, registration: Registration, claim: dict) -> Context:
    """The cohort of an LMS course, made at its first launch, at the registration's
    institution."""
    context_id = str(claim.get("id") or "")
    if not context_id:
        raise LaunchError(
            "launch without a context (LMS course)",
            _("This launch does not come from a course of your LMS."),
        )
    title = (claim.get("title") or claim.get("label") or "")[:255]
    context = Context.objects.filter(registration=registration, context_id=context_id).first()
    if context is not None:
        if title and context.title != title:
            context.title = title
            context.save(update_fields=["title"])
        return context
    digest = hashlib.sha256(context_id.encode()).hexdigest()[:12]
    cohort = Cohort.objects.create(
        institution=registration.institution,
        name=(title or _("LMS course %(id)s") % {"id": context_id})[:120],
        code=f"lti-{registration.pk}-{digest}",
        track=settings.LTI_COHORT_TRACK,
        academic_year=_academic_year(timezone.localdate()),
        level=registration.name[:40],
    )
    return Context.objects.create(
        registration=registration, context_id=context_id, title=title, cohort=cohort
    )


def member_add(*, context: Context, user, role: str) -> Membership:
    """Into the LMS course's cohort; a new student gets its assigned courses (courses'
    receiver of new memberships)."""
    membership, _created = Membership.objects.get_or_create(
        user=user, cohort=context.cohort, role=role
    )
    return membership


def course_ensure_assigned(*, context: Context, course: CoursePage) -> None:
    """The platform course is assigned to the LMS course's cohort (its students enrolled);
    an existing assignment (dates a teacher set) is left as it is."""
    course = canonical_page(course)
    if not CourseAssignment.objects.filter(course=course, cohort=context.cohort).exists():
        course_assign(course=course, cohort=context.cohort, assigned_by=None)


# ---------------------------------------------------------------------------------------
# What a link opens
# ---------------------------------------------------------------------------------------


def _custom_target(claims: dict) -> tuple[str, int] | None:
    """`exercise=<id>` or `course=<id>` from the link's custom parameters: what deep
    linking writes, and what an admin types in a manual link."""
    custom = claims.get(CLAIM + "custom") or {}
    for kind in (ResourceLink.Kind.EXERCISE, ResourceLink.Kind.COURSE):
        value = str(custom.get(kind, "") or "").strip()
        if value:
            if not value.isdigit():
                raise LaunchError(
                    f"custom parameter {kind}={value!r} is not a number",
                    _("This link of your LMS is set up wrongly (%(name)s=%(value)s).")
                    % {"name": kind, "value": value},
                )
            return kind, int(value)
    return None


def _deleted(kind: str, pk: int | None) -> LaunchError:
    if kind == ResourceLink.Kind.EXERCISE:
        return LaunchError(
            f"exercise {pk} no longer exists",
            _(
                "The exercise this link opens is no longer on the platform (it was deleted). "
                "Ask your teacher to link another exercise."
            ),
        )
    return LaunchError(
        f"course {pk} no longer exists",
        _(
            "The course this link opens is no longer on the platform. Ask your teacher to "
            "link another course."
        ),
    )


def _link_update(*, registration, context, claims) -> ResourceLink:
    claim = claims.get(CLAIM + "resource_link") or {}
    link = (
        ResourceLink.objects.select_for_update()
        .filter(registration=registration, resource_link_id=str(claim["id"]))
        .first()
    ) or ResourceLink(registration=registration, resource_link_id=str(claim["id"]))
    link.context = context
    link.title = (claim.get("title") or link.title or "")[:255]
    target = _custom_target(claims)
    if target is not None:
        kind, pk = target
        link.kind = kind
        link.target_id = pk
        link.exercise = Exercise.objects.filter(pk=pk).first() if kind == "exercise" else None
        link.course = CoursePage.objects.filter(pk=pk).first() if kind == "course" else None
        if link.exercise is None and link.course is None:
            raise _deleted(kind, pk)
    elif not link.kind:
        raise LaunchError(
            "the link names nothing to open (no custom exercise/course)",
            _(
                "This link of your LMS does not say what to open. Your teacher adds it "
                "again through the platform's content picker, or gives it the custom "
                "parameter exercise=<number>."
            ),
        )
    elif link.exercise is None and link.course is None:
        raise _deleted(link.kind, link.target_id)
    ags = claims.get(AGS_CLAIM) or {}
    link.line_item_url = (ags.get("lineitem") or "")[:500]
    link.ags_scopes = list(ags.get("scope") or [])
    link.save()
    return link


def _exercise_target(*, link: ResourceLink, context: Context, role: str) -> str:
    exercise = link.exercise
    if exercise.course_id is None:
        raise LaunchError(
            f"exercise {exercise.pk} is in no course",
            _("This exercise is not part of a course on the platform yet."),
        )
    if role == Role.STUDENT and not exercise.is_ready:
        raise LaunchError(
            f"exercise {exercise.pk} is not ready ({exercise.status})",
            _("This exercise is not ready yet. Try again later."),
        )
    course_ensure_assigned(context=context, course=exercise.course)
    return reverse("grading:exercise", args=[exercise.pk])


def _course_target(*, link: ResourceLink, context: Context) -> str:
    course = link.course
    if not course.live:
        raise LaunchError(
            f"course {course.pk} is not published",
            _("This course is not published on the platform."),
        )
    course_ensure_assigned(context=context, course=course)
    return course.url or "/"


# ---------------------------------------------------------------------------------------
# The launch
# ---------------------------------------------------------------------------------------


@transaction.atomic
def launch_open(*, registration: Registration, claims: dict) -> Opened:
    """A validated resource-link launch: the person, the LMS course, the link, the
    enrolment, and where to send the browser. Raises LaunchError (nothing kept)."""
    issuer, sub = claims["iss"], str(claims.get("sub") or "")
    if not sub:
        raise LaunchError(
            "anonymous launch (no sub)", _("Your LMS did not say who you are (anonymous launch).")
        )
    role = role_of(claims)
    if role is None:
        raise LaunchError(
            f"no role the platform knows: {claims.get(CLAIM + 'roles')}",
            _("Your role in this LMS course gives no access to the platform."),
        )
    deployment_id = claims.get(CLAIM + "deployment_id", "")
    if deployment_id and deployment_id not in registration.deployment_ids:
        # a signed launch of a new deployment (pylti1p3 checked accept_new_deployments)
        registration.deployment_ids = [*registration.deployment_ids, deployment_id]
        registration.save(update_fields=["deployment_ids", "updated_at"])
    context = context_provision(
        registration=registration, claim=claims.get(CLAIM + "context") or {}
    )
    link = _link_update(registration=registration, context=context, claims=claims)
    user, lti_user = lti_user_provision(
        registration=registration, issuer=issuer, sub=sub, claims=claims
    )
    member_add(context=context, user=user, role=role)
    if link.kind == ResourceLink.Kind.EXERCISE:
        target = _exercise_target(link=link, context=context, role=role)
    else:
        target = _course_target(link=link, context=context)
    nrps = claims.get(NRPS_CLAIM) or {}
    if (
        nrps.get("context_memberships_url")
        and context.memberships_url != nrps["context_memberships_url"][:500]
    ):
        context.memberships_url = nrps["context_memberships_url"][:500]
        context.save(update_fields=["memberships_url"])
    if role == Role.STUDENT and link.kind == ResourceLink.Kind.EXERCISE:
        _passback_expect(link=link, user=user, lti_user=lti_user)
    if role == Role.TEACHER and context.memberships_url:
        queue.enqueue(queue.ROSTER_SYNC, context.pk)
    launch = launch_logged(
        registration=registration, claims=claims, user=user, link=link, target_url=target
    )
    log.info(
        "LTI launch %s: %s %s opens %s %s",
        launch.pk,
        role,
        user.pk,
        link.kind,
        link.exercise_id or link.course_id,
    )
    return Opened(launch=launch, user=user, target_url=target)


def _passback_expect(*, link: ResourceLink, user, lti_user: LtiUser) -> None:
    """This student's score for this exercise goes back to this link: a row waits for it
    (and, when they were graded before, it is sent now)."""
    if not link.line_item_url or SCORE_SCOPE not in link.ags_scopes:
        return  # the LMS keeps no grade for this link
    row, created = GradePassback.objects.get_or_create(
        link=link,
        user=user,
        defaults={
            "registration_id": link.registration_id,
            "exercise_id": link.exercise_id,
            "lti_user": lti_user,
        },
    )
    if not created and row.exercise_id != link.exercise_id:
        # the link now opens another exercise: its score is what goes back
        row.exercise_id = link.exercise_id
        row.status = GradePassback.Status.WAITING
        row.save(update_fields=["exercise", "status", "updated_at"])
    passbacks_refresh(exercise_id=link.exercise_id, student_id=user.pk)


# ---------------------------------------------------------------------------------------
# Continuing a launch in a new window (an LMS frame cannot keep the platform's session)
# ---------------------------------------------------------------------------------------


def handoff_use(*, launch_id: int) -> Launch | None:
    """The launch's one-time "open in a new window": its user and target, once."""
    with transaction.atomic():
        launch = (
            Launch.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=launch_id, status=Launch.Status.OK, handoff_used_at__isnull=True)
            .first()
        )
        if launch is None or launch.user is None:
            return None
        launch.handoff_used_at = timezone.now()
        launch.save(update_fields=["handoff_used_at"])
    return launch


# ---------------------------------------------------------------------------------------
# Deep linking: the teacher's choice, signed for the LMS
# ---------------------------------------------------------------------------------------


def deep_link_items(*, exercises, courses) -> list[DeepLinkResource]:
    """Content items for the chosen exercises (with a grade column of their maximum) and
    courses; each launches /lti/launch/ with its custom parameter."""
    launch_url = tool_url("lti:launch")
    items = []
    for exercise in exercises:
        line_item = (
            LineItem()
            .set_score_maximum(exercise.max_score or 1)
            .set_label(exercise.title)
            .set_resource_id(f"exercise-{exercise.pk}")
        )
        items.append(
            DeepLinkResource()
            .set_url(launch_url)
            .set_title(exercise.title)
            .set_custom_params({"exercise": str(exercise.pk)})
            .set_lineitem(line_item)
        )
    for course in courses:
        items.append(
            DeepLinkResource()
            .set_url(launch_url)
            .set_title(course.title)
            .set_custom_params({"course": str(course.pk)})
        )
    return items
