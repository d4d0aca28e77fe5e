from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from projects import trash
from projects.models import TrashEntry


class Command(BaseCommand):
    help = _(
        "Purge for good the deleted records that have been in the trash longer than TRASH_KEEP_DAYS "
        "(90 by default), with the photo files no photo names any more. Run it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=_("Purge what has been in the trash longer than this many days (default: TRASH_KEEP_DAYS)."),
        )

    def handle(self, *args, days=None, **options):
        days = settings.TRASH_KEEP_DAYS if days is None else days
        if days < 0:
            raise CommandError(_("--days cannot be negative."))
        older = TrashEntry.objects.filter(deleted_at__lt=timezone.now() - timedelta(days=days))
        count = trash.purge(older)
        self.stdout.write(trash.purged_message(count))
