#!/usr/bin/env bash
# Set up what Kəhriz needs on a Debian/Ubuntu machine: system libraries, a virtualenv, requirements.
# Idempotent: a second run checks and does nothing more. Used by `make run` and `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
# GDAL, GEOS and PROJ (GeoDjango), GDAL's Python bindings built by Debian for its python3
# (python3-gdal), SpatiaLite (the default database), gettext (translations); Pango, HarfBuzz and
# the DejaVu fonts (Azerbaijani letters) for WeasyPrint's PDF report; poppler-utils (pdftotext,
# pdftoppm), with which the tests read that PDF back; Node.js, whose own test runner runs the
# field app's unit tests (tests/js/; Debian 12's nodejs 18 has it).
SYSTEM_PACKAGES="python3 python3-venv python3-gdal gdal-bin libsqlite3-mod-spatialite binutils libproj-dev gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils nodejs ${EXTRA_SYSTEM_PACKAGES:-}"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

ensure_packages() {
  local missing="" pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
  done
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = 0 ]; then
    say "installing system packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends $missing >/dev/null
  else
    say "missing system packages:$missing"
    echo "Run this, then run the same make command again:"
    echo "  sudo apt-get update && sudo apt-get install -y$missing"
    exit 1
  fi
}

# shellcheck disable=SC2086
ensure_packages $SYSTEM_PACKAGES

can_load_extensions() {
  "$1" -c 'import sqlite3,sys; sys.exit(0 if hasattr(sqlite3.connect(":memory:"), "enable_load_extension") else 1)' 2>/dev/null
}

if [ -x "$VENV/bin/python" ] && ! can_load_extensions "$VENV/bin/python"; then
  say "$VENV was built from a Python whose sqlite3 cannot load SpatiaLite: rebuilding it"
  rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
  # GeoDjango on SQLite needs a Python whose sqlite3 can load extensions (mod_spatialite).
  # Debian's and Ubuntu's /usr/bin/python3 (installed above with python3-venv) can; pyenv and
  # many hand-built Pythons cannot, so the first one that can is used, whatever is first on PATH.
  chosen=""
  for candidate in ${PYTHON:-} /usr/bin/python3 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && can_load_extensions "$candidate"; then
      chosen=$candidate; break
    fi
  done
  if [ -z "$chosen" ]; then
    say "no Python here can load SQLite extensions, which SpatiaLite needs."
    echo "Install Debian's Python (apt-get install python3 python3-venv) or point PYTHON at one"
    echo "built with extension loading, or use PostGIS (DATABASE_URL=postgis://...)."
    exit 1
  fi
  say "virtualenv from $chosen ($("$chosen" --version)), whose sqlite3 can load SpatiaLite"
  "$chosen" -m venv "$VENV"
fi

if ! cmp -s requirements.txt "$VENV/.requirements.installed"; then
  say "installing Python requirements"
  "$VENV/bin/pip" install -q -r requirements.txt
  cp requirements.txt "$VENV/.requirements.installed"
fi

# GDAL's Python bindings (exports to GeoPackage; tests read every export back with OGR) must match
# the system's libgdal exactly, so they are not pinned in requirements.txt. Debian's python3-gdal
# is built for that libgdal and for /usr/bin/python3, which the virtualenv normally comes from:
# the venv gets a symlink to that one package (osgeo), not the whole of dist-packages, so nothing
# else of Debian's can shadow or stand in for a requirement. A venv from another Python (PYTHON=)
# cannot load Debian's extension modules: then the bindings are compiled against libgdal as before.
if ! "$VENV/bin/python" -c "from osgeo import ogr" 2>/dev/null; then
  site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  debian_osgeo=/usr/lib/python3/dist-packages/osgeo
  if [ -d "$debian_osgeo" ] && [ ! -e "$site/osgeo" ]; then
    ln -s "$debian_osgeo" "$site/osgeo"
    if "$VENV/bin/python" -c "from osgeo import ogr" 2>/dev/null; then
      say "GDAL Python bindings: Debian's python3-gdal (linked into $VENV)"
    else
      rm -f "$site/osgeo"
    fi
  fi
fi
if ! "$VENV/bin/python" -c "from osgeo import ogr" 2>/dev/null; then
  ensure_packages python3-dev g++ libgdal-dev
  say "building GDAL $(gdal-config --version) Python bindings against the system library"
  "$VENV/bin/pip" install -q "GDAL==$(gdal-config --version)"
fi

say "compiling translations"
"$VENV/bin/python" manage.py compilemessages -v 0 --ignore "$VENV/*"
