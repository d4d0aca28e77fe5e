"""Where browsers report Content-Security-Policy violations (``CSP_REPORT_URI``).

The policy is enforced everywhere; the reports say what it stopped, so that a developer sees a
page that needs a change (or an attack) in the server's log. A report is a small JSON document
from the browser: anything larger or malformed is refused and nothing is stored."""

import json
import logging

from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

logger = logging.getLogger("kehriz.csp")

MAX_REPORT_BYTES = 16 * 1024


@csrf_exempt  # Browsers send reports without a CSRF token; nothing is changed by one.
@require_POST
def csp_report(request):
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > MAX_REPORT_BYTES:
        return HttpResponseBadRequest()
    try:
        report = json.loads(request.read(MAX_REPORT_BYTES + 1)[:MAX_REPORT_BYTES])
    except (ValueError, UnicodeDecodeError):
        return HttpResponseBadRequest()
    # application/csp-report: {"csp-report": {...}}; application/reports+json: [{"body": {...}}].
    reports = [report.get("csp-report")] if isinstance(report, dict) else [r.get("body") for r in report]
    for body in reports:
        if isinstance(body, dict):
            logger.warning(
                "CSP violation on %s: %s blocked %s",
                str(body.get("document-uri") or body.get("documentURL") or "?")[:300],
                str(body.get("violated-directive") or body.get("effectiveDirective") or "?")[:100],
                str(body.get("blocked-uri") or body.get("blockedURL") or "?")[:300],
            )
    return HttpResponse(status=204)
