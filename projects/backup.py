"""Backups: one archive with the database, the uploaded media and a manifest; and its restore into
an empty database and an empty media folder (the ``backup`` and ``restore`` commands).

The archive, ``kehriz-backup-YYYYmmdd-HHMMSS.tar.gz``, holds:

- the database: ``database.sqlite3`` on SpatiaLite, a copy made through SQLite's online backup
  API (consistent while the app keeps serving), or ``database.pgdump`` on PostGIS, ``pg_dump``'s
  custom format taken in the same snapshot as the manifest's row counts;
- ``media/…``: every file under MEDIA_ROOT (the photos);
- ``manifest.json``, last: the engine, the date, the versions (Kəhriz, Django, Python, database,
  spatial extension), the applied migrations, the row count of every table, and the size and
  sha256 of the database file and of every media file.

A restore reads the manifest first and refuses, before writing anything: an archive that is not
a whole Kəhriz backup, one from the other engine, one from a newer version of the code, a
database whose app tables hold rows, a media folder holding files. It then unpacks into a staging
folder beside MEDIA_ROOT, checking every size and hash, puts the media files in place, and loads
the database in one step that also checks the counts (SQLite's backup API into the target; on
PostGIS one ``psql`` transaction). When anything fails the media files it placed are removed
and the database is left as it was.
"""

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import django
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT = "kehriz-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_FILE = {"spatialite": "database.sqlite3", "postgis": "database.pgdump"}
ENGINE_NAMES = {"spatialite": "SpatiaLite", "postgis": "PostGIS"}
MEDIA_DIR = "media"
CHUNK = 1024 * 1024
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BackupError(Exception):
    """A refusal or a failure, worded for the person running the command."""


@dataclass
class Backup:
    path: Path
    manifest: dict


@dataclass
class Restored:
    manifest: dict
    counts: dict  # table: (rows in the manifest, rows found)
    media_checked: int
    pending_migrations: list = field(default_factory=list)


# --- Where and what -----------------------------------------------------------------------------


def backup_dir():
    """``settings.BACKUP_DIR``, else the ``BACKUP_DIR`` environment variable, else ``backups/``."""
    folder = getattr(settings, "BACKUP_DIR", None) or os.environ.get("BACKUP_DIR")
    return Path(folder) if folder else Path(settings.BASE_DIR) / "backups"


def archive_name(moment=None):
    return f"kehriz-backup-{timezone.localtime(moment):%Y%m%d-%H%M%S}.tar.gz"


def engine_of(connection):
    if connection.vendor == "sqlite":
        return "spatialite"
    if connection.vendor == "postgresql":
        return "postgis"
    raise BackupError(
        _("Backups handle SpatiaLite and PostGIS databases, not %(vendor)s.") % {"vendor": connection.vendor}
    )


def app_version():
    try:
        with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as file:
            return tomllib.load(file)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return ""


def data_tables():
    """The tables whose rows are the app's data: every table of the ``projects`` app, and the
    users. (Migrations themselves fill content types, permissions and the role groups.)"""
    models = [*apps.get_app_config("projects").get_models(include_auto_created=True), get_user_model()]
    return sorted({model._meta.db_table for model in models})


def counted_tables(connection):
    """Every table Django knows (all installed apps, many-to-many tables, the migration record)."""
    return sorted({*connection.introspection.django_table_names(), "django_migrations"})


def _sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _files_under(root):
    """The files under ``root`` (a folder that may be missing), as sorted relative POSIX paths."""
    found = []
    if root.is_dir():
        for folder, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                found.append((Path(folder) / name).relative_to(root).as_posix())
    return found


def _count(cursor, quote, tables):
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


def _applied_migrations(cursor, quote):
    cursor.execute(f"SELECT app, name FROM {quote('django_migrations')} ORDER BY app, name")
    applied = {}
    for app, name in cursor.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


def _quote(name):
    return '"' + name.replace('"', '""') + '"'


# --- PostgreSQL's tools -------------------------------------------------------------------------


def _pg_tool(connection, name):
    """The PostgreSQL client tool of the server's major version (Debian installs each version's
    tools under /usr/lib/postgresql/N/bin); ``PG_BIN_DIR`` chooses another folder."""
    major = connection.pg_version // 10000
    folders = [os.environ.get("PG_BIN_DIR", ""), f"/usr/lib/postgresql/{major}/bin"]
    for folder in filter(None, folders):
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(
        _("%(tool)s was not found: install the PostgreSQL %(major)s client (postgresql-client-%(major)s).")
        % {"tool": name, "major": major}
    )


def _pg_command(connection, tool, *arguments):
    """``tool`` with the connection's host, port, user and database, and its password and TLS
    options in the environment (as ``manage.py dbshell`` passes them: never on the command line)."""
    from django.db.backends.postgresql.client import DatabaseClient

    args, env = DatabaseClient.settings_to_cmd_args_env(connection.settings_dict, list(arguments))
    return [tool, *args[1:]], {**os.environ, **(env or {})}


def _run(command, env=None):
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except OSError as error:
        raise BackupError(
            _("%(tool)s could not run: %(error)s") % {"tool": command[0], "error": error}
        ) from error
    if done.returncode != 0:
        raise BackupError(
            _("%(tool)s failed: %(error)s")
            % {"tool": Path(command[0]).name, "error": done.stderr.strip() or done.returncode}
        )
    return done.stdout


# --- Backup -------------------------------------------------------------------------------------


def make_backup(*, output=None, using="default"):
    """Write one archive (see the module's docstring) and return it with its manifest. The archive
    is written under a ``.part`` name and renamed when complete: no half-written archive is left."""
    connection = connections[using]
    engine = engine_of(connection)
    path = _output_path(output)
    partial = path.with_name(path.name + ".part")
    staging = Path(tempfile.mkdtemp(prefix=".kehriz-backup-", dir=path.parent))
    try:
        database_file = staging / DATABASE_FILE[engine]
        if engine == "spatialite":
            database = _copy_sqlite(connection, database_file)
        else:
            database = _dump_postgis(connection, database_file)
        database.update(
            file=database_file.name,
            size=database_file.stat().st_size,
            sha256=_sha256_of(database_file),
        )
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(timespec="seconds"),
            "engine": engine,
            "versions": {
                "kehriz": app_version(),
                "django": django.get_version(),
                "python": sys.version.split()[0],
                **database.pop("versions"),
            },
            "migrations": database.pop("migrations"),
            "tables": database.pop("tables"),
            "database": database,
            "media": [],
        }
        with tarfile.open(partial, "w:gz", format=tarfile.PAX_FORMAT) as archive:
            _add_file(archive, database_file, database_file.name)
            manifest["media"] = _add_media(archive, Path(settings.MEDIA_ROOT))
            content = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
            _add_bytes(archive, MANIFEST, content)
        with open(partial, "rb") as file:
            os.fsync(file.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Backup(path=path, manifest=manifest)


def _output_path(output):
    if output is None:
        folder = backup_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / archive_name()
    else:
        path = Path(output).expanduser()
        if path.is_dir():
            path = path / archive_name()
    if not path.parent.is_dir():
        raise BackupError(_("The folder %(folder)s does not exist.") % {"folder": path.parent})
    if path.exists():
        raise BackupError(
            _("%(path)s already exists, and a backup never replaces a file: choose another --output.")
            % {"path": path}
        )
    return path.absolute()


def _copy_sqlite(connection, target):
    """A copy of the live database through SQLite's online backup API, then counted in the copy."""
    if connection.in_atomic_block:
        raise BackupError(_("A backup runs outside a database transaction."))
    connection.ensure_connection()
    with contextlib.closing(sqlite3.connect(target)) as copy:
        connection.connection.backup(copy)
    existing = set(connection.introspection.table_names())
    tables = [table for table in counted_tables(connection) if table in existing]
    with contextlib.closing(sqlite3.connect(f"{target.as_uri()}?mode=ro", uri=True)) as copy:
        cursor = copy.cursor()
        counts = _count(cursor, _quote, tables)
        migrations = _applied_migrations(cursor, _quote)
    spatialite = ".".join(str(part) for part in connection.ops.spatial_version)
    return {
        "versions": {"sqlite": sqlite3.sqlite_version, "spatialite": spatialite},
        "migrations": migrations,
        "tables": counts,
    }


def _dump_postgis(connection, target):
    """``pg_dump`` (custom format) of the exact snapshot in which the rows are counted."""
    if connection.in_atomic_block:
        raise BackupError(_("A backup runs outside a database transaction."))
    connection.ensure_connection()
    pg_dump = _pg_tool(connection, "pg_dump")
    existing = set(connection.introspection.table_names())
    tables = [table for table in counted_tables(connection) if table in existing]
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute(
            "SELECT pg_export_snapshot(), current_setting('server_version'), postgis_lib_version()"
        )
        snapshot, server_version, postgis_version = cursor.fetchone()
        counts = _count(cursor, connection.ops.quote_name, tables)
        migrations = _applied_migrations(cursor, connection.ops.quote_name)
        # Compression is left to the archive's gzip; the snapshot holds while this transaction does.
        command, env = _pg_command(
            connection,
            pg_dump,
            "--format=custom",
            "--compress=0",
            f"--snapshot={snapshot}",
            f"--file={target}",
        )
        _run(command, env)
    return {
        "versions": {"postgresql": server_version, "postgis": postgis_version},
        "migrations": migrations,
        "tables": counts,
    }


def _member_info(name, size, mode=0o600):
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, mode, int(timezone.now().timestamp())
    return info


class _Hashing:
    """A file reader that hashes what passes through it."""

    def __init__(self, file):
        self.file, self.digest = file, hashlib.sha256()

    def read(self, size=-1):
        data = self.file.read(size)
        self.digest.update(data)
        return data


def _add_file(archive, path, name):
    with open(path, "rb") as file:
        reader = _Hashing(file)
        size = os.fstat(file.fileno()).st_size
        archive.addfile(_member_info(name, size), reader)
    return size, reader.digest.hexdigest()


def _add_bytes(archive, name, content):
    archive.addfile(_member_info(name, len(content)), io.BytesIO(content))


def _add_media(archive, root):
    """Every regular file under MEDIA_ROOT, hashed as it goes into the archive. A file removed
    while the backup runs (a deleted photo) is left out."""
    listed = []
    for relative in _files_under(root):
        path = root / relative
        if path.is_symlink() or not path.is_file():
            continue
        try:
            size, sha256 = _add_file(archive, path, f"{MEDIA_DIR}/{relative}")
        except FileNotFoundError:
            continue
        listed.append({"path": relative, "size": size, "sha256": sha256})
    return listed


# --- Restore ------------------------------------------------------------------------------------


def restore_backup(archive_path, *, using="default"):
    """Restore ``archive_path`` into the (empty) database ``using`` and the (empty) MEDIA_ROOT."""
    archive_path = Path(archive_path)
    if not archive_path.is_file():
        raise BackupError(_("There is no file %(path)s.") % {"path": archive_path})
    connection = connections[using]
    engine = engine_of(connection)
    if connection.in_atomic_block:
        raise BackupError(_("A restore runs outside a database transaction."))
    media_root = Path(settings.MEDIA_ROOT)
    with _open_archive(archive_path) as archive:
        manifest = _read_manifest(archive, archive_path)
        _check_engine(manifest, engine)
        _check_migrations(manifest)
        _check_media_is_empty(media_root)
        _check_database_is_empty(connection, engine)
        if engine == "postgis":
            _check_postgis_extension(connection)
        media_root.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".kehriz-restore-", dir=media_root.parent))
        try:
            database_file = _unpack(archive, archive_path, manifest, staging)
            if engine == "spatialite":
                _check_sqlite_copy(database_file, manifest)
            placed = _place_media(staging / MEDIA_DIR, media_root, manifest)
            try:
                if engine == "spatialite":
                    _load_sqlite(connection, database_file)
                else:
                    _load_postgis(connection, database_file, manifest, staging)
            except BaseException:
                placed.undo()
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    connection.close()  # a fresh connection sees the restored schema (and PostGIS's types)
    with connection.cursor() as cursor:
        found = _count(cursor, connection.ops.quote_name, manifest["tables"])
    counts = {table: (expected, found[table]) for table, expected in manifest["tables"].items()}
    checked = 0
    for item in manifest["media"]:
        if _sha256_of(media_root / item["path"]) == item["sha256"]:
            checked += 1
    return Restored(
        manifest=manifest,
        counts=counts,
        media_checked=checked,
        pending_migrations=_pending_migrations(connection),
    )


def _damaged(path, error):
    return BackupError(
        _(
            "%(path)s cannot be read as a Kəhriz backup: it is damaged or incomplete (%(error)s). "
            "Nothing was restored."
        )
        % {"path": path, "error": error}
    )


# Python's ways of saying that a compressed tar file is truncated or corrupt.
ARCHIVE_ERRORS = (tarfile.TarError, EOFError, zlib.error, OSError)


@contextlib.contextmanager
def _open_archive(path):
    try:
        archive = tarfile.open(path, "r:gz")  # noqa: SIM115 (closed below, also when the scan fails)
    except ARCHIVE_ERRORS as error:
        raise _damaged(path, error) from error
    with archive:
        try:
            archive.getmembers()  # reads the whole archive once: a truncated one fails here
        except ARCHIVE_ERRORS as error:
            raise _damaged(path, error) from error
        yield archive


def _read_manifest(archive, path):
    try:
        member = archive.getmember(MANIFEST)
    except KeyError:
        raise BackupError(
            _("%(path)s is not a Kəhriz backup: it has no manifest.json. Nothing was restored.")
            % {"path": path}
        ) from None
    if not member.isfile() or member.size > MAX_MANIFEST_BYTES:
        raise _bad_manifest(path)
    try:
        manifest = json.loads(archive.extractfile(member).read())
    except ARCHIVE_ERRORS as error:
        raise _damaged(path, error) from error
    except ValueError:
        raise _bad_manifest(path) from None
    if not _manifest_is_valid(manifest):
        raise _bad_manifest(path)
    return manifest


def _bad_manifest(path):
    return BackupError(
        _(
            "%(path)s is not a Kəhriz backup this version can read: its manifest.json is not "
            "valid. Nothing was restored."
        )
        % {"path": path}
    )


def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _safe_media_path(value):
    if not isinstance(value, str) or not value or "\\" in value or "\x00" in value:
        return False
    path = PurePosixPath(value)
    return not path.is_absolute() and all(part not in ("", ".", "..") for part in value.split("/"))


def _manifest_is_valid(manifest):
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return False
    if manifest.get("format_version") != FORMAT_VERSION or manifest.get("engine") not in DATABASE_FILE:
        return False
    database, tables, media = manifest.get("database"), manifest.get("tables"), manifest.get("media")
    migrations = manifest.get("migrations")
    if not isinstance(database, dict) or database.get("file") != DATABASE_FILE[manifest["engine"]]:
        return False
    if not _is_count(database.get("size")) or not SHA256.match(str(database.get("sha256", ""))):
        return False
    if not isinstance(tables, dict) or not all(
        isinstance(name, str) and TABLE_NAME.match(name) and _is_count(rows) for name, rows in tables.items()
    ):
        return False
    if not isinstance(migrations, dict) or not all(
        isinstance(names, list) and all(isinstance(name, str) for name in names)
        for names in migrations.values()
    ):
        return False
    if not isinstance(media, list):
        return False
    paths = set()
    for item in media:
        if not isinstance(item, dict) or not _safe_media_path(item.get("path")) or item["path"] in paths:
            return False
        if not _is_count(item.get("size")) or not SHA256.match(str(item.get("sha256", ""))):
            return False
        paths.add(item["path"])
    return True


def _check_engine(manifest, engine):
    if manifest["engine"] != engine:
        raise BackupError(
            _(
                "This archive holds a %(archive_engine)s database and this site runs on %(engine)s: a "
                "backup is restored into the same kind of database. Nothing was restored."
            )
            % {"archive_engine": ENGINE_NAMES[manifest["engine"]], "engine": ENGINE_NAMES[engine]}
        )


def _check_migrations(manifest):
    """Refuse an archive made by newer code: migrations this code lacks."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    applied = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    unknown = sorted(applied - known)
    if unknown:
        raise BackupError(
            _(
                "This archive comes from a newer version of Kəhriz: this code lacks the migrations "
                "%(migrations)s. Update the code first. Nothing was restored."
            )
            % {"migrations": ", ".join(f"{app}.{name}" for app, name in unknown[:10])}
        )


def _pending_migrations(connection):
    """The migrations of this code that the restored database has not applied (``migrate`` next)."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def _check_database_is_empty(connection, engine):
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        tables = [table for table in data_tables() if table in existing]
        counts = _count(cursor, connection.ops.quote_name, tables)
    holding = [f"{table} ({rows})" for table, rows in counts.items() if rows]
    if not holding:
        return
    name = connection.settings_dict["NAME"]
    if engine == "postgis":
        how = _(
            "create an empty database (createdb -O OWNER NEWNAME; psql NEWNAME -c 'CREATE EXTENSION "
            "postgis') and point DATABASE_URL at it, or drop and recreate %(name)s if its data may go"
        ) % {"name": name}
    else:
        how = _(
            "point DATABASE_URL at a new file (spatialite:////path/to/new.sqlite3), or move %(name)s "
            "away first"
        ) % {"name": name}
    raise BackupError(
        _(
            "Refused: the database %(name)s already holds data (%(tables)s). A restore only goes into "
            "an empty database, so that nothing in it is overwritten. To start from an empty "
            "database, %(how)s. Nothing was restored."
        )
        % {"name": name, "tables": ", ".join(holding), "how": how}
    )


def _check_media_is_empty(media_root):
    files = _files_under(media_root)
    if files:
        raise BackupError(
            _(
                "Refused: the media folder %(path)s already holds %(count)d files. A restore only puts "
                "photos into an empty folder: set MEDIA_ROOT to a new folder, or move those files away. "
                "Nothing was restored."
            )
            % {"path": media_root, "count": len(files)}
        )


def _check_postgis_extension(connection):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis'), "
            "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
        )
        has_postgis, superuser = cursor.fetchone()
    if not has_postgis and not superuser:
        raise BackupError(
            _(
                "The database %(name)s has no PostGIS extension, and its user may not create it: have a "
                "superuser run CREATE EXTENSION postgis in it first. Nothing was restored."
            )
            % {"name": connection.settings_dict["NAME"]}
        )


def _unpack(archive, path, manifest, staging):
    """Copy the database file and the media files into ``staging``, checking that the archive
    holds exactly what its manifest lists, with the same sizes and hashes."""
    expected = {manifest["database"]["file"]: manifest["database"]}
    for item in manifest["media"]:
        expected[f"{MEDIA_DIR}/{item['path']}"] = item
    seen = set()
    for member in archive.getmembers():
        if member.name == MANIFEST:
            continue
        item = expected.get(member.name)
        if item is None or not member.isfile() or member.name in seen:
            raise _mismatch(path, member.name)
        seen.add(member.name)
        target = staging.joinpath(*PurePosixPath(member.name).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with open(target, "xb") as out:
            try:
                source = archive.extractfile(member)
            except ARCHIVE_ERRORS as error:
                raise _damaged(path, error) from error
            while True:
                try:
                    chunk = source.read(CHUNK)
                except ARCHIVE_ERRORS as error:
                    raise _damaged(path, error) from error
                if not chunk:
                    break
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        if size != item["size"] or digest.hexdigest() != item["sha256"]:
            raise _mismatch(path, member.name)
    missing = sorted(set(expected) - seen)
    if missing:
        raise _mismatch(path, missing[0])
    return staging / manifest["database"]["file"]


def _mismatch(path, name):
    return BackupError(
        _(
            "%(path)s does not match its manifest (%(name)s is missing, changed or unexpected): it is "
            "damaged. Nothing was restored."
        )
        % {"path": path, "name": name}
    )


def _check_sqlite_copy(database_file, manifest):
    """The archive's database file is sound and holds the manifest's counts (before it is used)."""
    try:
        with contextlib.closing(sqlite3.connect(f"{database_file.as_uri()}?mode=ro", uri=True)) as copy:
            cursor = copy.cursor()
            cursor.execute("PRAGMA quick_check")
            sound = cursor.fetchone()[0] == "ok"
            counts = _count(cursor, _quote, manifest["tables"]) if sound else {}
    except sqlite3.DatabaseError as error:
        raise BackupError(
            _("The archive's database cannot be read (%(error)s). Nothing was restored.") % {"error": error}
        ) from error
    if not sound:
        raise BackupError(
            _("The archive's database is damaged (SQLite's check failed). Nothing was restored.")
        )
    _compare_counts(counts, manifest["tables"])


def _compare_counts(found, expected):
    wrong = [
        _("%(table)s: %(found)d rows, the manifest says %(expected)d")
        % {"table": table, "found": found.get(table, 0), "expected": rows}
        for table, rows in expected.items()
        if found.get(table) != rows
    ]
    if wrong:
        raise BackupError(
            _(
                "The archive's database does not hold what its manifest says (%(tables)s). "
                "Nothing was restored."
            )
            % {"tables": "; ".join(wrong[:8])}
        )


@dataclass
class _Placed:
    files: list = field(default_factory=list)
    folders: list = field(default_factory=list)

    def undo(self):
        for path in reversed(self.files):
            with contextlib.suppress(OSError):
                path.unlink()
        for folder in reversed(self.folders):
            with contextlib.suppress(OSError):
                folder.rmdir()


def _place_media(source, media_root, manifest):
    """Move the unpacked media files into the (empty) MEDIA_ROOT, remembering what was made."""
    placed = _Placed()
    try:
        for item in manifest["media"]:
            target = media_root.joinpath(*PurePosixPath(item["path"]).parts)
            missing = []
            folder = target.parent
            while not folder.exists():
                missing.append(folder)
                folder = folder.parent
            for folder in reversed(missing):
                folder.mkdir()
                placed.folders.append(folder)
            if target.exists():
                raise BackupError(_("%(path)s appeared during the restore.") % {"path": target})
            shutil.move(source.joinpath(*PurePosixPath(item["path"]).parts), target)
            placed.files.append(target)
    except BaseException:
        placed.undo()
        raise
    return placed


def _load_sqlite(connection, database_file):
    """SQLite's backup API, from the archive's file into the target: one transaction, the whole
    database replaced page by page (the empty tables a ``migrate`` made included)."""
    connection.close()
    connection.ensure_connection()
    try:
        with contextlib.closing(sqlite3.connect(f"{database_file.as_uri()}?mode=ro", uri=True)) as source:
            source.backup(connection.connection)
    except sqlite3.Error as error:
        raise BackupError(
            _("The database could not be restored (%(error)s). Nothing was restored.") % {"error": error}
        ) from error
    finally:
        connection.close()


def _load_postgis(connection, dump, manifest, staging):
    """One ``psql`` transaction: drop the empty tables a ``migrate`` may have made, run the dump,
    check every count against the manifest; any error rolls all of it back."""
    pg_restore, psql = _pg_tool(connection, "pg_restore"), _pg_tool(connection, "psql")
    # Everything in the dump but the extension's comment, which only the extension's owner may set.
    contents = _run([pg_restore, "--list", str(dump)])
    kept = [line for line in contents.splitlines() if not re.search(r"\bCOMMENT - EXTENSION\b", line)]
    listing, script = staging / "restore.list", staging / "restore.sql"
    listing.write_text("\n".join(kept) + "\n", encoding="utf-8")
    _run(
        [pg_restore, "--no-owner", "--no-privileges", f"--use-list={listing}", f"--file={script}", str(dump)]
    )

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
    existing = set(connection.introspection.table_names())
    prelude = staging / "prelude.sql"
    prelude.write_text(
        "".join(
            f"DROP TABLE IF EXISTS {_quote(schema)}.{_quote(table)} CASCADE;\n"
            for table in counted_tables(connection)
            if table in existing
        ),
        encoding="utf-8",
    )
    checks = "".join(
        f"  SELECT COUNT(*) INTO found FROM {_quote(schema)}.{_quote(table)};\n"
        f"  IF found <> {rows} THEN RAISE EXCEPTION "
        f"'{table}: % rows, the manifest says {rows}', found; END IF;\n"
        for table, rows in manifest["tables"].items()
    )
    verify = staging / "verify.sql"
    verify.write_text(f"DO $check$\nDECLARE found bigint;\nBEGIN\n{checks}END\n$check$;\n", encoding="utf-8")
    command, env = _pg_command(
        connection,
        psql,
        "--no-psqlrc",
        "--quiet",
        "--set=ON_ERROR_STOP=1",
        "--single-transaction",
        f"--file={prelude}",
        f"--file={script}",
        f"--file={verify}",
    )
    connection.close()
    try:
        _run(command, env)
    except BackupError as error:
        raise BackupError(
            _("The database could not be restored (%(error)s). Nothing was restored.") % {"error": error}
        ) from error
