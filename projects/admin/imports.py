"""Spreadsheet imports in the admin: upload, preview, confirm (projects.imports does the reading)."""

import re
import secrets
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from projects import exports, history, imports

IMPORT_SESSION_KEY = "spreadsheet_imports"
IMPORT_KEEP_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet"),
        help_text=_("A CSV (UTF-8) or XLSX file with the columns of the template."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(imports.EXTENSIONS):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        # Refused before it is read (projects/imports.py checks the rest: IMPORT_* settings).
        problem = imports.size_problem(upload.size)
        if problem:
            raise forms.ValidationError(problem)
        return upload


def _imports_folder():
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_old_uploads(folder):
    limit = time.time() - IMPORT_KEEP_SECONDS
    for old in folder.iterdir():
        if old.is_file() and old.stat().st_mtime < limit:
            old.unlink(missing_ok=True)


def _import_summary(preview):
    counts = preview.counts
    text = ngettext(
        "%(rows)d row: %(new)d new, %(update)d to update, %(unchanged)d unchanged.",
        "%(rows)d rows: %(new)d new, %(update)d to update, %(unchanged)d unchanged.",
        len(preview.rows),
    ) % {"rows": len(preview.rows), **counts}
    problems = preview.rows_with_errors
    if problems:
        text += " " + ngettext("%(count)d row has problems.", "%(count)d rows have problems.", problems) % {
            "count": problems
        }
    return text


class SpreadsheetImportMixin:
    """An "Import from spreadsheet" page on the changelist: upload → preview (nothing written) →
    confirm (all rows in one transaction, or none). The upload is kept under
    MEDIA_ROOT/imports/<user>-<token> between preview and confirm, and deleted after use."""

    import_kind = None

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="{}_{}_import".format(*info),
            ),
            path(
                "import/template.<str:fmt>",
                self.admin_site.admin_view(self.import_template_view),
                name="{}_{}_import_template".format(*info),
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request):
        """Adding and changing this model; observations also need the visits'."""
        user, app = request.user, self.opts.app_label
        needed = [f"{app}.add_{self.opts.model_name}", f"{app}.change_{self.opts.model_name}"]
        if self.import_kind == "observations":
            needed += [f"{app}.add_monitoringvisit", f"{app}.change_monitoringvisit"]
        return user.is_active and user.has_perms(needed)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "has_import_permission": self.has_import_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def import_template_view(self, request, fmt):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        kind = self.import_kind
        if fmt == "csv":
            body, content_type = imports.template_csv(kind), exports.FORMATS["csv"]
        elif fmt == "xlsx":
            body, content_type = imports.template_xlsx(kind), exports.FORMATS["xlsx"]
        else:
            raise Http404
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{kind}-template.{fmt}"'
        return response

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = ImportUploadForm()
        preview = token = None
        if request.method == "POST":
            action = request.POST.get("action", "preview")
            if action in ("confirm", "cancel"):
                return self._confirm_import(request, action)
            form = ImportUploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                data = upload.read()
                table = imports.read_table(data, upload.name, self.import_kind)
                preview = imports.importer_for(self.import_kind, request.user).dry_run(table)
                if preview.ok:
                    token = self._keep_upload(request, upload.name, data)
                form = ImportUploadForm()
        return self._import_page(request, form, preview, token)

    def _import_page(self, request, form, preview=None, token=None, refused=False):
        kind = self.import_kind
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Import %(records)s from a spreadsheet")
            % {"records": imports.KIND_LABELS[kind]},
            "form": form,
            "preview": preview,
            "summary": _import_summary(preview) if preview else "",
            "token": token,
            "refused": refused,
            "columns": imports.column_help(kind),
            "rules": imports.rules(),
            "kind": kind,
            "template_csv": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_import_template", args=["csv"]
            ),
            "template_xlsx": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_import_template", args=["xlsx"]
            ),
        }
        return TemplateResponse(request, "admin/projects/import.html", context)

    def _upload_path(self, request, token, extension):
        return _imports_folder() / f"{request.user.pk}-{token}{extension}"

    def _keep_upload(self, request, name, data):
        folder = _imports_folder()
        _forget_old_uploads(folder)
        token = secrets.token_urlsafe(24)
        extension = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
        self._upload_path(request, token, extension).write_bytes(data)
        kept = request.session.get(IMPORT_SESSION_KEY, {})
        kept[token] = {"kind": self.import_kind, "name": name, "extension": extension}
        request.session[IMPORT_SESSION_KEY] = kept
        return token

    def _take_upload(self, request, token):
        """The kept upload's (name, bytes), deleted from the server; None when it is gone."""
        if not _TOKEN.match(token or ""):
            return None
        kept = request.session.get(IMPORT_SESSION_KEY, {})
        meta = kept.pop(token, None)
        request.session[IMPORT_SESSION_KEY] = kept
        if not meta or meta.get("kind") != self.import_kind:
            return None
        stored = self._upload_path(request, token, meta["extension"])
        if not stored.is_file():
            return None
        data = stored.read_bytes()
        stored.unlink(missing_ok=True)
        return meta["name"], data

    def _confirm_import(self, request, action):
        changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        taken = self._take_upload(request, request.POST.get("token"))
        if action == "cancel":
            self.message_user(request, gettext("Import cancelled: nothing was written."), messages.INFO)
            return HttpResponseRedirect(changelist)
        if taken is None:
            self.message_user(
                request,
                gettext("This upload is no longer available: upload the file again."),
                messages.ERROR,
            )
            return HttpResponseRedirect(request.path)
        name, data = taken
        table = imports.read_table(data, name, self.import_kind)
        try:
            # Every version the import writes names the file it came from.
            with history.door(f"import: {name}"):
                counts = imports.importer_for(self.import_kind, request.user).apply(table)
        except imports.ImportRefused as refused:
            return self._import_page(request, ImportUploadForm(), refused.preview, refused=True)
        self.message_user(
            request,
            gettext("Imported %(name)s: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.")
            % {"name": name, **counts},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(changelist)
