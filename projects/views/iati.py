"""A project's IATI 2.03 activity file (``/projects/<code>/iati.xml``), public like the project's
page: it names only published, real kəhriz (see ``projects.iati``)."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_safe

from projects.iati import build_activity_xml
from projects.models import Project


@require_safe
def activity_xml(request, code):
    project = get_object_or_404(Project, code=code)
    response = HttpResponse(build_activity_xml(project), content_type="application/xml; charset=utf-8")
    # The code is a slug: nothing in the name needs quoting.
    response["Content-Disposition"] = (
        f'attachment; filename="iati-{project.code}-{timezone.localdate().isoformat()}.xml"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
