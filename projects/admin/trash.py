"""The trash in the admin: deleting a kəhriz, visit, observation or photo moves it there (with
what hangs on it); data managers restore from it, superusers purge (projects.trash)."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from projects import roles, trash
from projects.models import StatusEvent, TrashEntry


class TrashesDeletesMixin:
    """Deleting in the admin (one record, or the list's delete action) moves to the trash."""

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        # Nobody deletes status events (the history is only added to), but they go to the trash
        # with their kəhriz, and come back with it: that needs no permission to delete them.
        kept = {str(StatusEvent._meta.verbose_name)}
        return to_delete, model_count, {p for p in perms_needed if str(p) not in kept}, protected

    def delete_model(self, request, obj):
        label = str(obj)
        trash.move_to_trash(obj, request.user)
        self.message_user(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                gettext("“%(record)s” is in the trash: it can be restored from there.") % {"record": label},
                reverse("admin:projects_trashentry_changelist"),
                gettext("Open the trash"),
            ),
            messages.INFO,
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            trash.move_to_trash(obj, request.user)


class RefusesDeleteWhileUsedMixin:
    """Deleting a district or project that records still use is refused, as Django refuses a
    protected foreign key: the delete page lists what uses it and offers no button. Without this
    a many-to-many link (a kəhriz's projects, a figure's districts) would silently be dropped."""

    # Reverse relations whose rows keep the record (accessor names).
    used_by = ()

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        protected = list(protected)
        for obj in objs:
            for accessor in self.used_by:
                related = getattr(obj, accessor).all()
                meta = related.model._meta
                for row in related[:20]:
                    protected.append(format_html("{}: {}", capfirst(meta.verbose_name), row))
                more = related.count() - 20
                if more > 0:
                    protected.append(format_html("{} {} …", more, meta.verbose_name_plural))
        return to_delete, model_count, perms_needed, protected


@admin.register(TrashEntry)
class TrashEntryAdmin(admin.ModelAdmin):
    list_display = ["label", "kind", "summary", "deleted_by", "deleted_at", "door"]
    list_filter = ["kind", "deleted_at"]
    list_select_related = ["deleted_by"]
    fields = ["kind", "label", "summary", "object_id", "deleted_by", "deleted_at", "door"]
    readonly_fields = fields
    actions = ["restore_selected"]

    def changelist_view(self, request, extra_context=None):
        title = _("Trash: deleted records, to restore or to purge")
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Purging loses the record for good: superusers only (and purge_trash, on a schedule).
        return request.user.is_active and request.user.is_superuser

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            function, name, _description = actions["delete_selected"]
            actions["delete_selected"] = (function, name, _("Purge the selected records for good"))
        return actions

    def delete_model(self, request, obj):
        trash.purge([obj])

    def delete_queryset(self, request, queryset):
        trash.purge(queryset)

    @admin.action(description=_("Restore the selected records"), permissions=["change"])
    def restore_selected(self, request, queryset):
        if not roles.can_edit_everything(request.user):
            self.message_user(request, gettext("Only data managers restore from the trash."), messages.ERROR)
            return
        # What others point to first: a visit before its observations, an observation before
        # its photos; in the order they were deleted within a kind.
        order = list(TrashEntry.Kind.values)
        for entry in sorted(queryset, key=lambda e: (order.index(e.kind), e.deleted_at, e.pk)):
            try:
                trash.restore(entry, request.user)
            except trash.RestoreRefused as refused:
                self.message_user(
                    request,
                    gettext("“%(record)s” was not restored: %(reason)s")
                    % {"record": entry.label, "reason": refused},
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request, gettext("“%(record)s” was restored.") % {"record": entry.label}, messages.SUCCESS
                )
