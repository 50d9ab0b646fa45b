"""One self-contained, offline HTML report page.

:func:`render_page` assembles sections (heading, text, plotly figures, tables) into a single
document that opens without network access: plotly.js is embedded once from the installed
``plotly`` package (never a CDN), every figure's data is inlined as JSON, and a Content
Security Policy forbids the page to load or send anything. Every string that can come from an
input file is escaped, in the HTML and inside the embedded JSON, so a node called
``<script>…</script>`` shows as text. The output is deterministic: the same arguments give the
same bytes (element ids are numbered in order; no timestamp unless one is passed in).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from netplan.errors import NetplanError
from netplan.report.i18n import check_lang, t

log = logging.getLogger(__name__)

#: plotly.js options used for every figure.
PLOTLY_CONFIG: Mapping[str, Any] = {
    "displaylogo": False,
    "responsive": True,
    "showLink": False,
    "toImageButtonOptions": {"format": "png", "scale": 2},
}

_HTML_LANG = {"zh": "zh-CN", "en": "en"}

# Characters that must not appear raw in JSON placed inside <script>: '<' (ends the element
# or opens a comment), '>' and '&' (for symmetry with HTML parsers), and the two line
# separators that older JavaScript parsers treat as newlines.
_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}

_CSS = """
:root { --ink: #1f2933; --muted: #52606d; --rule: #d9e2ec; --accent: #1d4e89; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 24px 28px 48px; color: var(--ink);
  font: 15px/1.55 "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
  system-ui, -apple-system, "Segoe UI", sans-serif; }
h1 { font-size: 1.7em; margin: 0 0 .2em; color: var(--accent); }
h2 { font-size: 1.3em; margin: 1.8em 0 .5em; padding-bottom: .2em;
  border-bottom: 2px solid var(--rule); }
p { margin: .4em 0 .8em; }
.subtitle, .meta { color: var(--muted); margin: 0 0 1em; }
nav.toc ol { margin: .3em 0 1em 1.2em; padding: 0; }
nav.toc a { color: var(--accent); text-decoration: none; }
figure { margin: 1em 0 1.4em; }
.plot { width: 100%; min-height: 360px; }
figcaption, caption { color: var(--muted); font-size: .9em; text-align: left; padding: .3em 0; }
.table-wrap { overflow-x: auto; margin: .6em 0 1.2em; }
table { border-collapse: collapse; font-size: .9em; min-width: 40%; }
th, td { border-bottom: 1px solid var(--rule); padding: .3em .7em; text-align: left;
  vertical-align: top; }
th { background: #f0f4f8; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
/* numbers and headers stay on one line; other cells break at spaces only, so a CJK
   name is not split after every character; the last column, usually the longest
   text, wraps anywhere */
th, td.num, td.id { white-space: nowrap; }
td:not(:last-child) { word-break: keep-all; }
footer { margin-top: 3em; padding-top: .8em; border-top: 2px solid var(--rule);
  color: var(--muted); font-size: .85em; }
footer code { font-size: 1em; word-break: break-all; color: var(--ink); }
@page { size: A4; margin: 14mm 12mm 16mm;
  @bottom-center { content: counter(page) " / " counter(pages); font-size: 9pt; color: #555; } }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav.toc { display: none; }
  h2 { break-after: avoid; }
  figure, tr { break-inside: avoid; }
  /* the first page is the answer: the verdict, what to buy and what it costs */
  section:first-of-type { break-after: page; }
  .modebar-container { display: none !important; }
  a { color: inherit; text-decoration: none; }
}
""".strip()

# Draws every figure from its JSON block; narrows them to the A4 text width while printing.
_BOOT_JS = """
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("netplan-plotly-config").textContent);
  var blocks = document.querySelectorAll("script[data-netplan-figure]");
  var PRINT_WIDTH_PX = 700;
  for (var i = 0; i < blocks.length; i++) {
    var spec = JSON.parse(blocks[i].textContent);
    var target = document.getElementById(blocks[i].getAttribute("data-netplan-figure"));
    try {
      Plotly.newPlot(target, spec.data || [], spec.layout || {}, config);
    } catch (err) {
      // one broken figure must not stop the others from drawing
      console.error("netplan: figure " + target.id + " failed: " + err);
    }
  }
  function plots() { return document.querySelectorAll(".js-plotly-plot"); }
  window.addEventListener("beforeprint", function () {
    var all = plots();
    for (var i = 0; i < all.length; i++) {
      all[i].setAttribute("data-netplan-width", all[i].layout.width == null ? "" : all[i].layout.width);
      Plotly.relayout(all[i], {width: PRINT_WIDTH_PX});
    }
  });
  window.addEventListener("afterprint", function () {
    var all = plots();
    for (var i = 0; i < all.length; i++) {
      var w = all[i].getAttribute("data-netplan-width");
      Plotly.relayout(all[i], {width: w ? Number(w) : null, autosize: true});
    }
  });
})();
""".strip()


@dataclass(frozen=True)
class Table:
    """A table for a report section: rows of plain records, every cell escaped.

    Parameters
    ----------
    rows : sequence of mapping
        One mapping per row (column name → value).
    columns : sequence of str, optional
        Columns to show, in order; default: every key, in the order first seen.
    labels : mapping, optional
        Header text per column (default: the column name).
    caption : str
        Shown above the table.
    formats : mapping, optional
        Python format spec per column for numbers, e.g. ``{"cost_cny": ",.0f"}``.

    Examples
    --------
    >>> Table([{"link": "a-b", "load_gbps": 1.5}]).columns_shown()
    ['link', 'load_gbps']
    """

    rows: Sequence[Mapping[str, Any]]
    columns: Sequence[str] | None = None
    labels: Mapping[str, str] | None = None
    caption: str = ""
    formats: Mapping[str, str] | None = None

    def columns_shown(self) -> list[str]:
        """The columns in display order."""
        if self.columns is not None:
            return list(self.columns)
        seen: dict[str, None] = {}
        for row in self.rows:
            for key in row:
                seen.setdefault(str(key), None)
        return list(seen)


@dataclass(frozen=True)
class Section:
    """One part of a report: a heading, paragraphs, figures and tables, in that order.

    Parameters
    ----------
    title : str
        The heading (escaped).
    text : str or sequence of str
        Paragraphs of plain text (escaped; blank lines in a single string split paragraphs).
    figures : sequence of plotly Figure, or of (Figure, caption) pairs
        Drawn in order.
    tables : sequence of Table, or of lists of row mappings
        Shown after the figures.

    Examples
    --------
    >>> Section("Links", "Two links.").paragraphs()
    ['Two links.']
    """

    title: str
    text: str | Sequence[str] = ()
    figures: Sequence[Any] = field(default_factory=tuple)
    tables: Sequence[Table | Sequence[Mapping[str, Any]]] = field(default_factory=tuple)

    def paragraphs(self) -> list[str]:
        """The text as a list of paragraphs."""
        if isinstance(self.text, str):
            return [p.strip() for p in self.text.split("\n\n") if p.strip()]
        return [str(p) for p in self.text if str(p).strip()]


def escape(value: Any) -> str:
    """HTML-escape any value shown as text (quotes too, so it is safe in attributes).

    Control and bidi characters (U+202E …) become visible escapes, so a name cannot
    reorder or hide the text around it (:func:`netplan.io.text.document_safe`).

    Examples
    --------
    >>> escape('<img src=x onerror=alert(1)>')
    '&lt;img src=x onerror=alert(1)&gt;'
    >>> escape("evil\\u202egpj.exe")
    'evil\\\\u202egpj.exe'
    """
    from netplan.io.text import document_safe

    return html.escape(document_safe(str(value)), quote=True)


def plain_text(value: Any) -> str:
    """Text for a plotly label or hover box, shown literally.

    plotly.js reads a small subset of HTML in text (``<b>``, ``<br>``, ``<a href>`` …);
    escaping makes names from input files show exactly as written. Join the results with
    ``"<br>"`` for line breaks.

    Examples
    --------
    >>> plain_text("<b>x</b> & y")
    '&lt;b&gt;x&lt;/b&gt; &amp; y'
    >>> plain_text("a\\x1b[31mb")
    'a\\\\x1b[31mb'
    """
    from netplan.io.text import document_safe

    return html.escape(document_safe(str(value)), quote=False)


def script_json(data: Any) -> str:
    """JSON text that is safe inside a ``<script>`` element.

    ``<``, ``>``, ``&`` and the Unicode line separators are written as ``\\uXXXX`` escapes,
    so no string in the data can close the element (``</script>``) or open a comment
    (``<!--``); ``JSON.parse`` gives back the original strings.

    Examples
    --------
    >>> script_json({"name": "</script><!--"})
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003c!--"}'
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _escape_script_json(text)


def _escape_script_json(text: str) -> str:
    for raw, escaped in _JSON_ESCAPES.items():
        text = text.replace(raw, escaped)
    return text


def figure_json(fig: Any) -> str:
    """A plotly figure as JSON text that is safe inside ``<script>`` (see :func:`script_json`).

    Uses plotly's own encoder (numpy arrays, dates) with the standard-library engine so the
    text does not depend on which optional JSON libraries are installed.

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> "</" in figure_json(go.Figure(go.Scatter(x=[1], y=[2], text=["</script>"])))
    False
    """
    import plotly.io as pio

    try:
        text = pio.to_json(fig, validate=False, pretty=False, engine="json")
    except (TypeError, ValueError, AttributeError) as exc:
        raise NetplanError(f"cannot embed figure: {exc}") from exc
    return _escape_script_json(text)


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The minified plotly.js bundled with the installed ``plotly`` package.

    Examples
    --------
    >>> plotly_js().lstrip().startswith("/**")
    True
    """
    path = resources.files("plotly").joinpath("package_data", "plotly.min.js")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NetplanError(
            "plotly.js is missing from the installed plotly package (package_data/plotly.min.js)"
        ) from None
    if "</script" in text.lower():
        raise NetplanError("the bundled plotly.js contains '</script' and cannot be inlined")
    return text


def plotly_js_version() -> str:
    """Version of the embedded plotly.js, read from its header comment.

    Examples
    --------
    >>> plotly_js_version().count(".") >= 2
    True
    """
    head = plotly_js()[:400]
    marker = "plotly.js v"
    start = head.find(marker)
    if start < 0:
        return "unknown"
    return head[start + len(marker) :].split()[0]


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _csp(scripts: Iterable[str]) -> str:
    # Only the page's own scripts may run (by hash); nothing may be fetched, posted or framed.
    hashes = " ".join(_sha256(s) for s in scripts)
    return (
        "default-src 'none'; "
        f"script-src {hashes}; "
        "style-src 'unsafe-inline'; "
        "img-src data: blob:; font-src data:; connect-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    )


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_cell(value: Any, lang: str = "zh", spec: str | None = None,
                column: str | None = None) -> tuple[str, bool]:
    """Text for one table cell and whether it is a number (numbers align right).

    ``column`` (the column's name) decides how a number reads: years and counts as plain
    digits, money (``*_cny``) in the language's units, utilisations as percentages (see
    :func:`netplan.report.numbers.format_value`); ``spec`` formats other numbers.

    Examples
    --------
    >>> format_cell(1234567), format_cell(0.8512), format_cell(True, "en")
    (('1,234,567', True), ('0.851', True), ('yes', False))
    >>> format_cell(2026, "en", column="cause_year"), format_cell(60000.0, "zh", column="capex_cny")
    (('2026', True), ('6.0 万元', True))
    """
    from netplan.report.numbers import format_value

    if _is_missing(value):
        return "—", False
    if isinstance(value, bool) or (
        getattr(value, "dtype", None) is not None and getattr(value.dtype, "kind", "") == "b"
    ):
        return t("report.yes" if bool(value) else "report.no", lang), False
    if isinstance(value, numbers.Real):
        if isinstance(value, numbers.Integral):
            value = int(value)
        return format_value(value, lang, column, spec), True
    return str(value), False


# A unit in brackets at the end of a header: yuan in either language.
_MONEY_UNIT = re.compile(r"\s*[（(](?:元|万元|CNY)[）)]\s*$")


def _header(label: str, column: str) -> str:
    """A column header; money cells carry their own unit (元, 万元 or CNY), so a money
    column's header drops the one its label ends with."""
    from netplan.report.numbers import column_kind

    if column_kind(column) == "money":
        return _MONEY_UNIT.sub("", str(label)) or str(label)
    return str(label)


_ID_COLUMNS = frozenset({"id", "link", "origin", "destination", "data_centre", "failure",
                         "cause_failure"})
_ID_CELL = ' class="id"'


def render_table(table: Table | Sequence[Mapping[str, Any]], lang: str = "zh") -> str:
    """A table as escaped HTML.

    Numbers are written as their column asks (:func:`format_cell`): a table of purchases
    shows ``2026`` and ``179.0 万元`` (zh) or ``1,790,000 CNY`` (en), and the header of a
    money column leaves its unit to the cells.

    Examples
    --------
    >>> print(render_table([{"name": "<b>", "gbps": 2.5}], "en"))
    <div class="table-wrap"><table>
    <thead><tr><th>name</th><th class="num">gbps</th></tr></thead>
    <tbody>
    <tr><td>&lt;b&gt;</td><td class="num">2.50</td></tr>
    </tbody></table></div>
    >>> print(render_table(Table([{"year": 2026, "capex_cny": 1.79e6}],
    ...                          labels={"capex_cny": "建设投资（元）"}), "zh"))
    <div class="table-wrap"><table>
    <thead><tr><th class="num">year</th><th class="num">建设投资</th></tr></thead>
    <tbody>
    <tr><td class="num">2026</td><td class="num">179.0 万元</td></tr>
    </tbody></table></div>
    """
    check_lang(lang)
    if not isinstance(table, Table):
        table = Table(rows=list(table))
    columns = table.columns_shown()
    labels = table.labels or {}
    formats = table.formats or {}
    cells = []
    numeric = dict.fromkeys(columns, False)
    for row in table.rows:
        if not isinstance(row, Mapping):
            raise NetplanError(f"table rows must be mappings, got {type(row).__name__}")
        out = []
        for col in columns:
            text, is_num = format_cell(row.get(col), lang, formats.get(col), col)
            numeric[col] = numeric[col] or is_num
            out.append((text, is_num))
        cells.append(out)
    lines = ['<div class="table-wrap"><table>']
    if table.caption:
        lines.append(f"<caption>{escape(table.caption)}</caption>")
    num = ' class="num"'
    head = "".join(
        f"<th{num if numeric[c] else ''}>{escape(_header(labels.get(c, c), c))}</th>"
        for c in columns
    )
    lines.append(f"<thead><tr>{head}</tr></thead>")
    lines.append("<tbody>")
    if not cells:
        lines.append(
            f'<tr><td colspan="{max(len(columns), 1)}">{escape(t("report.empty_table", lang))}'
            "</td></tr>"
        )
    for row_cells in cells:
        # ids (ex-wanzhou-1) would break at their hyphens: keep them on one line
        tds = "".join(
            f"<td{num if is_num else (_ID_CELL if col in _ID_COLUMNS else '')}>{escape(text)}</td>"
            for col, (text, is_num) in zip(columns, row_cells, strict=True)
        )
        lines.append(f"<tr>{tds}</tr>")
    lines.append("</tbody></table></div>")
    return "\n".join(lines)


def _as_section(item: Section | Mapping[str, Any]) -> Section:
    if isinstance(item, Section):
        return item
    if isinstance(item, Mapping):
        unknown = set(item) - {"title", "text", "figures", "tables"}
        if unknown or "title" not in item:
            raise NetplanError(
                "a section needs 'title' and may have 'text', 'figures', 'tables'; "
                f"got {sorted(map(str, item))}"
            )
        return Section(**item)
    raise NetplanError(f"sections must be Section objects or mappings, got {type(item).__name__}")


def _figure_and_caption(item: Any) -> tuple[Any, str]:
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
        return item[0], item[1]
    return item, ""


def render_page(
    title: str,
    sections: Sequence[Section | Mapping[str, Any]],
    lang: str = "zh",
    fingerprint: str = "",
    *,
    subtitle: str = "",
    estimates: str | Sequence[str] | None = None,
    generated_at: str | None = None,
) -> str:
    """Assemble one self-contained HTML report.

    Parameters
    ----------
    title : str
        Page title and main heading (escaped).
    sections : sequence of Section or mapping
        The body, in order; mappings take the :class:`Section` fields.
    lang : {"zh", "en"}
        Language of the page's own labels.
    fingerprint : str
        Hash of the inputs and seed, shown in the footer so the run can be repeated.
    subtitle : str
        A line under the title, e.g. the scenario's question.
    estimates : str or sequence of str, optional
        Which numbers are estimates; default: the general statement that inputs marked
        as estimates, and everything computed from them, are estimates.
    generated_at : str, optional
        A time stamp to show; none is added otherwise, so output stays byte-identical.

    Returns
    -------
    str
        The HTML document. Write it with :func:`netplan.io.atomic.write_text_atomic`.

    Raises
    ------
    NetplanError
        Unknown language, a malformed section, or a figure plotly cannot serialise.

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
    >>> page = render_page("Demo <1>", [Section("Loads", "Two bars.", [fig])], "en", "abc123")
    >>> page.count("<script>") == 2 and "<script src" not in page and "Demo &lt;1&gt;" in page
    True
    >>> page == render_page("Demo <1>", [Section("Loads", "Two bars.", [fig])], "en", "abc123")
    True
    """
    check_lang(lang)
    parts = [_as_section(s) for s in sections]

    body: list[str] = []
    toc: list[str] = []
    figure_blocks = 0
    for number, section in enumerate(parts, start=1):
        anchor = f"sec-{number}"
        toc.append(f'<li><a href="#{anchor}">{escape(section.title)}</a></li>')
        body.append(f'<section id="{anchor}">')
        body.append(f"<h2>{escape(section.title)}</h2>")
        for paragraph in section.paragraphs():
            body.append(f"<p>{escape(paragraph)}</p>")
        for item in section.figures:
            fig, caption = _figure_and_caption(item)
            figure_blocks += 1
            div_id = f"netplan-fig-{figure_blocks}"
            body.append("<figure>")
            body.append(f'<div class="plot" id="{div_id}"></div>')
            body.append(
                f'<script type="application/json" data-netplan-figure="{div_id}">'
                f"{figure_json(fig)}</script>"
            )
            if caption:
                body.append(f"<figcaption>{escape(caption)}</figcaption>")
            body.append("</figure>")
        for table in section.tables:
            body.append(render_table(table, lang))
        body.append("</section>")

    if estimates is None:
        estimate_lines = [f"<p>{escape(t('report.estimates_default', lang))}</p>"]
    elif isinstance(estimates, str):
        estimate_lines = [f"<p>{escape(estimates)}</p>"]
    else:
        items = "".join(f"<li>{escape(e)}</li>" for e in estimates)
        estimate_lines = [f"<p>{escape(t('report.estimates_list', lang))}</p><ul>{items}</ul>"]

    scripts = [plotly_js(), _BOOT_JS] if figure_blocks else []
    head = [
        "<!DOCTYPE html>",
        f'<html lang="{_HTML_LANG[lang]}">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{escape(_csp(scripts))}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="netplan">',
        f"<title>{escape(title)}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{escape(title)}</h1>",
    ]
    if subtitle:
        head.append(f'<p class="subtitle">{escape(subtitle)}</p>')
    if generated_at:
        head.append(
            f'<p class="meta">{escape(t("report.generated", lang))}: {escape(generated_at)}</p>'
        )
    head.append("</header>")
    if len(parts) > 1:
        head.append(
            f'<nav class="toc"><strong>{escape(t("report.contents", lang))}</strong>'
            f"<ol>{''.join(toc)}</ol></nav>"
        )

    foot = [
        "<footer>",
        f"<p><strong>{escape(t('report.estimates', lang))}</strong></p>",
        *estimate_lines,
        f"<p>{escape(t('report.fingerprint', lang))}: <code>{escape(fingerprint or '—')}</code>"
        f" — {escape(t('report.repeat', lang))}</p>",
        f"<p>{escape(t('report.offline', lang))} (plotly.js "
        f"{escape(plotly_js_version()) if figure_blocks else '—'})</p>",
        "</footer>",
    ]
    tail = []
    if figure_blocks:
        tail = [
            f"<script>{plotly_js()}</script>",
            '<script type="application/json" id="netplan-plotly-config">'
            f"{script_json(dict(PLOTLY_CONFIG))}</script>",
            f"<script>{_BOOT_JS}</script>",
        ]
    return "\n".join([*head, *body, *foot, *tail, "</body>", "</html>", ""])
