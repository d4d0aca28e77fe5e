"""Azerbaijani dates and numbers, one way on every page.

Django's own az module gives "j E Y" and d.m.Y already; what it gets wrong is the case of the
month names, which come from translations: those are overridden in our catalogue (see
``kehriz/formats/months.py``) so a date reads "13 mart 2024", as Azerbaijani writes it.
"""

DATE_FORMAT = "j E Y"  # 13 mart 2024
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j E Y, H:i"
YEAR_MONTH_FORMAT = "F Y"  # mart 2024
MONTH_DAY_FORMAT = "j E"  # 13 mart
# Forms and the admin's date fields show d.m.Y; pages show DATE_FORMAT.
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday

# What people type (13.03.2024) first, then ISO (2024-03-13), which browsers' date pickers and
# spreadsheets send.
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y"]
DATETIME_INPUT_FORMATS = [
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%d.%m.%Y",
    "%Y-%m-%d",
]

DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"  # a non-breaking space: 1 250,5 never splits across lines
NUMBER_GROUPING = 3
