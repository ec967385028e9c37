"""First login for imported students (people/logincodes.py): the class login sheet, a
pupil's new card ("reset this pupil's password"), invitation e-mails, and the first-login
page where a one-time code sets the password.

Attacks first: who may get a code for whom, guessing, codes that were used, replaced or
have expired; then what staff and pupils see."""

from __future__ import annotations

import re
from datetime import timedelta

import pypdfium2
import pytest
import zxingcpp
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lms.settings import base
from people import logincodes
from people.imports import student_import
from people.models import LoginCode, Role, User
from people.services import membership_create
from people.views import FIRST_LOGIN_SESSION_KEY
from tests.factories import (
    PASSWORD,
    CohortFactory,
    InstitutionFactory,
    MembershipFactory,
    UserFactory,
    admin_of,
    student_in,
    teacher_of,
)

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "blue-mountain-river-42"
WRONG_CODE = "The username or the code is not right."
FIRST_LOGIN = "/en/first-login/"
STEP_TWO = "/en/first-login/password/"
SITE = "http://testserver"


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def import_class(cohort, rows) -> list[User]:
    """Pupils as an institution admin's CSV import creates them: no password, no e-mail
    unless the row has one."""
    header = "username,first_name,last_name,email"
    lines = [header, *(",".join(row) + ("" if len(row) == 4 else ",") for row in rows)]
    result = student_import(cohort=cohort, data=("\r\n".join(lines) + "\r\n").encode())
    assert result.ok, result.errors
    return [User.objects.get(username=row[0]) for row in rows]


@pytest.fixture
def cohort():
    return CohortFactory(name="9-A")


@pytest.fixture
def teacher(cohort):
    return teacher_of(cohort, username="teacher.a")


@pytest.fixture
def pupils(cohort):
    return import_class(
        cohort,
        [
            ("aysel.aliyeva", "Aysel", "Aliyeva"),
            ("murad.huseynov", "Murad", "Huseynov", "murad@example.az"),
            ("nigar.mammadova", "Nigar", "Məmmədova"),
        ],
    )


def sheet_codes(teacher, cohort) -> dict[str, str]:
    """What the teacher would print, by username."""
    cards = logincodes.login_sheet_issue(actor=teacher, cohort=cohort, site_url=SITE)
    return {card.user.username: card.display_code for card in cards}


def pdf_pages(pdf: bytes):
    document = pypdfium2.PdfDocument(pdf)
    return [
        (page.get_textpage().get_text_range(), page.render(scale=2).to_pil()) for page in document
    ]


def qr_links(image) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(image) if code.format.name == "QRCode"]


def first_login(client, username: str, code: str, **extra):
    return client.post(FIRST_LOGIN, {"username": username, "code": code}, **extra)


def set_password(client, password: str = NEW_PASSWORD):
    return client.post(STEP_TWO, {"new_password1": password, "new_password2": password})


def logged_in_as(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value else None


def text(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------------------------------
# Who may get a code for whom
# ---------------------------------------------------------------------------------------
def test_a_teacher_of_another_cohort_gets_no_code_for_its_pupils(client, cohort, pupils):
    other = CohortFactory(name="9-B", institution=cohort.institution)
    intruder = teacher_of(other, username="teacher.b")
    import_class(other, [("elvin.guliyev", "Elvin", "Guliyev")])
    client.force_login(intruder)
    target = pupils[0]

    assert client.get(f"/en/cohorts/{cohort.pk}/logins/").status_code == 403
    assert client.post(f"/en/cohorts/{cohort.pk}/logins/sheet/").status_code == 403
    assert client.post(f"/en/cohorts/{cohort.pk}/logins/invitations/").status_code == 403
    assert client.post(f"/en/cohorts/{cohort.pk}/logins/{target.pk}/reset/").status_code == 403
    # through the cohort the intruder does teach: the pupil is not in it
    assert client.get(f"/en/cohorts/{other.pk}/logins/{target.pk}/reset/").status_code == 404
    assert client.post(f"/en/cohorts/{other.pk}/logins/{target.pk}/reset/").status_code == 404

    assert not LoginCode.objects.filter(user__in=pupils).exists()
    assert len(mail.outbox) == 0
    with pytest.raises(logincodes.NotAllowed):
        logincodes.password_reset_card(actor=intruder, cohort=cohort, student=target, site_url=SITE)
    assert logincodes.login_sheet_issue(actor=intruder, cohort=cohort, site_url=SITE) == []


@pytest.mark.parametrize("role", ["pupil", "analyst", "admin of another school", "anonymous"])
def test_nobody_else_opens_the_logins_page(client, cohort, pupils, role):
    if role == "pupil":
        client.force_login(pupils[0])
    elif role == "analyst":
        ministry = InstitutionFactory(kind="ministry")
        user = UserFactory()
        MembershipFactory(user=user, cohort=None, institution=ministry, role=Role.MINISTRY_ANALYST)
        client.force_login(user)
    elif role == "admin of another school":
        client.force_login(admin_of(InstitutionFactory()))

    response = client.post(f"/en/cohorts/{cohort.pk}/logins/sheet/")

    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == 403
    assert not LoginCode.objects.exists()


def test_an_account_with_another_role_gets_no_code(client, cohort, teacher, pupils):
    """A 'pupil' who also administers a school (or is staff) would be taken over by
    whoever prints their card: they are never on a sheet, nor reset here."""
    elsewhere = InstitutionFactory()
    admin_pupil = student_in(cohort, username="also.admin")
    MembershipFactory(
        user=admin_pupil, cohort=None, institution=elsewhere, role=Role.INSTITUTION_ADMIN
    )
    staff_pupil = student_in(cohort, username="also.staff", is_staff=True)
    teaching_pupil = student_in(cohort, username="also.teacher")
    membership_create(user=teaching_pupil, role=Role.TEACHER, cohort=CohortFactory())
    for user in (admin_pupil, staff_pupil, teaching_pupil):
        user.set_unusable_password()
        user.save()
    client.force_login(teacher)

    printed = sheet_codes(teacher, cohort)
    assert set(printed) == {p.username for p in pupils}
    for user in (admin_pupil, staff_pupil, teaching_pupil):
        response = client.post(f"/en/cohorts/{cohort.pk}/logins/{user.pk}/reset/")
        assert response.status_code == 403
        assert not LoginCode.objects.filter(user=user).exists()
    page = text(client.get(f"/en/cohorts/{cohort.pk}/logins/"))
    row = re.search(r'data-username="also.admin">.*?</tr>', page, re.S)[0]
    assert "Not available" in row and "/reset/" not in row


def test_a_pupil_of_two_cohorts_is_reset_by_the_institution_admin_not_one_teacher(
    client, cohort, teacher, pupils
):
    """Taking over a pupil's account opens all their work: a teacher of 9-A may not for a
    pupil who also learns in a group someone else teaches; the school's admin may."""
    elective = CohortFactory(name="Robotics", institution=cohort.institution)
    pupil = pupils[0]
    MembershipFactory(user=pupil, cohort=elective, role=Role.STUDENT)

    assert pupil.username not in sheet_codes(teacher, cohort)
    client.force_login(teacher)
    assert client.post(f"/en/cohorts/{cohort.pk}/logins/{pupil.pk}/reset/").status_code == 403

    client.force_login(admin_of(cohort.institution))
    response = client.post(f"/en/cohorts/{cohort.pk}/logins/{pupil.pk}/reset/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


# ---------------------------------------------------------------------------------------
# Guessing, and codes that no longer work
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("aysel.aliyeva", "AAAA-AAAA"),  # wrong code
        ("nobody.here", "AAAA-AAAA"),  # unknown username: the same answer
        ("aysel.aliyeva", "x" * 64),
        ("aysel.aliyeva", "---  ---"),
        ("aysel.aliyeva", "ЖЖЖЖ-ЖЖЖЖ"),
        ("aysel.aliyeva", "A" * 30),
    ],
)
def test_a_wrong_code_changes_nothing_and_says_so(client, teacher, cohort, pupils, username, code):
    sheet_codes(teacher, cohort)

    response = first_login(client, username, code)

    assert response.status_code == 400
    assert WRONG_CODE in text(response)
    assert logged_in_as(client) is None
    assert client.get(STEP_TWO).status_code == 302  # no step two without a code
    assert set_password(client).status_code == 302
    assert not User.objects.get(username="aysel.aliyeva").has_usable_password()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"username": "", "code": ""},
        {"username": "a" * 151, "code": "ABCD-EFGH"},
        {"username": "aysel.aliyeva", "code": "A" * 65},
    ],
)
def test_malformed_first_login_input_gets_the_form_again(client, teacher, cohort, pupils, data):
    sheet_codes(teacher, cohort)
    response = client.post(FIRST_LOGIN, data)
    assert response.status_code == 400
    assert 'class="errorlist' in text(response)
    assert not LoginCode.objects.filter(failed_attempts__gt=0).exists()


def test_codes_are_stored_hashed_random_and_bound_to_their_pupil(teacher, cohort, pupils):
    cards = logincodes.login_sheet_issue(actor=teacher, cohort=cohort, site_url=SITE)
    codes = [card.code for card in cards]

    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"[A-HJKMNP-Z2-9]{8}", code) for code in codes)
    for card in cards:
        stored = LoginCode.objects.get(user=card.user)
        assert card.code not in stored.code_hash and card.display_code not in stored.code_hash
        assert stored.code_hash == logincodes.code_hash(card.user.pk, card.code)
        assert stored.expires_at - stored.created_at == timedelta(days=14)
        assert stored.created_by == teacher
    # one pupil's code is no key to another's account
    aysel, murad = cards[0].user, cards[1].user
    assert aysel.username == "aysel.aliyeva"
    murads_code = cards[1].code
    with pytest.raises(logincodes.CodeRefused) as refused:
        logincodes.login_code_check(username=aysel.username, code=murads_code)
    assert refused.value.guess
    assert logincodes.login_code_check(username=murad.username, code=murads_code.lower())


def test_a_code_works_once(client, teacher, cohort, pupils):
    code = sheet_codes(teacher, cohort)["aysel.aliyeva"]
    assert first_login(client, "aysel.aliyeva", code).status_code == 302
    assert set_password(client).status_code == 302
    client.logout()

    response = first_login(client, "aysel.aliyeva", code)

    assert response.status_code == 400
    assert "This code was already used to choose a password." in text(response)
    assert logged_in_as(client) is None


def test_two_tabs_cannot_both_use_one_code(client, teacher, cohort, pupils):
    code = sheet_codes(teacher, cohort)["aysel.aliyeva"]
    first_login(client, "aysel.aliyeva", code)
    other_tab = client.session[FIRST_LOGIN_SESSION_KEY]
    set_password(client)
    client.logout()
    session = client.session
    session[FIRST_LOGIN_SESSION_KEY] = other_tab
    session.save()

    response = client.post(
        STEP_TWO, {"new_password1": "another-pass-99x", "new_password2": "another-pass-99x"}
    )

    assert response.status_code == 302 and response["Location"] == FIRST_LOGIN
    assert logged_in_as(client) is None
    assert User.objects.get(username="aysel.aliyeva").check_password(NEW_PASSWORD)


def test_an_expired_code_is_refused(client, teacher, cohort, pupils):
    code = sheet_codes(teacher, cohort)["aysel.aliyeva"]
    LoginCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = first_login(client, "aysel.aliyeva", code)

    assert response.status_code == 400
    assert "This code has expired. Ask your teacher for a new card." in text(response)


def test_a_code_that_expires_between_the_two_steps_sets_nothing(client, teacher, cohort, pupils):
    code = sheet_codes(teacher, cohort)["aysel.aliyeva"]
    first_login(client, "aysel.aliyeva", code)
    LoginCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = set_password(client)

    assert response["Location"] == FIRST_LOGIN
    assert "This code has expired." in text(client.get(FIRST_LOGIN))
    assert not User.objects.get(username="aysel.aliyeva").has_usable_password()


def test_printing_a_new_sheet_replaces_the_old_codes(client, teacher, cohort, pupils):
    client.force_login(teacher)
    page = text(client.get(f"/en/cohorts/{cohort.pk}/logins/"))
    assert "printing a new sheet makes the codes of earlier sheets" in page
    old = sheet_codes(teacher, cohort)["aysel.aliyeva"]
    new = sheet_codes(teacher, cohort)["aysel.aliyeva"]
    client.logout()

    response = first_login(client, "aysel.aliyeva", old)
    assert response.status_code == 400
    assert "This code was replaced by a newer one." in text(response)
    assert first_login(client, "aysel.aliyeva", new).status_code == 302


@pytest.fixture
def lockout(settings):
    settings.AXES_ENABLED = True


def test_guessing_codes_is_locked_out_by_username_and_address(
    client, teacher, cohort, pupils, lockout
):
    code = sheet_codes(teacher, cohort)["aysel.aliyeva"]
    statuses = [
        first_login(client, "aysel.aliyeva", f"GUES-S{i:03d}").status_code
        for i in range(base.AXES_FAILURE_LIMIT + 3)
    ]
    assert statuses[: base.AXES_FAILURE_LIMIT - 1] == [400] * (base.AXES_FAILURE_LIMIT - 1)
    assert set(statuses[base.AXES_FAILURE_LIMIT - 1 :]) == {429}

    # the right code from the guesser's address: refused too, with the lockout page
    response = first_login(client, "aysel.aliyeva", code)
    assert response.status_code == 429
    assert "Too many failed logins with this username from your address." in text(response)
    assert client.get(STEP_TWO).status_code == 302
    # the codes themselves are not stored by the lockout's records
    assert not any(code in (a.post_data or "") for a in AccessAttempt.objects.all())
    assert all("code=********************" in a.post_data for a in AccessAttempt.objects.all())
    # the pupil at home is not locked out by the guesser at school
    assert first_login(client, "aysel.aliyeva", code, REMOTE_ADDR="10.9.8.7").status_code == 302


def test_wrong_codes_from_one_address_are_limited_across_usernames(
    client, teacher, cohort, pupils, settings
):
    settings.FIRST_LOGIN_FAILURES_PER_IP = "3/hour"
    cache.clear()
    codes = sheet_codes(teacher, cohort)
    # right codes do not count: a whole class logs in from one school address
    assert first_login(client, "murad.huseynov", codes["murad.huseynov"]).status_code == 302
    for username in ("aysel.aliyeva", "nigar.mammadova", "someone.else"):
        assert first_login(client, username, "WRON-GCOD").status_code == 400

    response = first_login(client, "aysel.aliyeva", codes["aysel.aliyeva"])

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many wrong codes were typed from your address." in text(response)
    cache.clear()


def test_a_code_is_blocked_after_many_wrong_tries_from_anywhere(client, teacher, cohort, pupils):
    code = sheet_codes(teacher, cohort)["aysel.aliyeva"]
    for i in range(logincodes.MAX_FAILED_ATTEMPTS):
        response = first_login(client, "aysel.aliyeva", "WRON-GCOD", REMOTE_ADDR=f"10.0.{i}.1")
        assert response.status_code == 400

    response = first_login(client, "aysel.aliyeva", code)

    assert response.status_code == 400
    assert "This code was blocked after too many wrong tries." in text(response)
    # a new card works
    new = sheet_codes(teacher, cohort)["aysel.aliyeva"]
    assert first_login(client, "aysel.aliyeva", new).status_code == 302


# ---------------------------------------------------------------------------------------
# The pupil's first login
# ---------------------------------------------------------------------------------------
def test_a_pupil_sets_a_password_with_the_code_and_lands_on_the_dashboard(
    client, teacher, cohort, pupils
):
    code = sheet_codes(teacher, cohort)["aysel.aliyeva"]

    response = first_login(client, " Aysel.Aliyeva ", code.lower().replace("-", " "))
    assert response.status_code == 302 and response["Location"] == STEP_TWO
    assert logged_in_as(client) is None  # no page before the password
    page = client.get(STEP_TWO)
    assert "Hello, Aysel Aliyeva!" in text(page)

    # Django's password validators apply; the code stays good meanwhile
    weak = set_password(client, "aliyeva1")
    assert weak.status_code == 400
    assert "The password is too similar to the username." in text(weak)
    assert logged_in_as(client) is None

    response = set_password(client)

    aysel = User.objects.get(username="aysel.aliyeva")
    assert response.status_code == 302 and response["Location"] == "/en/dashboard/"
    assert logged_in_as(client) == aysel.pk
    assert aysel.check_password(NEW_PASSWORD)
    assert "Your password is set." in text(client.get("/en/dashboard/"))
    assert LoginCode.objects.get(user=aysel).used_at is not None
    # and from now on the ordinary login
    client.logout()
    client.post("/en/accounts/login/", {"username": "aysel.aliyeva", "password": NEW_PASSWORD})
    assert logged_in_as(client) == aysel.pk


def test_the_cards_link_fills_in_the_form_and_changes_nothing_by_itself(
    client, teacher, cohort, pupils
):
    (card,) = [
        c
        for c in logincodes.login_sheet_issue(actor=teacher, cohort=cohort, site_url=SITE)
        if c.user.username == "aysel.aliyeva"
    ]
    assert card.url.startswith(f"{SITE}/en/first-login/?u=aysel.aliyeva&code=")

    response = client.get(card.url.removeprefix(SITE))

    page = text(response)
    assert response.status_code == 200
    assert 'value="aysel.aliyeva"' in page and f'value="{card.code}"' in page
    assert response["Cache-Control"].startswith("max-age=0, no-cache, no-store")
    assert client.get(STEP_TWO).status_code == 302  # opening the link logs nobody in


def test_the_login_page_leads_to_the_first_login(client):
    page = text(client.get("/en/accounts/login/"))
    assert 'href="/en/first-login/"' in page


def test_setting_the_password_revokes_the_invitation_too(client, teacher, cohort, pupils):
    logincodes.invitations_send(actor=teacher, cohort=cohort, site_url=SITE)
    code = sheet_codes(teacher, cohort)["murad.huseynov"]
    first_login(client, "murad.huseynov", code)
    set_password(client)

    link = re.search(r"http://testserver(/en/first-login/\S+)", mail.outbox[0].body)[1]
    client.logout()
    assert "code=" in link
    query = dict(pair.split("=") for pair in link.split("?")[1].split("&"))
    response = first_login(client, query["u"], query["code"])
    assert "This code was replaced by a newer one." in text(response)


# ---------------------------------------------------------------------------------------
# The staff's pages: sheet, single card, invitations
# ---------------------------------------------------------------------------------------
def test_the_sheet_has_one_card_per_pupil_without_a_password(client, teacher, cohort, pupils):
    more = import_class(cohort, [(f"pupil.{i}", f"Name{i}", f"Surname{i}") for i in range(8)])
    has_password = student_in(cohort, username="already.set", first_name="Set", last_name="Up")
    waiting = {u.username for u in pupils + more}
    client.force_login(teacher)
    detail = text(client.get(f"/en/cohorts/{cohort.pk}/"))
    assert f'href="/en/cohorts/{cohort.pk}/logins/"' in detail
    page = text(client.get(f"/en/cohorts/{cohort.pk}/logins/"))
    assert "Print the class login sheet (11 pupils)" in page

    response = client.post(f"/en/cohorts/{cohort.pk}/logins/sheet/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert 'attachment; filename="login-sheet-' in response["Content-Disposition"]
    pages = pdf_pages(b"".join(response.streaming_content))
    assert len(pages) == 2  # eight cards to a page
    links = [link for _text, image in pages for link in qr_links(image)]
    assert len(links) == len(waiting)  # one card (one QR code) per pupil
    linked = {re.search(r"[?&]u=([^&]+)", link)[1] for link in links}
    assert linked == waiting
    whole_text = "\n".join(page_text for page_text, _image in pages)
    assert has_password.username not in whole_text
    assert "Məmmədova" in whole_text  # Azerbaijani letters survive
    # each card's QR code and printed code are the same, and the code logs the pupil in
    for link in links:
        username, code = re.search(r"u=([^&]+)&code=(\w+)", link).groups()
        assert re.search(
            rf"{re.escape(username)}\s+One-time code\s+{code[:4]}-{code[4:]}", whole_text
        )
    client.logout()
    username, code = re.search(r"u=([^&]+)&code=(\w+)", links[0]).groups()
    assert first_login(client, username, code).status_code == 302


def test_a_sheet_with_nobody_to_print_says_so(client, teacher, cohort):
    student_in(cohort, username="already.set")
    client.force_login(teacher)
    page = text(client.get(f"/en/cohorts/{cohort.pk}/logins/"))
    assert "Every pupil has chosen a password." in page

    response = client.post(f"/en/cohorts/{cohort.pk}/logins/sheet/", follow=True)

    assert "Every pupil has chosen a password: no sheet to print." in text(response)
    assert not LoginCode.objects.exists()


def test_resetting_a_pupils_password_ends_the_old_one_and_prints_one_card(client, teacher, cohort):
    pupil = student_in(cohort, username="forgetful", first_name="Rauf", last_name="Karimov")
    pupil_client = Client()
    pupil_client.force_login(pupil)
    client.force_login(teacher)
    confirm = client.get(f"/en/cohorts/{cohort.pk}/logins/{pupil.pk}/reset/")
    assert "current password stops working at once" in text(confirm)
    assert User.objects.get(pk=pupil.pk).check_password(PASSWORD)  # asking changed nothing

    response = client.post(f"/en/cohorts/{cohort.pk}/logins/{pupil.pk}/reset/")

    assert response.status_code == 200
    assert 'filename="login-card-forgetful.pdf"' in response["Content-Disposition"]
    ((page_text, image),) = pdf_pages(b"".join(response.streaming_content))
    (link,) = qr_links(image)
    code = re.search(r"code=(\w+)", link)[1]
    assert "Rauf Karimov" in page_text and f"{code[:4]}-{code[4:]}" in page_text
    assert PASSWORD not in page_text
    pupil.refresh_from_db()
    assert not pupil.has_usable_password()
    assert pupil_client.get("/en/dashboard/").status_code == 302  # logged out everywhere
    client.logout()
    assert first_login(client, "forgetful", code).status_code == 302
    assert set_password(client).status_code == 302


def test_invitations_go_to_pupils_with_an_address_and_no_password(client, teacher, cohort, pupils):
    student_in(cohort, username="already.set", email="set@example.az")
    client.force_login(teacher)

    response = client.post(f"/en/cohorts/{cohort.pk}/logins/invitations/", follow=True)

    page = text(response)
    assert "Invitation sent to 1 pupil." in page
    assert "2 pupils without a password have no e-mail address" in page
    (message,) = mail.outbox
    assert message.to == ["murad@example.az"]
    assert "murad.huseynov" in message.body
    link = re.search(
        r"http://testserver(/en/first-login/\?u=murad.huseynov&code=\w+)", message.body
    )[1]
    client.logout()
    form = text(client.get(link))
    code = re.search(r'name="code" value="(\w+)"', form)[1]
    assert first_login(client, "murad.huseynov", code).status_code == 302
    assert set_password(client)["Location"] == "/en/dashboard/"


def test_a_mail_server_failure_stores_no_invitation(client, teacher, cohort, pupils, settings):
    settings.EMAIL_BACKEND = "tests.people.test_login_codes.BrokenMailBackend"
    client.force_login(teacher)

    response = client.post(f"/en/cohorts/{cohort.pk}/logins/invitations/", follow=True)

    assert "The e-mails could not be sent" in text(response)
    assert not LoginCode.objects.exists()


class BrokenMailBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("no mail server")


def test_invitations_are_limited_per_cohort(client, teacher, cohort, pupils, settings):
    settings.LOGIN_INVITATIONS_RATE_PER_COHORT = "1/hour"
    cache.clear()
    client.force_login(teacher)
    client.post(f"/en/cohorts/{cohort.pk}/logins/invitations/")

    response = client.post(f"/en/cohorts/{cohort.pk}/logins/invitations/", follow=True)

    assert "Invitations were sent several times already." in text(response)
    assert len(mail.outbox) == 1
    cache.clear()


def test_the_logins_page_shows_each_pupils_state(client, teacher, cohort, pupils):
    logincodes.invitations_send(actor=teacher, cohort=cohort, site_url=SITE)
    sheet_codes(teacher, cohort)
    client.force_login(teacher)

    page = text(client.get(f"/en/cohorts/{cohort.pk}/logins/"))

    murad = re.search(r'data-username="murad.huseynov">.*?</tr>', page, re.S)[0]
    assert "Not chosen yet" in murad and "Card printed" in murad and "Invitation e-mailed" in murad
    assert "Print a new card" in murad


def test_the_logins_page_reads_the_same_number_of_queries_for_any_class_size(
    client, teacher, cohort, pupils
):
    sheet_codes(teacher, cohort)
    client.force_login(teacher)
    client.get(f"/en/cohorts/{cohort.pk}/logins/")  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as small:
        client.get(f"/en/cohorts/{cohort.pk}/logins/")
    import_class(cohort, [(f"pupil.{i}", f"N{i}", f"S{i}", f"p{i}@example.az") for i in range(12)])
    sheet_codes(teacher, cohort)
    client.get(f"/en/cohorts/{cohort.pk}/logins/")  # new memberships retired the cached roles
    with CaptureQueriesContext(connection) as large:
        client.get(f"/en/cohorts/{cohort.pk}/logins/")
    assert len(large) == len(small)


def test_a_pupil_of_an_institution_without_passwords_is_sent_to_sign_in_and_keeps_the_code(
    client, cohort, teacher, pupils
):
    codes = sheet_codes(teacher, cohort)
    cohort.institution.allow_local_passwords = False
    cohort.institution.save()

    response = first_login(client, "aysel.aliyeva", codes["aysel.aliyeva"])

    assert response.status_code == 400
    assert "does not use passwords on this platform" in text(response)
    assert client.session.get(FIRST_LOGIN_SESSION_KEY) is None  # no password step
    assert set_password(client).status_code == 302  # back to the first step: nothing set
    pupil = User.objects.get(username="aysel.aliyeva")
    assert not pupil.has_usable_password() and logged_in_as(client) is None
    # the code is still good for linking the institution's account
    assert logincodes.login_code_check(username="aysel.aliyeva", code=codes["aysel.aliyeva"])
