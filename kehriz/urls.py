from django.contrib import admin
from django.urls import include, path

# No route to MEDIA_ROOT, even in development: photos are sent by projects.views.photos, which
# checks who may see each one.
urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("projects.urls")),
]
