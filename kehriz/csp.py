"""The Content-Security-Policy of every response (django-csp), with the map tiles' origin.

The policy itself is ``CONTENT_SECURITY_POLICY`` in settings. Its image sources need the origin
of the base-map tile server, which ``MAP_TILES_URL`` names and which a deployment (or a test)
may change: this middleware adds that origin to ``img-src`` when the header is written, so the
policy and the maps always agree.

Every response carries a fresh nonce in ``script-src``, whether or not its page used one:
django-csp alone adds the nonce only when a template read ``request.csp_nonce``, so the header's
shape would depend on the page. A nonce that no script carries allows nothing more.
"""

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings


def tiles_origin(url):
    """``scheme://host[:port]`` of a tile URL template; ``{s}`` subdomains become ``*``."""
    parts = urlsplit(url.replace("{s}", "x"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.netloc
    if "{s}" in url.split("//", 1)[-1].split("/", 1)[0]:
        host = "*." + host.split(".", 1)[1]
    return f"{parts.scheme}://{host}"


class KehrizCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        if getattr(request, "_csp_nonce", None) is None and hasattr(request, "csp_nonce"):
            self._make_nonce(request)
        parts = super().get_policy_parts(request, response, report_only=report_only)
        origin = tiles_origin(getattr(settings, "MAP_TILES_URL", ""))
        if origin:
            update = dict(parts.update or {})
            update["img-src"] = [*update.get("img-src", []), origin]
            parts.update = update
        return parts
