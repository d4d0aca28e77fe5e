"""The printable report of a project or a district: an HTML page to print from the browser
(A4 print styles) and the same content as a PDF made by WeasyPrint.

``?start=`` and ``?end=`` (ISO dates, both optional) narrow it to a period; a date that is not one
answers 400 with a message in the reader's language. ``?lang=az`` or ``?lang=en`` chooses the
language of this one answer: the site's language switcher is a form (POST, remembered in a
cookie), which a link in an e-mail or the page's "PDF in English" cannot use, and the same URL
must give the same PDF to whoever opens it. Without ``lang`` the reader's language is used (the
switcher's cookie, else the browser's), as on every page.

The PDF fetches nothing over the network: WeasyPrint's URL fetcher serves our static files from
disk and refuses every other URL (the map and charts are inline SVG drawn here)."""

import datetime
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlencode, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from projects.models import District, Project
from projects.report import build_report

LANGUAGES = [code for code, _name in settings.LANGUAGES]


class BadPeriod(ValueError):
    pass


def _date(request, name):
    text = request.GET.get(name, "").strip()
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        # Whole sentences, not a word put into one: languages decline "start" and "end".
        if name == "start":
            message = _("“%(value)s” is not a date: give the period's start as YYYY-MM-DD, e.g. 2024-01-01.")
        else:
            message = _("“%(value)s” is not a date: give the period's end as YYYY-MM-DD, e.g. 2024-12-31.")
        raise BadPeriod(message % {"value": text}) from None


def parse_period(request):
    """(start, end) from the query; BadPeriod with a message for the reader when they are not
    dates or the end comes before the start."""
    start, end = _date(request, "start"), _date(request, "end")
    if start and end and end < start:
        raise BadPeriod(_("The period ends before it starts: give an end date on or after the start date."))
    return start, end


def _language(request):
    asked = request.GET.get("lang", "")
    return asked if asked in LANGUAGES else translation.get_language()


def _query(**params):
    return urlencode({k: v for k, v in params.items() if v})


class StaticOnlyFetcher:
    """A WeasyPrint URL fetcher that serves this site's static files from disk (the report's
    stylesheet) and ``data:`` URLs, and refuses everything else: no request leaves the server."""

    def __init__(self, host):
        from weasyprint.urls import URLFetcher

        self.host = host
        self.static_prefix = urlsplit(static("")).path
        self._data = URLFetcher(allowed_protocols={"data"})
        self._fail_on_errors = False

    def _file(self, name):
        try:
            path = staticfiles_storage.path(name)
            if Path(path).is_file():
                return path
        except Exception:  # noqa: BLE001 (not a storage with files, or a name outside it)
            pass
        try:
            return finders.find(name)
        except Exception:  # noqa: BLE001 (a name outside the static folders)
            return None

    def __call__(self, url):
        from weasyprint.urls import URLFetcherResponse

        parts = urlsplit(url)
        if parts.scheme == "data":
            return self._data.fetch(url)
        if parts.scheme in ("http", "https") and parts.netloc == self.host:
            path = unquote(parts.path)
            if path.startswith(self.static_prefix):
                found = self._file(path[len(self.static_prefix) :])
                if found:
                    content_type = mimetypes.guess_type(found)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, Path(found).read_bytes(), {"Content-Type": content_type})
        raise ValueError(f"The report fetches nothing but its own static files: {url} refused.")


def _render_pdf(request, context, filename):
    from weasyprint import HTML

    html = render_to_string("projects/report/pdf.html", context, request=request)
    pdf = HTML(
        string=html,
        base_url=request.build_absolute_uri("/"),
        url_fetcher=StaticOnlyFetcher(request.get_host()),
    ).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _report(request, *, kind, name, project=None, district=None):
    language = _language(request)
    with translation.override(language):
        try:
            start, end = parse_period(request)
        except BadPeriod as error:
            response = render(request, "projects/report/bad_period.html", {"message": str(error)}, status=400)
            response["Content-Language"] = language
            return response
        if project is not None:
            page = reverse("projects:project-report", args=[project.code])
            pdf = reverse("projects:project-report-pdf", args=[project.code])
        else:
            page = reverse("projects:district-report", args=[district.slug])
            pdf = reverse("projects:district-report-pdf", args=[district.slug])
        period = {"start": start.isoformat() if start else "", "end": end.isoformat() if end else ""}
        context = {
            **build_report(project=project, district=district, start=start, end=end),
            "language": language,
            "start_value": period["start"],
            "end_value": period["end"],
            "page_url": page,
            "pdf_links": [
                {
                    "code": code,
                    "label": translation.get_language_info(code)["name_local"],
                    "url": f"{pdf}?{_query(**period, lang=code)}",
                }
                for code in LANGUAGES
            ],
        }
        if kind == "pdf":
            suffix = "-".join(filter(None, [period["start"], period["end"]]))
            filename = f"kehriz-report-{name}{'-' + suffix if suffix else ''}-{language}.pdf"
            response = _render_pdf(request, context, filename)
        else:
            response = render(request, "projects/report/page.html", context)
        response["Content-Language"] = language
        return response


def project_report(request, code):
    project = get_object_or_404(Project, code=code)
    return _report(request, kind="html", name=project.code, project=project)


def project_report_pdf(request, code):
    project = get_object_or_404(Project, code=code)
    return _report(request, kind="pdf", name=project.code, project=project)


def _district(slug):
    return get_object_or_404(District.objects.defer("boundary"), slug=slug)


def district_report(request, slug):
    district = _district(slug)
    return _report(request, kind="html", name=district.slug, district=district)


def district_report_pdf(request, slug):
    district = _district(slug)
    return _report(request, kind="pdf", name=district.slug, district=district)
