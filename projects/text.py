"""Azerbaijani-aware text folding for search.

People type place names on keyboards without Azerbaijani letters ("Cabrayil", "Qaradagli",
"Agdam", "Aghdam"), or in capitals where Azerbaijani upper-case i is İ and upper-case ı is I
(naive ``str.lower()`` turns "I" into "i" and "İ" into "i̇"). ``fold`` maps a string to a plain
lower-case ASCII key; ``search_key`` stores every common spelling of a name so that a folded query
matches with a plain ``contains``.
"""

import re
import unicodedata

_AZ_LOWER = str.maketrans({"I": "ı", "İ": "i"})
# ə is typed as "e" (cebrayil) or "a" (Cabrayil); the other letters have one ASCII stand-in each.
_TO_ASCII_E = str.maketrans({"ə": "e", "ı": "i", "ğ": "g", "ş": "s", "ç": "c", "ö": "o", "ü": "u"})
_TO_ASCII_A = str.maketrans({"ə": "a", "ı": "i", "ğ": "g", "ş": "s", "ç": "c", "ö": "o", "ü": "u"})
# The English transliteration: Aghdam, Shiki, Chay, Khalifa.
_TO_ENGLISH = str.maketrans(
    {"ə": "a", "ı": "i", "ğ": "gh", "ş": "sh", "ç": "ch", "ö": "o", "ü": "u", "x": "kh"}
)
_SPACES = re.compile(r"[\s\-_.,;:/'\"`’()]+")


def az_lower(value):
    """Lower-case in the Azerbaijani sense: I → ı, İ → i."""
    return unicodedata.normalize("NFC", value.translate(_AZ_LOWER)).lower()


def _strip_marks(value):
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _clean(value):
    return _SPACES.sub(" ", _strip_marks(value)).strip()


def fold(value):
    """The search key of what a user typed: lower-case ASCII, ə as e, ı as i, spaces squeezed."""
    if not value:
        return ""
    return _clean(az_lower(str(value)).translate(_TO_ASCII_E))


def spellings(value):
    """Every folded spelling of a name that a user may type (ə as e or a; ğ as g or gh…)."""
    if not value:
        return []
    lowered = az_lower(str(value))
    found = []
    for table in (_TO_ASCII_E, _TO_ASCII_A, _TO_ENGLISH):
        key = _clean(lowered.translate(table))
        if key and key not in found:
            found.append(key)
    return found


def search_key(*names):
    """One stored string holding every spelling of every name, separated by '|'."""
    keys = []
    for name in names:
        for key in spellings(name):
            if key not in keys:
                keys.append(key)
    return "|" + "|".join(keys) + "|" if keys else ""


AZ_ALPHABET = "abcçdeəfgğhxıijkqlmnoöprsştuüvyz"
_AZ_ORDER = {letter: index for index, letter in enumerate(AZ_ALPHABET)}


def az_sort_key(value):
    """Sort names in the Azerbaijani alphabet's order (… e, ə, f …, h, x, ı, i …): Əsgər before
    Orta, where Unicode puts Ə after every Latin letter. Letters outside the alphabet (digits,
    punctuation, other scripts) come first, by code point."""
    return [(1, _AZ_ORDER[c]) if c in _AZ_ORDER else (0, ord(c)) for c in az_lower(value or "")]
