"""Monthly reports delivered to a real HTTP server on 127.0.0.1 that checks the signature:
retries with backoff, a visible failure, an alert to staff, never twice under one key."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jsonschema
import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import override_settings

from people.models import Role, User
from reports import delivery as deliveries
from reports import tasks
from reports.models import MinistryEndpoint, ReportAccessLog, ReportDelivery, ReportSchedule
from reports.reading import Channel, report_read
from tests.factories import analyst

from .conftest import cohort_with_students, published, school
from .test_access import SCHEMA

pytestmark = pytest.mark.django_db
SECRET = "shared-secret-of-the-ministry"


class Ministry:
    """A ministry endpoint: answers with the scripted statuses in turn, then 200; verifies
    the HMAC and keeps what it accepted by idempotency key."""

    def __init__(self, script=(), delay: float = 0.0):
        self.script = list(script)
        self.delay = delay
        self.requests: list[dict] = []
        self.accepted: dict[str, bytes] = {}
        ministry = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                signed = hmac.compare_digest(self.headers.get("X-Report-Signature", ""), expected)
                key = self.headers.get("Idempotency-Key")
                ministry.requests.append({"key": key, "signed": signed, "body": body})
                if ministry.delay:
                    time.sleep(ministry.delay)
                status = ministry.script.pop(0) if ministry.script else 200
                if not signed:
                    status = 401
                if status == 200:
                    ministry.accepted.setdefault(key, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/reports"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def schedule(digcomp, region, record, competences):
    _cohort, students = cohort_with_students(school(region), 12)
    for s in students:
        record(s, competences[0], level=2)
    return ReportSchedule.objects.create(name="National monthly", framework=digcomp)


def endpoint(schedule, url, secret=SECRET) -> MinistryEndpoint:
    e = MinistryEndpoint.objects.create(name="Ministry data hub", url=url, secret=secret)
    schedule.endpoints.add(e)
    return e


def test_a_signed_report_arrives_once(schedule, eager):
    with Ministry() as ministry:
        endpoint(schedule, ministry.url)
        period = deliveries.previous_month()
        assert tasks.monthly_reports_task.apply(args=[period]).get() == 1
        # the monthly task running twice (beat hiccup, redelivery) sends nothing new
        assert tasks.monthly_reports_task.apply(args=[period]).get() == 0
    delivery = ReportDelivery.objects.get()
    assert delivery.status == "delivered" and delivery.attempts == 1
    assert len(ministry.requests) == 1 and ministry.requests[0]["signed"]
    assert ministry.requests[0]["key"] == str(delivery.idempotency_key)
    body = json.loads(ministry.accepted[str(delivery.idempotency_key)])
    jsonschema.validate(body, SCHEMA)
    students = list(User.objects.filter(memberships__role=Role.STUDENT))
    assert body["period"] == period and body["total"]["enrolled"] == published(students)
    assert ReportAccessLog.objects.filter(channel="delivery").exists()
    attempt = delivery.attempt_log.get()
    assert attempt.ok and attempt.http_status == 200


def test_a_failing_endpoint_is_retried_with_backoff_then_succeeds(schedule, eager, monkeypatch):
    countdowns = []
    original = tasks.deliver_report_task.retry

    def spy(*args, **kwargs):
        countdowns.append(kwargs.get("countdown"))
        return original(*args, **kwargs)

    monkeypatch.setattr(tasks.deliver_report_task, "retry", spy)
    with Ministry(script=[500, 503]) as ministry:
        endpoint(schedule, ministry.url)
        tasks.monthly_reports_task.apply(args=["2026-01"])
    delivery = ReportDelivery.objects.get()
    assert delivery.status == "delivered" and delivery.attempts == 3
    assert [a.http_status for a in delivery.attempt_log.all()] == [500, 503, 200]
    assert countdowns == [30, 60]  # exponential backoff
    keys = {r["key"] for r in ministry.requests}
    assert keys == {str(delivery.idempotency_key)}  # every retry under the same key
    assert len({r["body"] for r in ministry.requests}) == 1  # and the same bytes


def test_an_endpoint_that_stays_down_fails_visibly_and_alerts_staff(
    schedule, eager, settings, caplog, django_capture_on_commit_callbacks
):
    settings.ADMINS = [("Ops", "ops@example.az")]
    with Ministry(script=[500] * 10) as ministry:
        endpoint(schedule, ministry.url)
        tasks.monthly_reports_task.apply(args=["2026-02"])
    delivery = ReportDelivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.attempts == tasks.DELIVERY_MAX_RETRIES + 1
    assert all(a.http_status == 500 and not a.ok for a in delivery.attempt_log.all())
    assert len(mail.outbox) == 1 and "failed" in mail.outbox[0].subject
    assert any(r.levelname == "ERROR" and "failed after" in r.message for r in caplog.records)
    # nothing lost: resent by hand once the endpoint is back, under the same key
    with Ministry() as ministry:
        delivery.endpoint.url = ministry.url
        delivery.endpoint.save()
        with django_capture_on_commit_callbacks(execute=True):
            deliveries.delivery_resend(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert list(ministry.accepted) == [str(delivery.idempotency_key)]


def test_a_refused_or_unreachable_endpoint(schedule, eager, settings):
    settings.ADMINS = [("Ops", "ops@example.az")]
    with Ministry() as ministry:
        e = endpoint(schedule, ministry.url, secret="not-the-shared-secret")
        tasks.monthly_reports_task.apply(args=["2026-03"])
    delivery = ReportDelivery.objects.get()
    # 401 (bad signature) is not worth retrying: one attempt, failed, staff told
    assert delivery.status == "failed" and delivery.attempts == 1
    assert delivery.attempt_log.get().http_status == 401
    # an address where nothing listens: no HTTP status, the error is logged
    e.url = "http://127.0.0.1:9/reports"
    e.save()
    other = ReportDelivery.objects.create(
        schedule=schedule, endpoint=e, period="2026-04", payload=b"{}"
    )
    outcome = deliveries.delivery_attempt(delivery_id=other.pk)
    assert not outcome.delivered and outcome.retryable
    attempt = other.attempt_log.get()
    assert attempt.http_status is None and "refused" in attempt.error.lower()


def test_a_slow_endpoint_times_out_and_is_retried(schedule, monkeypatch):
    monkeypatch.setattr(deliveries, "DELIVERY_TIMEOUT_SECONDS", 0.3)
    with Ministry(delay=1.0) as ministry:
        e = endpoint(schedule, ministry.url)
        delivery = ReportDelivery.objects.create(
            schedule=schedule, endpoint=e, period="2026-05", payload=b"{}"
        )
        outcome = deliveries.delivery_attempt(delivery_id=delivery.pk)
    assert not outcome.delivered and outcome.retryable
    assert "timed out" in delivery.attempt_log.get().error.lower()


def test_a_delivered_report_is_never_sent_again(schedule):
    with Ministry() as ministry:
        e = endpoint(schedule, ministry.url)
        delivery = ReportDelivery.objects.create(
            schedule=schedule, endpoint=e, period="2026-06", payload=b'{"a": 1}'
        )
        assert deliveries.delivery_attempt(delivery_id=delivery.pk).delivered
        assert deliveries.delivery_attempt(delivery_id=delivery.pk).delivered
    assert len(ministry.requests) == 1


def test_endpoints_must_use_https_outside_this_machine():
    with pytest.raises(ValidationError):
        MinistryEndpoint(name="x", url="http://data.gov.example/in", secret="s").full_clean()
    MinistryEndpoint(name="x", url="https://data.gov.example/in", secret="s").full_clean()


@override_settings(REPORTS_MIN_GROUP_SIZE=10)
def test_the_admin_resend_action(client, schedule, eager, django_capture_on_commit_callbacks):
    from tests.factories import PASSWORD, staff_user

    staff = staff_user(is_superuser=True)
    with Ministry(script=[500] * 10) as ministry:
        e = endpoint(schedule, ministry.url)
        delivery = ReportDelivery.objects.create(
            schedule=schedule, endpoint=e, period="2026-07", payload=b"{}", status="failed"
        )
        client.login(username=staff.username, password=PASSWORD)
        page = client.get(f"/django-admin/reports/reportdelivery/{delivery.pk}/change/")
        assert page.status_code == 200
        ministry.script = []
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/django-admin/reports/reportdelivery/",
                {"action": "resend", "_selected_action": [delivery.pk]},
            )
        assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "delivered"


def figures(document):
    """A document's figures by key: everything but its time and its labels (whose language,
    and so the order of rows sorted by name, is the reader's)."""
    if isinstance(document, dict):
        return {
            k: figures(v) for k, v in document.items() if k not in ("label", "name", "generated_at")
        }
    if isinstance(document, list):
        if all(isinstance(v, dict) and "key" in v for v in document):
            return {v["key"]: figures(v) for v in document}
        return [figures(v) for v in document]
    return document


def test_the_delivered_report_and_the_page_agree(schedule, eager, client):
    """What the ministry receives is what its analysts see for the same filters: one
    document, the same perturbed figures (the same students, the same noise)."""
    user = analyst()  # (its ministry sits in a region of its own: made before the delivery)
    with Ministry() as ministry:
        endpoint(schedule, ministry.url)
        period = deliveries.previous_month()
        tasks.monthly_reports_task.apply(args=[period])
    delivery = ReportDelivery.objects.get()
    delivered = json.loads(ministry.accepted[str(delivery.idempotency_key)])
    params = {"period": period, "framework": schedule.framework.slug}
    read = report_read(reader=user, channel=Channel.PAGE, params=params)
    assert figures(json.loads(json.dumps(read.document))) == figures(delivered)
    client.force_login(user)
    html = client.get("/en/reports/", params).content.decode()
    assert f'data-testid="total-enrolled">{delivered["total"]["enrolled"]}<' in html
