"""The roles (projects/roles.py) enforced in the API, as in the admin."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from projects import roles


class RolePermission(permissions.DjangoModelPermissions):
    """Reading needs a login, except on views marked ``public_read`` (published kəhriz).
    Writing needs the model permission of the user's role, and for field officers an object in
    their districts (``view.district_ids_of(obj)``)."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return bool(getattr(view, "public_read", False) or request.user.is_authenticated)
        return super().has_permission(request, view)

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        if roles.can_edit_everything(request.user):
            return True
        ids = view.district_ids_of(obj)
        if bool(ids) and ids <= roles.district_ids(request.user):
            return True
        if roles.is_field_officer(request.user):
            # A permission instance serves one request: its message is this refusal's.
            self.message = _("This record belongs to a kəhriz outside your districts: you cannot change it.")
        return False


class StatusChangePermission(RolePermission):
    """Changing a kəhriz's status adds a status event: it needs that permission (field officers
    have it, in their districts), not the permission to edit the kəhriz's record."""

    def has_permission(self, request, view):
        return request.user.is_authenticated and request.user.has_perm("projects.add_statusevent")
