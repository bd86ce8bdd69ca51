"""Display names that show what they are: one normal form, nothing invisible, nobody passing for
the host.

`normalize` gives every name its NFKC form (fullwidth letters become plain ones), drops the
characters that render as nothing (zero-width spaces and joiners, direction marks, fillers; a
zero-width joiner inside an emoji sequence stays) and folds runs of spaces into one.
`skeleton` is what a name looks like: case, accents, punctuation and spacing gone, and letters
from other scripts that look like Latin ones (Cyrillic "а", Greek "Η", digits "0" and "1")
mapped to them, so "Ηаna", "H a n a." and "hana" share one. `claims_role` catches a name that
labels itself with a role, "(Host)" or "[mod]". Standard library only.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_ZWJ = "\u200d"
# Letters of no width outside the Cf (format) category.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u034f\u180e\u2800")

# Look-alikes of Latin letters (after casefolding), from Unicode's confusables for the scripts
# a name is likely to borrow from; enough to stop the usual impersonations, not every one.
_LOOKALIKES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j",
        "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l", "һ": "h", "ɡ": "g", "ү": "y",
        # Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ϲ": "c", "ω": "w", "μ": "u",
        # Latin look-alikes and digits
        "ı": "i", "ɩ": "i", "ł": "l", "ø": "o", "ß": "ss", "0": "o", "1": "l", "|": "l",
    }
)  # fmt: skip
# Capitals look like other letters than their small forms do (Greek "Η" is an H, "η" an n).
_CAPITAL_LOOKALIKES = str.maketrans(
    {
        "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p",
        "С": "c", "Т": "t", "Х": "x", "У": "y", "Ѕ": "s", "І": "i", "Ј": "j", "Ү": "y",
        "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m",
        "Ν": "n", "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x",
    }
)  # fmt: skip
_ROLE_WORDS = r"(?:co-?\s*host|host|moderator|mod|admin|owner|roomcast|staff|official)"
_ROLE_CLAIM = re.compile(rf"[(\[{{<]\s*{_ROLE_WORDS}\s*[)\]}}>]|^\s*{_ROLE_WORDS}\s*$", re.I)


def _visible(name: str) -> str:
    kept = []
    for i, ch in enumerate(name):
        if ch in _INVISIBLE_LETTERS:
            continue
        if unicodedata.category(ch) == "Cf":
            # A joiner between two pictographs builds one emoji (a family, a profession).
            between = 0 < i < len(name) - 1 and _pictograph(name[i - 1])
            if ch == _ZWJ and between and _pictograph(name[i + 1]):
                kept.append(ch)
            continue
        kept.append(ch)
    return "".join(kept)


def _pictograph(ch: str) -> bool:
    return unicodedata.category(ch) in ("So", "Sk") or ch == "\ufe0f"


def normalize(name: str) -> str:
    """NFKC, no invisible characters, single spaces, no space at either end (line breaks and
    other control characters stay, for the field check to refuse)."""
    visible = _visible(unicodedata.normalize("NFKC", name))
    spaced = "".join(" " if unicodedata.category(ch) == "Zs" else ch for ch in visible)
    return re.sub(" {2,}", " ", spaced).strip(" ")


def skeleton(name: str) -> str:
    """What the name looks like, for telling whether two names could pass for each other."""
    capitals = unicodedata.normalize("NFKD", normalize(name)).translate(_CAPITAL_LOOKALIKES)
    folded = unicodedata.normalize("NFKD", capitals.casefold())
    bare = "".join(ch for ch in folded if not unicodedata.combining(ch))
    mapped = bare.translate(_LOOKALIKES).replace("rn", "m").replace("vv", "w")
    return "".join(ch for ch in mapped if ch.isalnum())


def claims_role(name: str) -> bool:
    """Does the name label itself with a role ("Hana (Host)", "[mod] Kim", "Moderator")?"""
    return _ROLE_CLAIM.search(normalize(name)) is not None


@functools.lru_cache(maxsize=4096)
def likeness(name: str) -> str:
    """What `name` looks like with role labels aside: two names with the same non-empty
    likeness could pass for each other. Kept per name: every join compares against the
    host's and co-hosts' names, which do not change."""
    return skeleton(_ROLE_CLAIM.sub(" ", normalize(name)))
