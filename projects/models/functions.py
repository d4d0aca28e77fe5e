"""Date functions that the dashboard groups by, written so that an index can hold them.

Django's own TruncMonth and ExtractYear call a Python function once a row on SQLite (most of the
dashboard's time at 100,000 observations), and on PostgreSQL they truncate a ``date`` as a
``timestamp with time zone``, which depends on the session's time zone and so cannot be indexed.
Both databases store a date as what it is: SQLite as ISO text (``YYYY-MM-DD``), PostgreSQL as a
``date``, so the month and the year come from the date alone.
"""

from django.db.models import IntegerField
from django.db.models.functions import ExtractYear, TruncMonth


class MonthOf(TruncMonth):
    """The first day of a date's month, as a date (``observation_month_idx`` holds it)."""

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.lhs)
        return f"(substr({sql}, 1, 7) || '-01')", params

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.lhs)
        return f"(DATE_TRUNC('month', ({sql})::timestamp))::date", params


class YearOf(ExtractYear):
    """The year of a date, as a number."""

    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.lhs)
        return f"CAST(substr({sql}, 1, 4) AS integer)", params

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.lhs)
        return f"(EXTRACT(YEAR FROM {sql}))::integer", params
