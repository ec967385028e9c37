from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms import routing
from cms import views as cms_views

from . import views

handler403 = "lms.views.error_403"
handler404 = "lms.views.error_404"
handler500 = "lms.views.error_500"

urlpatterns = [
    path("", views.root, name="root"),
    path("healthz/", views.healthz, name="healthz"),
    path("favicon.ico", cms_views.favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    # API: not language-prefixed; clients send Accept-Language
    path("api/v1/", include("lms.api.urls")),
    # credentials: the issuer's public keys and revocation status lists, for verifiers
    path("", include("credentials.public_urls")),
    # single sign-on: the addresses registered at identity providers, without a language
    path("", include("sso.callback_urls")),
    # LTI 1.3 tool endpoints for university LMSs (Moodle, Canvas): exact, unprefixed URLs
    path("lti/", include("lti.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # the split view serves Swagger UI's start-up script from a URL: no inline script (CSP)
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # platform staff
    path("django-admin/", admin.site.urls),
    # teachers: Wagtail admin (scoped by groups and page permissions)
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

urlpatterns += i18n_patterns(
    path("", include("people.urls")),
    path("", include("sso.urls")),
    path("", include("grading.urls")),
    path("reports/", include("reports.urls")),
    path("", include("courses.urls")),
    path("", include("credentials.urls")),
    # everything else is a Wagtail page; this must come last. Not under api/: otherwise
    # LocaleMiddleware turns every API 404 into a redirect to /<lang>/api/... (an HTML page).
    # Wagtail's own URLs (its password-restriction form), then every page through Wagtail's
    # serve with cached routes (cms/routing.py)
    re_path(r"^(?!api/)", include(routing.urlpatterns)),
)

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
