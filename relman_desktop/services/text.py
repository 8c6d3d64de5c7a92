"""Text hygiene in one place: what text from users may hold, and how it is made safe to show.

Two directions, one definition of "unfit":

- coming in (forms, imports, the command line): ``text_problem`` names what is wrong — too
  long, a control character, a lone surrogate, a noncharacter such as U+FFFE — so the caller can
  refuse with the field's name or JSON path;
- going out (Word, Excel, iCalendar, PDF, a terminal): ``clean_text`` turns whatever a plan
  holds (written by an older version, edited with raw SQL) into text every format can carry:
  characters XML 1.0 forbids, C1 controls, lone surrogates and noncharacters are dropped, and an
  optional length bound cuts with an ellipsis. Each writer then adds its own escaping (python-docx,
  openpyxl and icalendar escape for their formats; a terminal gets ``for_terminal``).

No Qt here: services, importers and exporters all use it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

__all__ = [
    "MAX_NAME",
    "MAX_TEXT",
    "MAX_TITLE",
    "REPLACEMENT",
    "as_sentence",
    "clean_text",
    "clean_tree",
    "counted",
    "for_terminal",
    "text_problem",
]

MAX_TITLE = 300  # titles and names: what fits a column, a heading, a calendar summary
MAX_NAME = 200
MAX_TEXT = 100_000  # long text (scope, plans, notes): pages of it, not a pasted database
REPLACEMENT = "\ufffd"

# Control characters other than tab, line feed and carriage return (C0, DEL, C1 — the C1 block
# holds CSI, U+009B, which terminals read as ESC [), lone surrogates, and the noncharacters
# (U+FDD0–U+FDEF and the last two code points of every plane).
_NONCHARACTERS = "".join(
    f"\\U{(plane << 16) | low:08x}" for plane in range(17) for low in (0xFFFE, 0xFFFF)
)
_UNFIT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef" + _NONCHARACTERS + "]"
)
_LINE_BREAKS = re.compile(r"[\r\n\t\u2028\u2029]+")


def _describe(char: str) -> str:
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return f"a lone surrogate (U+{code:04X}), which is not a character"
    if unicodedata.category(char) == "Cc":
        return f"a control character (U+{code:04X})"
    return f"U+{code:04X}, which is not a character"


def text_problem(
    value: str, *, max_length: int = MAX_TEXT, single_line: bool = False
) -> str | None:
    """Why ``value`` may not be stored, in words ("holds a control character (U+001B)"), or None.

    Tab, line feed and carriage return are fine in long text; ``single_line`` refuses them too
    (titles, names, keys).
    """
    if len(value) > max_length:
        return f"is {len(value):,} characters long; at most {max_length:,} are allowed"
    bad = _UNFIT.search(value)
    if bad is None and single_line:
        bad = re.search(r"[\r\n\t\u2028\u2029]", value)
    if bad is not None:
        return f"holds {_describe(bad.group())} at character {bad.start() + 1}"
    return None


def clean_text(
    value: str, *, max_length: int | None = None, single_line: bool = False, replacement: str = ""
) -> str:
    """``value`` without the characters no format may carry (or with ``replacement`` for each,
    e.g. ``REPLACEMENT``); line breaks folded to one space when ``single_line``; cut to
    ``max_length`` characters (the last one an ellipsis)."""
    text = _UNFIT.sub(replacement, value)
    if single_line:
        text = _LINE_BREAKS.sub(" ", text)
    if max_length is not None and len(text) > max_length:
        text = text[: max(0, max_length - 1)] + "…"
    return text


def clean_tree(value: Any, *, max_length: int | None = None) -> Any:
    """``clean_text`` over every string in nested dicts, lists and tuples (report data)."""
    if isinstance(value, str):
        return clean_text(value, max_length=max_length)
    if isinstance(value, dict):
        return {k: clean_tree(v, max_length=max_length) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_tree(v, max_length=max_length) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(clean_tree(v, max_length=max_length) for v in value)
    return value


_TERMINAL_UNFIT = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef" + _NONCHARACTERS + "]"
)


def for_terminal(value: str, encoding: str | None = "utf-8") -> str:
    """Text safe to print: escape sequences and other controls shown as ``\\x1b`` instead of
    acting on the terminal, and characters the terminal's ``encoding`` lacks shown as ``?``
    (an arrow on an ISO-8859-1 console) instead of ending the command with an error."""
    text = _TERMINAL_UNFIT.sub(lambda m: ascii(m.group())[1:-1], value)
    if encoding:
        try:
            text.encode(encoding)
        except UnicodeEncodeError:
            text = text.translate(_PLAIN).encode(encoding, "replace").decode(encoding, "replace")
        except LookupError:  # an encoding Python does not know: keep to ASCII
            text = text.translate(_PLAIN).encode("ascii", "replace").decode("ascii")
    return text


# Spellings for the few typographic characters the app prints, where a terminal lacks them.
_PLAIN = str.maketrans(
    {
        "→": "->",
        "←": "<-",
        "–": "-",
        "—": "--",
        "…": "...",
        "·": "-",
        "✓": "v",
        "✗": "x",
        "×": "x",
        "≥": ">=",
        "≤": "<=",
        "\u00a0": " ",
    }
)


def counted(n: int, word: str, plural: str | None = None) -> str:
    """``1 release``, ``2 releases``, ``1,234 entries`` (``plural`` when not ``word + "s"``)."""
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


_ORDINARY_FIRST_WORD = re.compile(r"[a-z]+(?=[\s,;:]|$)")


def as_sentence(message: str) -> str:
    """A message shown as a line of its own (a status bar, a notice), starting with a capital.

    Service messages are written as clauses ("the deployment of REL-1 to prod was changed by
    …") so that they also read inside other sentences ("Undo was refused: the deployment …");
    the place that shows one alone calls this. Only an ordinary lower-case first word is
    capitalised: a file name (``x.relman``), an e-mail, a key or a quoted name keeps its
    spelling."""
    stripped = message.lstrip()
    if _ORDINARY_FIRST_WORD.match(stripped) is None:
        return message
    return stripped[0].upper() + stripped[1:]
