"""Pages and files of the credentials app. Public: the verification page (anyone may
also hand in a credential file there), the issuer's JWK Set, the status lists. The
holder's (and staff's) only: the credential file and the certificate PDF."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_cache_control
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from . import access, selectors
from .certificate import render_certificate
from .forms import CredentialFileForm
from .models import Credential, StatusList

JWT_TYPE = "application/jwt"


@require_http_methods(["GET", "POST"])
def verify(request, pk=None):
    """The verdict on a stored credential (by its id), and on any file handed in."""
    credential = get_object_or_404(Credential, pk=pk) if pk else None
    stored = selectors.verify_stored(credential) if credential else None
    form = CredentialFileForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    checked = (
        selectors.verify_token(form.handed_in()) if form.is_bound and form.is_valid() else None
    )
    context = {
        "credential": credential,
        "verdict": stored,
        "form": form,
        "checked": checked,
        "jwks_url": selectors.jwks_url(),
    }
    return render(request, "credentials/verify.html", context, status=200)


def _own(request, pk) -> Credential:
    credential = get_object_or_404(Credential.objects.select_related("course"), pk=pk)
    if not access.may_download(request.user, credential):
        raise PermissionDenied
    return credential


@login_required
@require_GET
def download(request, pk):
    """The signed credential as issued (a compact JWS), for the holder's wallet."""
    credential = _own(request, pk)
    response = HttpResponse(credential.jws, content_type=JWT_TYPE)
    name = slugify(credential.achievement.get("name", "")) or "credential"
    response["Content-Disposition"] = f'attachment; filename="{name}.jwt"'
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_GET
def certificate(request, pk):
    credential = _own(request, pk)
    verdict = selectors.verify_stored(credential)
    if verdict.shown is None:  # a tampered record prints nothing
        raise Http404
    pdf = render_certificate(
        shown=verdict.shown,
        verification_url=selectors.verification_url(credential),
        revoked=verdict.status == selectors.REVOKED,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = slugify(credential.achievement.get("name", "")) or "certificate"
    response["Content-Disposition"] = f'attachment; filename="{name}-certificate.pdf"'
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_GET
def jwks(request):
    """The issuer's public keys (RFC 7517 JWK Set), retired ones included."""
    response = JsonResponse(selectors.jwk_set(), content_type="application/jwk-set+json")
    patch_cache_control(response, public=True, max_age=settings.CREDENTIALS_JWKS_MAX_AGE)
    response["Access-Control-Allow-Origin"] = "*"  # verifiers run in browsers too
    return response


@require_GET
def status_list(request, pk):
    """A revocation status list, signed (BitstringStatusListCredential as a VC-JWT)."""
    status = get_object_or_404(StatusList, pk=pk)
    response = HttpResponse(selectors.status_list_jws(status), content_type=JWT_TYPE)
    patch_cache_control(response, public=True, max_age=settings.CREDENTIALS_STATUS_LIST_MAX_AGE)
    response["Access-Control-Allow-Origin"] = "*"
    return response
