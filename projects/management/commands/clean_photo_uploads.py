from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from projects.models import Photo, PhotoUpload

# A phone may stay without signal for days in a village and then resume where it stopped.
KEEP_DAYS = 7


class Command(BaseCommand):
    help = _(
        "Delete the field app's unfinished photo uploads (the pieces received so far) untouched for "
        "longer than %(days)s days, and any left over by a photo already stored. A phone that comes "
        "back later sends its photo again from the start. Run it daily."
    ) % {"days": KEEP_DAYS}

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=KEEP_DAYS,
            help=_("Delete uploads untouched for longer than this many days (default: %(days)s).")
            % {"days": KEEP_DAYS},
        )

    def handle(self, *args, days=KEEP_DAYS, **options):
        if days < 0:
            raise CommandError(_("--days cannot be negative."))
        stale = PhotoUpload.objects.filter(updated_at__lt=timezone.now() - timedelta(days=days))
        done = PhotoUpload.objects.filter(Exists(Photo.objects.filter(uuid=OuterRef("uuid"))))
        count = (stale | done).count()
        (stale | done).delete()
        self.stdout.write(
            ngettext(
                "%(count)s unfinished photo upload deleted.",
                "%(count)s unfinished photo uploads deleted.",
                count,
            )
            % {"count": count}
        )
