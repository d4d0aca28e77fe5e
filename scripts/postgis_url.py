"""Print the PostGIS test database URL when a PostgreSQL server with PostGIS is reachable.

Exit 0 with the URL on stdout; exit 1 with the reason on stderr. `make test` runs the suite on
PostGIS when this succeeds, and says loudly why not when it does not."""

import os
import sys
from urllib.parse import urlparse

URL = os.environ.get("TEST_POSTGIS_URL", "postgis://postgres@127.0.0.1:5432/kehriz")


def main():
    try:
        import psycopg
    except ImportError:
        print("psycopg is not installed", file=sys.stderr)
        return 1
    parts = urlparse(URL)
    try:
        with psycopg.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password or None,
            dbname="postgres",
            connect_timeout=3,
        ) as connection:
            row = connection.execute(
                "select 1 from pg_available_extensions where name = 'postgis'"
            ).fetchone()
    except psycopg.Error as error:
        print(f"no PostgreSQL server at {parts.hostname}:{parts.port or 5432} ({error})", file=sys.stderr)
        return 1
    if not row:
        print(
            "PostgreSQL is running but PostGIS is not installed: "
            "apt-get install postgresql-$(pg_lsclusters -h | cut -d' ' -f1 | head -1)-postgis-3",
            file=sys.stderr,
        )
        return 1
    print(URL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
