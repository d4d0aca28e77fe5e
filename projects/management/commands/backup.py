from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from projects.backup import ENGINE_NAMES, BackupError, make_backup


class Command(BaseCommand):
    help = _(
        "Write one archive (.tar.gz) holding the database, the uploaded photos and a manifest of "
        "row counts and file hashes, while the site keeps serving. Default folder: BACKUP_DIR "
        "(backups/ in the project)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", help=_("archive file, or folder to write it in"))
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help=_("database alias"))

    def handle(self, *args, output, database, **options):
        try:
            backup = make_backup(output=output, using=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        manifest = backup.manifest
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Backup written: %(path)s (%(size)s): %(engine)s database, %(rows)d rows in "
                    "%(tables)d tables, %(files)d media files."
                )
                % {
                    "path": backup.path,
                    "size": filesizeformat(backup.path.stat().st_size),
                    "engine": ENGINE_NAMES[manifest["engine"]],
                    "rows": sum(manifest["tables"].values()),
                    "tables": len(manifest["tables"]),
                    "files": len(manifest["media"]),
                }
            )
        )
