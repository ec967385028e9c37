from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from . import views
from .forms import PlatformPasswordResetForm

handler403 = "cms.views.error_403"
handler404 = "cms.views.error_404"
handler500 = "cms.views.error_500"

urlpatterns = [
    path("", views.root, name="root"),
    path("healthz/", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # API: not language-prefixed; clients send Accept-Language
    path("api/v1/", include("lms.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # platform staff
    path("django-admin/", admin.site.urls),
    # teachers: Wagtail admin (scoped by groups and page permissions)
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

urlpatterns += i18n_patterns(
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=PlatformPasswordResetForm),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("institutions/<int:pk>/", views.institution_detail, name="institution-detail"),
    path("institutions/<int:pk>/cohorts/new/", views.cohort_create, name="cohort-create"),
    path("cohorts/<int:pk>/", views.cohort_detail, name="cohort-detail"),
    path("cohorts/<int:pk>/import/", views.cohort_import, name="cohort-import"),
    path("", include("grading.urls")),
    path("reports/", include("reports.urls")),
    path("", include("courses.urls")),
    # everything else is a Wagtail page; this must come last. Not under api/: otherwise
    # LocaleMiddleware turns every API 404 into a redirect to /<lang>/api/... (an HTML page).
    re_path(r"^(?!api/)", include(wagtail_urls)),
)

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
