"""Folded search over stored search keys (see projects.text)."""

from functools import reduce
from operator import or_

from django.db.models import Q

from projects.text import fold


def folded_filter(queryset, text, fields):
    """Rows where every word of ``text`` appears, folded, in one of ``fields``."""
    for word in fold(text).split():
        queryset = queryset.filter(reduce(or_, (Q(**{f"{f}__contains": word}) for f in fields)))
    return queryset
