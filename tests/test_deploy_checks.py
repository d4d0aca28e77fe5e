"""`make check-deploy`: Django's deployment checks with production-like settings report only
what the README explains (and nothing the README does not)."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def deploy_check(**extra):
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_hex(32),
        "ALLOWED_HOSTS": "kehriz.example.org",
        **extra,
    }
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, set(re.findall(r"\(([a-z_.]+\.[EW]\d{3})\)", done.stdout + done.stderr))


def test_production_settings_report_only_what_the_readme_explains():
    done, ids = deploy_check()
    assert done.returncode == 0, done.stderr
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("`make check-deploy`") :]
    assert ids, "expected the documented HSTS preload warning"
    for check_id in ids:
        assert f"`{check_id}`" in section, f"{check_id} is reported but the README does not explain it"
    assert ids == {"security.W021"}


def test_turning_on_hsts_preload_leaves_nothing_to_report():
    done, ids = deploy_check(SECURE_HSTS_PRELOAD="true")
    assert done.returncode == 0, done.stderr
    assert ids == set(), done.stdout + done.stderr
