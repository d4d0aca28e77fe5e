"""API tokens: revoked by data managers, whose keys only superusers see."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy


def masked_key(key):
    """The first characters of a token, enough to tell tokens apart, never enough to use one."""
    return f"{key[:6]}…"


admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class KehrizTokenAdmin(TokenAdmin):
    """DRF's token admin, but a token's key is shown in full to superusers only (who create tokens
    and hand them to a device). Data managers revoke tokens (migration 0007) and see only the
    key's first characters: a full key would let them act as its owner, a superuser included."""

    @admin.display(description=_("key"))
    def masked(self, obj):
        return masked_key(obj.key)

    def get_list_display(self, request):
        return ["key" if request.user.is_superuser else "masked", "user", "created"]

    def has_view_permission(self, request, obj=None):
        # A token's own page names its key (title, breadcrumbs): superusers only.
        if obj is not None and not request.user.is_superuser:
            return False
        return super().has_view_permission(request, obj)

    def render_delete_form(self, request, context):
        if not request.user.is_superuser:
            # The page names the token and links to it by its primary key, which is the key itself.
            shown = MaskedToken(context["object"])
            context = {**context, "object": shown}
            context["deleted_objects"] = [format_html("{}: {}", context["object_name"], shown)]
        return super().render_delete_form(request, context)


class MaskedToken:
    """A token as its delete page shows it to a data manager: addressed by its user (as DRF's token
    admin addresses tokens), named by its masked key."""

    def __init__(self, token):
        self.pk = token.user_id
        self.shown = masked_key(token.key)

    def __str__(self):
        return self.shown
