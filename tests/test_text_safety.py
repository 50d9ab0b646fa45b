"""Names cannot spoof the terminal, the report or the spreadsheets.

Control characters (Unicode category Cc: U+0000–U+001F, U+007F–U+009F) and the bidi
controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) are refused in ids and
names at validation, and shown as visible escapes (``\\x1b``, ``\\u202e``) wherever text
is printed or rendered. The expected escapes are written out by hand from the code points;
the line numbers of the messages are found in the files themselves.
"""

from __future__ import annotations

import csv
import json
import shutil
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from netplan.cli import cli
from netplan.errors import NetplanError, Problem, ValidationError
from netplan.io.text import document_safe, terminal_safe, terminal_safe_lines
from tests.conftest import SMALL, read_small_topology

BAD = Path(__file__).parent / "data" / "bad"
CC = [chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)]]
BIDI = ["\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
        "\u2066", "\u2067", "\u2068", "\u2069"]
HIDDEN = CC + BIDI
RLO = "\u202e"


def _hidden_in(text: str) -> list[str]:
    return sorted({ch for ch in text if ch in HIDDEN})


# --- the escapes -------------------------------------------------------------------------

def test_the_hidden_set_is_category_cc_and_the_bidi_controls():
    every = [chr(c) for c in range(0x3000)]
    assert [ch for ch in every if unicodedata.category(ch) == "Cc"] == CC
    assert [unicodedata.category(ch) for ch in BIDI] == ["Cf"] * 12  # format characters
    assert "RIGHT-TO-LEFT OVERRIDE" == unicodedata.name(RLO)


@pytest.mark.parametrize("char", HIDDEN, ids=[f"U+{ord(c):04X}" for c in HIDDEN])
def test_every_hidden_character_is_escaped_for_the_terminal(char):
    short = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
    code = ord(char)
    expected = short.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    assert terminal_safe(f"a{char}b") == f"a{expected}b"


def test_known_escapes_written_out():
    assert terminal_safe("core\x1b[31m-1") == "core\\x1b[31m-1"
    assert terminal_safe("evil\u202egpj.exe") == "evil\\u202egpj.exe"
    assert terminal_safe("\x9b2J\x7f\x00") == "\\x9b2J\\x7f\\x00"
    assert terminal_safe("a\tb\nc\rd") == "a\\tb\\nc\\rd"
    assert terminal_safe("\u061c\u200e\u200f\u2069") == "\\u061c\\u200e\\u200f\\u2069"


def test_ordinary_text_is_unchanged():
    text = "重庆 渝中区 core-1 C:\\out é ü ½ \u200d \u3000 😀 <b>&amp;"
    assert terminal_safe(text) == text
    assert document_safe(text) == text


def test_lines_keep_their_breaks_and_documents_keep_white_space():
    assert terminal_safe_lines("a\x1b\nb\u202e") == "a\\x1b\nb\\u202e"
    assert document_safe("x\ty\nz\r\u202e\x07") == "x\ty\nz\r\\u202e\\x07"


def test_json_text_stays_json_with_the_same_strings():
    doc = {"name": "a\u202eb\x85c\x1b", "zh": "重庆", "n": [1, "\u2066"]}
    text = terminal_safe(json.dumps(doc, indent=2, ensure_ascii=False), for_json=True)
    assert _hidden_in(text.replace("\n", "")) == []
    assert json.loads(text) == doc
    assert '"a\\u202eb\\u0085c\\u001b"' in text


def test_problems_and_errors_print_escaped():
    problem = Problem("ne\x1bt.yaml", "nodes[0].name", f"unknown node 'x{RLO}y'", line=3)
    assert str(problem) == "ne\\x1bt.yaml:3: nodes[0].name: unknown node 'x\\u202ey'"
    error = ValidationError([problem, Problem("", "a\u2066", "b")])
    assert str(error) == ("ne\\x1bt.yaml:3: nodes[0].name: unknown node 'x\\u202ey'\n"
                          "<input>: a\\u2066: b")
    assert str(NetplanError(f"one{RLO}\ntwo\x1b")) == "one\\u202e\ntwo\\x1b"


# --- refused at validation ---------------------------------------------------------------

def _line_of(path: Path, fragment: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if fragment in line)


def _validate(path: Path):
    return CliRunner().invoke(cli, ["validate", str(path)])


def test_validation_refuses_u202e_in_a_node_name_with_the_exact_message():
    path = BAD / "text-node-name-rlo.yaml"
    result = _validate(path)
    assert result.exit_code == 2
    line = _line_of(path, "name: District " + RLO)
    expected = (f"  {path}:{line}: nodes[4].name: contains U+202E RIGHT-TO-LEFT OVERRIDE, "
                "which can disguise text (got 'District \\u202e1 tcirtsiD')")
    assert expected in result.output.splitlines()
    assert _hidden_in(result.output.replace("\n", "")) == []


def test_validation_refuses_an_escape_sequence_in_a_name():
    path = BAD / "text-node-name-escape.yaml"
    result = _validate(path)
    assert result.exit_code == 2
    line = _line_of(path, "District 1\\e[2J")
    assert (f"{path}:{line}: nodes[4].name: contains U+001B (a control character), which can "
            "disguise text (got 'District 1\\x1b[2J')") in result.output
    assert "\x1b" not in result.output


def test_validation_names_the_character_in_an_id():
    path = BAD / "text-link-id-isolate.yaml"
    result = _validate(path)
    assert result.exit_code == 2
    line = _line_of(path, "\\u2066")
    assert (f"{path}:{line}: links[0].id: contains U+2066 LEFT-TO-RIGHT ISOLATE, which can "
            "disguise text") in result.output
    assert "String should match pattern" not in result.output


def test_validation_refuses_bidi_in_a_scenario_title():
    path = BAD / "text-scenario-title-isolate.yaml"
    result = _validate(path)
    assert result.exit_code == 2
    line = _line_of(path, "title:")
    assert (f"{path}:{line}: title: contains U+2067 RIGHT-TO-LEFT ISOLATE, which can disguise "
            "text") in result.output


@pytest.mark.parametrize("char", ["\x1b", "\x9b", "\n", *BIDI],
                         ids=lambda c: f"U+{ord(c):04X}")
def test_every_name_field_refuses_hidden_characters(char):
    from netplan.io.topology_io import build_topology

    data = read_small_topology()
    data["name"] = f"net{char}"
    data["nodes"][0]["name_zh"] = f"核心{char}"
    data["data_centres"][0]["name"] = f"dc{char}"
    with pytest.raises(ValidationError) as err:
        build_topology(data)
    code = f"U+{ord(char):04X}"
    fields = {p.field for p in err.value.problems if code in p.message}
    assert fields == {"name", "nodes[0].name_zh", "data_centres[0].name"}


def test_descriptions_keep_line_breaks_but_not_bidi():
    from netplan.io.topology_io import build_topology

    data = read_small_topology()
    data["description"] = "first line\n\tsecond line\r\n"
    assert build_topology(data).description == "first line\n\tsecond line\r\n"
    data["description"] = f"first {RLO}line"
    with pytest.raises(ValidationError, match="description: contains U[+]202E"):
        build_topology(data)


def test_scenario_service_names_are_checked_too():
    import yaml

    from netplan.io.scenario_io import build_scenario
    from netplan.io.topology_io import build_topology

    topo = build_topology(read_small_topology())
    data = yaml.safe_load((SMALL / "scenario.yaml").read_text(encoding="utf-8"))
    data["services"][0]["name"] = f"web{RLO}"
    data["question"] = "why\x07"
    with pytest.raises(ValidationError) as err:
        build_scenario(data, topo)
    found = {(p.field, p.message.split(",")[0]) for p in err.value.problems}
    assert ("services[0].name", "contains U+202E RIGHT-TO-LEFT OVERRIDE") in found
    assert ("question", "contains U+0007 (a control character)") in found


# --- printed escaped ---------------------------------------------------------------------

def test_show_prints_names_escaped(monkeypatch):
    import netplan.model.describe as describe

    monkeypatch.setattr(describe, "topology_summary", lambda topo: f"net{RLO}x\nnodes\x1b[2J")
    result = CliRunner().invoke(cli, ["show", str(SMALL / "topology.yaml")])
    assert result.exit_code == 0, result.output
    assert result.output == "net\\u202ex\nnodes\\x1b[2J\n"


def test_show_json_stays_json_and_prints_no_hidden_character(monkeypatch):
    import netplan.model.describe as describe

    doc = {"name": f"net{RLO}", "nodes": [{"name": "a\x85\x1b"}]}
    monkeypatch.setattr(describe, "topology_document", lambda topo: doc)
    result = CliRunner().invoke(cli, ["show", "--json", str(SMALL / "topology.yaml")])
    assert result.exit_code == 0, result.output
    assert _hidden_in(result.output.replace("\n", "")) == []
    assert json.loads(result.output) == doc


# --- the report and the spreadsheets -----------------------------------------------------

class _Text(HTMLParser):
    """The text of a page outside its scripts, as a browser shows it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._script = False

    def handle_starttag(self, tag, attrs):
        self._script = self._script or tag == "script"

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = False

    def handle_data(self, data):
        if not self._script:
            self.parts.append(data)


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """A saved run whose results carry control and bidi characters in names and reasons.

    Validation refuses such names, so they are written into the saved results, as a
    damaged or hand-edited run directory would hold them.
    """
    out = tmp_path_factory.mktemp("text") / "run"
    result = CliRunner().invoke(cli, ["plan", str(SMALL / "topology.yaml"),
                                      str(SMALL / "scenario.yaml"), "-o", str(out),
                                      "--lang", "en", "--sim", "none"])
    assert result.exit_code in (0, 3), result.output
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    results["inputs"]["scenario_title"] = f"Title{RLO}evil"
    results["inputs"]["question"] = "Ask\x1b[2J"
    rows = results["plan"]["rows"]
    assert any(row["purchase"] for row in rows)
    for row in rows:
        row["reason"] = f"{row['reason']}{RLO}gpj.exe"
    (out / "results.json").write_text(json.dumps(results, ensure_ascii=False),
                                      encoding="utf-8")
    return out


def test_a_report_from_such_results_shows_the_names_escaped(hostile_run):
    from netplan.io.run_dir import load_run
    from netplan.report.build import build_report

    parser = _Text()
    parser.feed(build_report(load_run(hostile_run), "en"))
    text = "".join(parser.parts)
    assert _hidden_in(text.replace("\n", "").replace("\t", "").replace("\r", "")) == []
    assert "Title\\u202eevil" in text
    assert "Ask\\x1b[2J" in text
    assert "\\u202egpj.exe" in text


def test_spreadsheets_from_such_results_hold_visible_escapes(hostile_run, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    from netplan.io.run_dir import load_run
    from netplan.report.exports import write_exports

    run_dir = tmp_path / "run"
    shutil.copytree(hostile_run, run_dir)
    write_exports(load_run(run_dir), tmp_path / "exports")
    with open(tmp_path / "exports" / "bill_of_quantities.csv", encoding="utf-8-sig",
              newline="") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    assert any(cell.endswith("\\u202egpj.exe") for cell in cells)
    book = openpyxl.load_workbook(tmp_path / "exports" / "plan.xlsx")
    strings = [c.value for sheet in book.worksheets for row in sheet.iter_rows()
               for c in row if isinstance(c.value, str)]
    assert any("\\u202egpj.exe" in s for s in strings)
    for value in cells + strings:
        assert _hidden_in(value.replace("\n", "").replace("\t", "").replace("\r", "")) == []
