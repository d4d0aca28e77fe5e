"""Folded search: one way for every list, autocomplete and page to find rows by what people type.

A word typed as "Qaradagli", "QARADAĞLI" or "qaradağlı" is folded (``projects.text.fold``) and
looked for in the rows' stored search keys (``search_text``, every spelling of a name; see
``SearchableModel``) and, for plain text fields that have no stored key (a team name, a follow-up's
action), in the field folded the same way by the database at query time (``fold_expression``).
"""

from functools import reduce
from operator import or_

from django.db.models import F, Q, TextField, Value
from django.db.models.functions import Lower, Replace
from django.db.models.lookups import Contains

from projects.text import fold

# What fold() does to Azerbaijani letters, for the database: each letter, in both cases, to its
# ASCII stand-in (ə as e), then ASCII lower case, which every database does the same way.
_DB_FOLD = [
    ("Ə", "e"),
    ("ə", "e"),
    ("I", "i"),
    ("İ", "i"),
    ("ı", "i"),
    ("Ğ", "g"),
    ("ğ", "g"),
    ("Ş", "s"),
    ("ş", "s"),
    ("Ç", "c"),
    ("ç", "c"),
    ("Ö", "o"),
    ("ö", "o"),
    ("Ü", "u"),
    ("ü", "u"),
]


def fold_expression(field):
    """A database expression folding a plain text field the way ``fold`` folds a query."""
    expression = F(field)
    for letter, ascii_letter in _DB_FOLD:
        expression = Replace(expression, Value(letter), Value(ascii_letter), output_field=TextField())
    return Lower(expression, output_field=TextField())


def folded_filter(queryset, text, fields=(), plain=()):
    """Rows where every word of ``text``, folded, appears in one of the stored search keys
    ``fields`` (lookups ending in ``search_text``) or in one of the ``plain`` text fields.

    Follow only forward relations (foreign keys) in ``fields`` and ``plain``: a word matched
    through a reverse relation would repeat a row once per related row.

    A key on a related row ("kehriz__village__search_text") is matched in a subquery on that
    row's table ("kehriz_id IN (SELECT id FROM kehriz WHERE … OR village_id IN (SELECT id FROM
    village WHERE …))"), one per relation, not through joins: the database then reads each
    related table once, instead of joining the kəhriz, its village and its district to every
    one of half a million observations and testing three patterns on each row."""
    model = queryset.model
    for word in fold(text).split():
        conditions = [any_key_contains(model, fields, word)] if fields else []
        conditions += [Q(Contains(fold_expression(field), word)) for field in plain]
        queryset = queryset.filter(reduce(or_, conditions))
    return queryset


def any_key_contains(model, paths, word):
    """A condition on ``model``: one of the text fields at ``paths`` contains ``word``; the paths
    through a relation are grouped by it into one ``relation__in`` subquery each."""
    local, through = [], {}
    for path in paths:
        head, sep, rest = path.partition("__")
        if sep:
            through.setdefault(head, []).append(rest)
        else:
            local.append(path)
    conditions = [Q(**{f"{path}__contains": word}) for path in local]
    for head, rests in through.items():
        related = model._meta.get_field(head).related_model
        matching = related._base_manager.filter(any_key_contains(related, rests, word)).values("pk")
        conditions.append(Q(**{f"{head}__in": matching}))
    return reduce(or_, conditions)


# The stored keys that name a kəhriz: its own (name and code), its village's and its district's.
KEHRIZ_KEYS = ("search_text", "village__search_text", "district__search_text")


def kehriz_keys(path):
    """The stored keys naming the kəhriz at ``path`` (e.g. "observation__kehriz")."""
    return [f"{path}__{key}" for key in KEHRIZ_KEYS]
