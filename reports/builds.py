"""Report files built in the background: the page asks, a worker reads the report for the
person who asked (through report_read, so the read is checked and logged like any other)
and renders the file; the page polls the progress and offers the download."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone

from people.models import User

from . import queue
from .exports import render
from .models import ReportBuild
from .reading import Channel, report_access, report_read

logger = logging.getLogger(__name__)


@transaction.atomic
def report_build_request(*, user: User, fmt: str, params: Mapping) -> ReportBuild:
    """Queue a file build for `user` (after commit, on the default queue). Refused like a
    read (ReportAccessDenied, FilterError) before anything is queued. The read itself, and
    its log row, happen when the worker builds the file."""
    filters = report_access(reader=user, channel=Channel.FILE, params=params)
    build = ReportBuild.objects.create(requested_by=user, format=fmt, filters=filters.as_dict())
    queue.enqueue(queue.BUILD_REPORT, build.pk)
    return build


def report_build_run(*, build_id: int) -> ReportBuild | None:
    """Build the file of a queued build. Twice: a finished build (done or failed) is left
    as it is, so the report is read (and logged) once per file."""
    build = ReportBuild.objects.select_related("requested_by").filter(pk=build_id).first()
    if build is None or build.status in (ReportBuild.Status.DONE, ReportBuild.Status.FAILED):
        return build

    def progress(percent: int) -> None:
        ReportBuild.objects.filter(pk=build.pk).update(
            progress=percent, status=ReportBuild.Status.RUNNING
        )

    try:
        progress(5)
        read = report_read(
            reader=build.requested_by,
            channel=Channel.FILE,
            params=build.filters,
            fmt=build.format,
            progress=lambda p: progress(5 + p * 70 // 100),
        )
        progress(80)
        content = render(read.document, build.format)
    except Exception as exc:
        logger.exception("report build %s failed", build.pk)
        ReportBuild.objects.filter(pk=build.pk).update(
            status=ReportBuild.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
    else:
        ReportBuild.objects.filter(pk=build.pk).update(
            status=ReportBuild.Status.DONE,
            progress=100,
            content=content,
            finished_at=timezone.now(),
        )
    build.refresh_from_db()
    return build


def report_build_file(*, user: User, build_id: int) -> ReportBuild | None:
    """The finished build `build_id` of `user`, with its file; None for anyone else's, or
    one not finished. The read it holds was checked and logged when it was built."""
    return ReportBuild.objects.filter(
        pk=build_id, requested_by=user, status=ReportBuild.Status.DONE
    ).first()
