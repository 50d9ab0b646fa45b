"""Text from input files shown safely: control and bidi characters become visible escapes.

A name in a topology or scenario file reaches the terminal, the HTML report and the
spreadsheets. Two kinds of character in it can make it show as something it is not:

* control characters (Unicode category ``Cc``: U+0000–U+001F and U+007F–U+009F), among
  them ESC, which starts terminal escape sequences (colours, cursor moves, window titles);
* the bidirectional formatting characters U+202A–U+202E, U+2066–U+2069, U+200E, U+200F and
  U+061C, which reorder the text around them (``evil\\u202egpj.exe`` shows as
  ``evilexe.jpg``).

Validation refuses them in ids and names (:mod:`netplan.model.topology`); these helpers are
the second line of defence wherever text is shown. Each such character is written as a
visible escape: ``\\t``, ``\\n``, ``\\r``, ``\\x1b`` up to U+00FF and ``\\u202e`` above.
Backslashes themselves are left alone, so Windows paths in messages read as typed.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "BIDI_CONTROLS",
    "describe_character",
    "document_safe",
    "first_hidden_character",
    "terminal_safe",
    "terminal_safe_lines",
]

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""The bidirectional formatting characters that reorder the text around them."""

# Category Cc is exactly U+0000-U+001F and U+007F-U+009F.
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f" + "".join(sorted(BIDI_CONTROLS)) + "]")
_DOCUMENT_HIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + "".join(sorted(BIDI_CONTROLS)) + "]"
)
# JSON text: json.dumps writes U+0000-U+001F in strings as escapes, and outside strings
# there is only its own white space; the rest it leaves as they are.
_JSON_HIDDEN = re.compile("[\x7f-\x9f" + "".join(sorted(BIDI_CONTROLS)) + "]")
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(char: str) -> str:
    code = ord(char)
    if char in _SHORT:
        return _SHORT[char]
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _json_escape(char: str) -> str:
    return f"\\u{ord(char):04x}"


def terminal_safe(text: str, *, for_json: bool = False) -> str:
    """``text`` with every control and bidi character written as a visible escape.

    Use it on every line printed to a terminal that holds names or ids from input files.
    Newlines are escaped too: print multi-line text with :func:`terminal_safe_lines`.

    Parameters
    ----------
    text : str
        The text to show.
    for_json : bool
        ``text`` is a JSON document written by ``json.dumps``: its line breaks stay, and
        every escape is written as ``\\uXXXX``, which JSON reads back as the original
        character (``\\x1b`` is not valid JSON).

    Examples
    --------
    >>> terminal_safe("core\\x1b[31m-1")
    'core\\\\x1b[31m-1'
    >>> terminal_safe("evil\\u202egpj.exe")
    'evil\\\\u202egpj.exe'
    >>> terminal_safe("重庆 C:\\\\out")
    '重庆 C:\\\\out'
    >>> print(terminal_safe('{\\n  "name": "a\\u202eb\\x85"\\n}', for_json=True))
    {
      "name": "a\\u202eb\\u0085"
    }
    """
    if for_json:
        return _JSON_HIDDEN.sub(lambda m: _json_escape(m.group()), text)
    if not _HIDDEN.search(text):
        return text
    return _HIDDEN.sub(lambda m: _escape(m.group()), text)


def terminal_safe_lines(text: str) -> str:
    """:func:`terminal_safe` on each line of ``text``; the line breaks stay.

    Only ``\\n`` breaks lines here; every other control character is escaped.

    Examples
    --------
    >>> print(terminal_safe_lines("a\\x1b[2J\\nb\\rc"))
    a\\x1b[2J
    b\\rc
    """
    return "\n".join(terminal_safe(line) for line in text.split("\n"))


def document_safe(text: str) -> str:
    """``text`` for a report or a spreadsheet: control and bidi characters made visible.

    Tab, newline and carriage return are kept (documents show them as white space); every
    other control character and every bidi control becomes a visible escape.

    Examples
    --------
    >>> document_safe("line 1\\nline 2\\u202e\\x07")
    'line 1\\nline 2\\\\u202e\\\\x07'
    """
    if not _DOCUMENT_HIDDEN.search(text):
        return text
    return _DOCUMENT_HIDDEN.sub(lambda m: _escape(m.group()), text)


def first_hidden_character(text: str, *, allow: str = "") -> str | None:
    """The first control or bidi character in ``text`` that is not in ``allow``, or None.

    Examples
    --------
    >>> first_hidden_character("a\\u202eb")
    '\\u202e'
    >>> first_hidden_character("two\\nlines", allow="\\t\\n\\r") is None
    True
    """
    for match in _HIDDEN.finditer(text):
        if match.group() not in allow:
            return match.group()
    return None


def describe_character(char: str) -> str:
    """The code point and Unicode name of ``char``, for a message.

    Control characters have no Unicode name; they are called what they are.

    Examples
    --------
    >>> describe_character("\\u202e")
    'U+202E RIGHT-TO-LEFT OVERRIDE'
    >>> describe_character("\\x1b")
    'U+001B (a control character)'
    """
    name = unicodedata.name(char, "") or "(a control character)"
    return f"U+{ord(char):04X} {name}"
