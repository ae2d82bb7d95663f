"""Finding an organization of the unified list by any of its names, pure: in Latin or
Cyrillic, in another transliteration, with a typo.

Every name is folded to one key: lower case, accents dropped, Cyrillic transliterated to
Latin (Russian, with the Kazakh and Kyrgyz letters), punctuation to spaces. A query
folded the same way matches a name exactly, as the start of a word or of the name, or
within a few edits (Damerau-Levenshtein: a letter missing, added, changed or two swapped),
more edits being allowed in a longer name. So "ИГИЛ" finds "IGIL", "Daesh" finds "ДАИШ"
(daish) and "Islamik State" finds "Islamic State".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "ә": "a", "ғ": "g", "қ": "k", "ң": "n", "ө": "o", "ұ": "u", "ү": "u",
    "һ": "h", "і": "i",
}
# Spellings that differ only by the transliteration chosen: folded to one.
_LATIN = (("dzh", "zh"), ("kh", "h"), ("ph", "f"), ("w", "v"), ("q", "k"), ("x", "ks"), ("yi", "i"),
          ("ie", "e"), ("j", "zh"), ("c", "k"), ("y", "i"))


def fold(text: str) -> str:
    """The key a name is compared by."""
    lowered = unicodedata.normalize("NFKD", text.casefold())
    letters = []
    for ch in lowered:
        if unicodedata.combining(ch):
            continue
        if ch in _CYRILLIC:
            letters.append(_CYRILLIC[ch])
        elif ch.isalnum():
            letters.append(ch)
        else:
            letters.append(" ")
    key = " ".join("".join(letters).split())
    for a, b in _LATIN:
        key = key.replace(a, b)
    return key


def distance(a: str, b: str, most: int) -> int:
    """Edits between `a` and `b` (optimal string alignment), or `most + 1` once over."""
    if abs(len(a) - len(b)) > most:
        return most + 1
    before: list[int] | None = None
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + cost)
            if (before is not None and i > 1 and j > 1 and a[i - 1] == b[j - 2]
                    and a[i - 2] == b[j - 1]):
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > most:
            return most + 1
        before, row = row, current
    return row[-1]


def allowed_edits(key: str) -> int:
    """How many typos a query of this length may carry and still match."""
    n = len(key.replace(" ", ""))
    return 0 if n < 4 else 1 if n <= 6 else 2 if n <= 12 else 3


def score(query: str, name: str) -> float:
    """How well the folded `query` matches the folded `name`: 1 exact, 0.9 a start of the
    name or of one of its words, 0.8 and less within the allowed typos, 0 not at all."""
    if not query or not name:
        return 0.0
    if query == name:
        return 1.0
    if len(query) >= 3 and (name.startswith(query)
                            or any(w.startswith(query) for w in name.split())):
        return 0.9
    most = allowed_edits(query)
    if most == 0:
        return 0.0
    d = distance(query, name, most)
    if d <= most:
        return 0.8 - 0.1 * d
    if " " not in query:  # a word of a longer name, misspelt
        best = min((distance(query, w, most) for w in name.split()), default=most + 1)
        if best <= most and len(query) >= 5:
            return 0.7 - 0.1 * best
    return 0.0


def best(query: str, names: Iterable[str]) -> float:
    """The best score of `query` (as typed) against any of `names` (as stored, folded)."""
    key = fold(query)
    return max((score(key, n) for n in names), default=0.0)
