"""What a reader sees in a report: its text outside scripts, and the words its figures show.

Used by the bilingual tests to find English words left in a Chinese report.
"""

from __future__ import annotations

import html
import json
import re

__all__ = ["english_words", "figure_strings", "visible_strings"]

_FIGURE = re.compile(r'<script type="application/json" data-netplan-figure="[^"]*">(.*?)</script>',
                     re.S)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
_PLACEHOLDER = re.compile(r"%\{[^}]*\}|<extra>.*?</extra>|<[^>]+>")


def _layout_strings(layout: dict) -> list[str]:
    out = []
    for key, value in layout.items():
        if not isinstance(value, dict):
            continue
        title = value.get("title")
        if isinstance(title, dict) and isinstance(title.get("text"), str):
            out.append(title["text"])
        elif isinstance(title, str):
            out.append(title)
        out += [str(t) for t in value.get("ticktext", []) or []]
        if key.startswith("coloraxis") or key == "legend":
            bar = value.get("colorbar", {})
            if isinstance(bar.get("title"), dict):
                out.append(str(bar["title"].get("text", "")))
    for note in layout.get("annotations", []) or []:
        out.append(str(note.get("text", "")))
    for menu in layout.get("updatemenus", []) or []:
        out += [str(b.get("label", "")) for b in menu.get("buttons", [])]
    return out


def figure_strings(figure: dict) -> list[str]:
    """Titles, axis titles, tick labels, legend names, annotations and hover texts of a figure."""
    out = _layout_strings(figure.get("layout", {}))
    for trace in figure.get("data", []):
        if trace.get("showlegend", True) and isinstance(trace.get("name"), str):
            out.append(trace["name"])
        for key in ("hovertemplate", "texttemplate"):
            if isinstance(trace.get(key), str):
                out.append(trace[key])
        bar = (trace.get("marker") or {}).get("colorbar") or trace.get("colorbar") or {}
        if isinstance(bar.get("title"), dict):
            out.append(str(bar["title"].get("text", "")))
    return [_PLACEHOLDER.sub(" ", s) for s in out if s]


def visible_strings(page: str) -> list[str]:
    """The page's text outside scripts and styles, and every figure's visible strings."""
    body = page[page.index("<body"):]
    figures = [json.loads(html.unescape(m[1])) for m in _FIGURE.finditer(body)]
    body = re.sub(r"<script.*?</script>|<style.*?</style>", " ", body, flags=re.S)
    text = [html.unescape(x).strip() for x in re.sub(r"<[^>]+>", "\n", body).split("\n")]
    return [x for x in text if x] + [s for f in figures for s in figure_strings(f)]


def english_words(strings: list[str], allowed: set[str]) -> dict[str, str]:
    """English words in ``strings`` not in ``allowed`` (ids, units): word → first string."""
    found: dict[str, str] = {}
    for s in strings:
        # ids may hold dashes, digits and underscores: drop every allowed token first
        for token in re.findall(r"[\w.:+/-]+", s):
            token = token.strip(".:+/-")
            if token in allowed or token.lower() in allowed:
                continue
            if re.fullmatch(r"[0-9a-f]{16,}", token):  # a fingerprint
                continue
            for word in _WORD.findall(token):
                if len(word) == 1 and word.isupper():  # a symbol: T ≤ 2 s, B ≤ 0.01
                    continue
                if word not in allowed and word.lower() not in allowed:
                    found.setdefault(word, s)
    return found
