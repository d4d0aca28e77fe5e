import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

LOGIN_FILE = Path(settings.BASE_DIR) / ".local-login"


class Command(BaseCommand):
    help = _(
        "Create a local administrator login for this machine (once) and print it. The password "
        "is kept in .local-login, which git ignores. Refused when DEBUG is off."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        if not settings.DEBUG:
            raise CommandError(_("Refused: DEBUG is off. In production create logins with createsuperuser."))
        User = get_user_model()
        password = None
        if LOGIN_FILE.exists():
            stored_user, _sep, password = LOGIN_FILE.read_text(encoding="utf-8").strip().partition(":")
            if stored_user != username:
                password = None
        user = User.objects.filter(username=username).first()
        if user is None or password is None or not user.check_password(password):
            password = secrets.token_urlsafe(12)
            user = user or User(username=username)
            user.is_staff = user.is_superuser = user.is_active = True
            user.set_password(password)
            user.save()
            LOGIN_FILE.write_text(f"{username}:{password}\n", encoding="utf-8")
            LOGIN_FILE.chmod(0o600)
        self.stdout.write(
            self.style.SUCCESS(
                _("Local login: user %(user)s, password %(password)s (kept in %(file)s)")
                % {"user": username, "password": password, "file": LOGIN_FILE.name}
            )
        )
