from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from projects.views import (
    api,
    csp,
    dashboard,
    district,
    field,
    field_map,
    field_uploads,
    kehriz,
    ogcapi,
    pages,
    photos,
)
from projects.views import project as project_views
from projects.views import report as report_views
from projects.views.iati import activity_xml as iati_activity_xml

app_name = "projects"

router = DefaultRouter()
router.register("districts", api.DistrictViewSet, basename="api-district")
router.register("villages", api.VillageViewSet, basename="api-village")
router.register("projects", api.ProjectViewSet, basename="api-project")
router.register("kehriz", api.KehrizViewSet, basename="api-kehriz")
router.register("status-events", api.StatusEventViewSet, basename="api-status-event")
router.register("works", api.RestorationWorkViewSet, basename="api-work")
router.register("visits", api.MonitoringVisitViewSet, basename="api-visit")
router.register("observations", api.ObservationViewSet, basename="api-observation")
router.register("follow-ups", api.FollowUpViewSet, basename="api-follow-up")
router.register("photos", api.PhotoViewSet, basename="api-photo")

urlpatterns = [
    path("", pages.map_page, name="home"),
    path("about/", pages.about, name="about"),
    path("csp-report/", csp.csp_report, name="csp-report"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("districts/<slug:slug>/", district.district_detail, name="district"),
    path("districts/<slug:slug>/report/", report_views.district_report, name="district-report"),
    path("districts/<slug:slug>/report.pdf", report_views.district_report_pdf, name="district-report-pdf"),
    path("projects/<slug:code>/report/", report_views.project_report, name="project-report"),
    path("projects/<slug:code>/report.pdf", report_views.project_report_pdf, name="project-report-pdf"),
    path("kehriz/<int:pk>/", kehriz.kehriz_detail, name="kehriz"),
    path("projects/<slug:code>/", project_views.project_detail, name="project"),
    path(
        "projects/<slug:code>/results/<int:indicator>/<int:period>/",
        project_views.result_rows,
        name="project-result-rows",
    ),
    path("projects/<slug:code>/iati.xml", iati_activity_xml, name="project-iati"),
    path("photos/<uuid:uuid>/", photos.photo, name="photo"),
    path("field/", field.app, name="field"),
    path("field/login/", field.FieldLoginView.as_view(), name="field-login"),
    path("field/logout/", field.FieldLogoutView.as_view(), name="field-logout"),
    path("field/kehriz.json", field.kehriz_list, name="field-kehriz"),
    path("field/sw.js", field.service_worker, name="field-service-worker"),
    path("field/manifest.webmanifest", field.manifest, name="field-manifest"),
    path("field/districts.json", field_map.districts, name="field-districts"),
    # Photos in chunks, resumable (projects/views/field_uploads.py): the field app's own door.
    path("field/uploads/", field_uploads.start, name="field-upload-start"),
    path("field/uploads/<uuid:uuid>/", field_uploads.status, name="field-upload"),
    path("field/uploads/<uuid:uuid>/<int:offset>/", field_uploads.chunk, name="field-upload-chunk"),
    path("field/uploads/<uuid:uuid>/complete/", field_uploads.complete, name="field-upload-complete"),
    path("api/v1/kehriz/map/", api.KehrizMapLayer.as_view(), name="api-kehriz-map"),
    path("api/v1/kehriz/routes/", api.KehrizRouteLayer.as_view(), name="api-kehriz-routes"),
    path(
        "api/v1/districts/boundaries/",
        api.DistrictBoundaryLayer.as_view(),
        name="api-district-boundaries",
    ),
    path(
        "api/v1/exports/<slug:kind>.<slug:fmt>",
        api.ExportView.as_view(),
        name="api-export",
    ),
    path("api/v1/", include(router.urls)),
    # OGC API – Features (read-only live layers for QGIS and other GIS programs).
    path("ogc/", include(ogcapi.urlpatterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up code as a script of its own (?script): the page
    # needs no inline script under the Content-Security-Policy.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="projects:api-schema"), name="api-docs"),
    # Anything else under /api/ answers the API's JSON 404, not the site's HTML page.
    re_path(r"^api/", api.not_found, name="api-not-found"),
]
