"""Site-wide views of the project: the landing page at `/`, health, and error pages (JSON
under /api/, the site's templates elsewhere)."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.views import home_for_request

from .api.errors import api_not_found, api_server_error, json_error
from .models import WorkerHeartbeat


def root(request: HttpRequest) -> HttpResponse:
    """`/`: the landing page in the visitor's language (links lead to /az/, /ru/, /en/)."""
    return home_for_request(request)


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and `make demo`: database and last worker heartbeat."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    last = WorkerHeartbeat.objects.order_by("-seen_at").first()
    return JsonResponse(
        {
            "database": "ok",
            "worker_last_seen": last.seen_at.isoformat() if last else None,
            "worker_age_seconds": (timezone.now() - last.seen_at).total_seconds() if last else None,
        }
    )


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def error_403(request, exception=None):
    if _is_api(request):
        return json_error(
            403,
            "permission_denied",
            str(exception or "") or _("You do not have permission to perform this action."),
        )
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


def error_404(request, exception=None):
    if _is_api(request):
        return api_not_found(request, exception)
    return render(request, "404.html", status=404)


def error_500(request):
    if _is_api(request):
        return api_server_error(request)
    # No request context: the context processors may be what failed.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
