"""Write the empty import templates (CSV and XLSX) and their README, from projects/tabular.py."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation
from django.utils.translation import gettext as _

from projects import imports

DEFAULT_FOLDER = Path(settings.BASE_DIR) / "docs" / "import-templates"


class Command(BaseCommand):
    help = _(
        "Write the import templates (villages, kəhriz, observations as CSV and XLSX with a help "
        "sheet) and their README into a folder (default: docs/import-templates)."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", nargs="?", default=str(DEFAULT_FOLDER))

    def handle(self, *args, folder, **options):
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        # The committed templates are documentation in English, whatever the site's language.
        with translation.override("en"):
            for kind in imports.COLUMNS:
                (folder / f"{kind}.csv").write_bytes(imports.template_csv(kind))
                (folder / f"{kind}.xlsx").write_bytes(imports.template_xlsx(kind))
            (folder / "README.md").write_text(imports.readme(), encoding="utf-8")
        self.stdout.write(
            self.style.SUCCESS(_("Import templates written to %(folder)s.") % {"folder": folder})
        )
