from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _

from projects.backup import ENGINE_NAMES, BackupError, restore_backup


class Command(BaseCommand):
    help = _(
        "Restore an archive written by the backup command into an empty database and an empty "
        "media folder, then check every table's row count and every file's hash against its "
        "manifest. Refused, with nothing written, when the database holds data or the media "
        "folder holds files."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help=_("the backup archive (.tar.gz)"))
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help=_("database alias"))

    def handle(self, *args, archive, database, **options):
        try:
            restored = restore_backup(archive, using=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        manifest = restored.manifest
        self.stdout.write(
            _("Restored %(archive)s, made %(date)s on %(engine)s (Kəhriz %(version)s).")
            % {
                "archive": archive,
                "date": manifest["created_at"],
                "engine": ENGINE_NAMES[manifest["engine"]],
                "version": manifest["versions"].get("kehriz") or "?",
            }
        )
        wrong = []
        for table, (expected, found) in restored.counts.items():
            if options["verbosity"] >= 2:
                self.stdout.write(f"  {table}: {found}")
            if found != expected:
                wrong.append(
                    _("%(table)s: %(found)d rows, the manifest says %(expected)d")
                    % {"table": table, "found": found, "expected": expected}
                )
        files = len(manifest["media"])
        if restored.media_checked != files:
            wrong.append(
                _("%(bad)d of %(files)d media files differ from the manifest")
                % {"bad": files - restored.media_checked, "files": files}
            )
        if wrong:
            raise CommandError(
                _("The restored data differs from the manifest: %(wrong)s.") % {"wrong": "; ".join(wrong)}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Checked: the %(tables)d tables hold the manifest's row counts (%(rows)d rows), and "
                    "the %(files)d media files match their sha256."
                )
                % {"tables": len(restored.counts), "rows": sum(manifest["tables"].values()), "files": files}
            )
        )
        if restored.pending_migrations:
            self.stdout.write(
                _(
                    "This code has %(count)d migrations the archive had not applied: run manage.py "
                    "migrate next."
                )
                % {"count": len(restored.pending_migrations)}
            )
