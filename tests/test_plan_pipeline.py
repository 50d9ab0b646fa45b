"""The main job end to end: run directory, report, Excel and CSV exports, re-rendering."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import netplan
from netplan.cli import cli
from tests.conftest import SMALL

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def default_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "baseline"
    result = CliRunner().invoke(cli, ["plan", "-o", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    return out


def test_plan_with_no_arguments_writes_every_output(default_run):
    names = {p.name for p in default_run.iterdir()}
    assert {"report.html", "plan.xlsx", "plan.csv", "plan.json", "summary.json",
            "bill_of_quantities.csv", "racks.csv", "worst_case.csv", "results.json",
            "arrays.npz"} <= names
    summary = json.loads((default_run / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"] == "baseline" and summary["estimate"] is True
    assert summary["verdict"]["meets_targets"] is True and summary["verdict"]["exit_code"] == 0
    # The headline cost is what the purchases cost: the sum of the bill of quantities.
    with open(default_run / "bill_of_quantities.csv", encoding="utf-8-sig") as fh:
        bill = list(csv.DictReader(fh))
    capex_column = next(c for c in bill[0] if "capex" in c.lower())
    assert summary["costs"]["purchases"]["capex_total_cny"] == pytest.approx(
        sum(float(r[capex_column]) for r in bill if r[capex_column]))
    assert summary["before_purchases"]["links_over_target"] > 0
    results = json.loads((default_run / "results.json").read_text(encoding="utf-8"))
    services = {row["service"] for row in results["simulation"]["services"]}
    assert {"video_conference", "citizen_services"} <= services
    assert "sim_summary.json" in names


def test_excel_totals_equal_the_plan_costs(default_run):
    openpyxl = pytest.importorskip("openpyxl")
    plan = json.loads((default_run / "plan.json").read_text(encoding="utf-8"))
    book = openpyxl.load_workbook(default_run / "plan.xlsx")  # formulas as written
    values = openpyxl.load_workbook(default_run / "plan.xlsx", data_only=True)  # cached results
    sheet = book["Cost per year 逐年费用"]
    last = sheet.max_row
    assert sheet.cell(last, 2).value == f"=SUM(B2:B{last - 1})"
    cached = values["Cost per year 逐年费用"]
    assert cached.cell(last, 2).value == pytest.approx(plan["costs"]["capex_total_cny"])
    assert cached.cell(last, 3).value is None  # yearly opex is never summed across years
    capex_rows = [cached.cell(r, 2).value for r in range(2, last)]
    assert sum(capex_rows) == pytest.approx(plan["costs"]["capex_total_cny"])
    bill = values["Bill of quantities 采购清单"]
    bought = [r for r in plan["rows"] if r["purchase"]]
    assert bill.max_row == len(bought) + 2  # no candidate is built: one line per purchase
    assert bill.cell(bill.max_row, 10).value == pytest.approx(sum(r["capex_cny"] for r in bought))


def test_csv_exports_keep_chinese_text(default_run):
    raw = (default_run / "bill_of_quantities.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw.decode("utf-8-sig").splitlines()[0]
    assert "采购" in header or "区县" in header
    with open(default_run / "racks.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and "Data centre 数据中心" in rows[0]


def test_report_re_renders_from_saved_results(default_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(default_run, copy)
    (copy / "report.html").unlink()
    result = CliRunner().invoke(cli, ["report", str(copy), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert (copy / "report.html").read_bytes() == (default_run / "report.html").read_bytes()
    zh = CliRunner().invoke(cli, ["report", str(copy), "--lang", "zh", "-o", str(tmp_path / "zh.html")])
    assert zh.exit_code == 0 and "网络地图" in (tmp_path / "zh.html").read_text(encoding="utf-8")


def test_report_of_a_missing_run_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "not a netplan run" in result.output


def test_same_inputs_same_bytes(default_run, tmp_path):
    again = tmp_path / "again"
    assert CliRunner().invoke(cli, ["plan", "-o", str(again), "--lang", "en"]).exit_code == 0
    for name in ("plan.csv", "worst_case.csv", "report.html", "plan.xlsx", "bill_of_quantities.csv"):
        assert (again / name).read_bytes() == (default_run / name).read_bytes(), name


def test_hostile_names_are_text_in_report_and_spreadsheet(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    net = tmp_path / "net"
    shutil.copytree(SMALL, net)
    topo = (net / "topology.yaml").read_text(encoding="utf-8")
    topo = topo.replace("name: District 3,", f"name: '{HOSTILE}',")
    topo = topo.replace("name: small test network", "name: '=HYPERLINK(\"http://x\")'")
    (net / "topology.yaml").write_text(topo, encoding="utf-8")
    scen = (net / "scenario.yaml").read_text(encoding="utf-8")
    scen = scen.replace("title: Small test scenario", f"title: '{HOSTILE}'")
    (net / "scenario.yaml").write_text(scen, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["plan", str(net / "topology.yaml"),
                                      str(net / "scenario.yaml"), "-o", str(out)])
    assert result.exit_code == 3, result.output  # single-homed sites: ran, misses targets
    html = (out / "report.html").read_text(encoding="utf-8")
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    summary = openpyxl.load_workbook(out / "plan.xlsx")["Summary 摘要"]
    cells = [c.value for row in summary.iter_rows() for c in row
             if isinstance(c.value, str) and c.data_type != "f"]
    assert "'=HYPERLINK(\"http://x\")" in cells
    assert not any(v.startswith("=") for v in cells)
    formulas = [c.value for row in summary.iter_rows() for c in row if c.data_type == "f"]
    assert all(f.startswith("=SUM('Cost per year") for f in formulas), formulas


def test_plan_refuses_to_overwrite_another_run(default_run, tmp_path):
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("someone else's results")
    result = CliRunner().invoke(cli, ["plan", "-o", str(target)])
    assert result.exit_code == 2 and "--overwrite" in result.output
    assert (target / "keep.txt").read_text() == "someone else's results"


@pytest.mark.browser
def test_report_opens_offline_in_chromium(default_run):
    from tests.browser import browser_unavailable, open_in_browser

    reason = browser_unavailable()
    if reason:
        pytest.skip(reason)
    requests, errors, info = open_in_browser(default_run / "report.html")
    assert requests == [(default_run / "report.html").resolve().as_uri()]
    assert errors == []
    assert info["plot_slots"] == info["plotly_divs"] >= 8
    geo = [p for p in info["plots"] if p["geo_subplots"]]
    assert geo and geo[0]["geo_line_paths"] > 0 and not geo[0]["geo_base_layers"]
    for heading in ("Network map", "Where and when links run hot", "Failure impact", "The plan",
                    "What users would feel"):
        assert heading in info["text"]


def test_compare_baseline_with_growth(default_run, tmp_path):
    growth = tmp_path / "growth"
    assert CliRunner().invoke(cli, ["plan", str(netplan.default_topology_path()),
                                    str(netplan.default_scenario_path("growth-5y")),
                                    "-o", str(growth), "--lang", "en"]).exit_code == 0
    out = tmp_path / "cmp"
    result = CliRunner().invoke(cli, ["compare", str(default_run), str(growth), "-o", str(out)])
    assert result.exit_code == 0, result.output
    with open(out / "inputs_diff.csv", encoding="utf-8") as fh:
        inputs = {r["field"]: r for r in csv.DictReader(fh)}
    assert inputs["horizon_years"]["a"] == "0" and inputs["horizon_years"]["b"] == "5"
    assert inputs["name"]["b"] == "growth-5y"
    assert not any(k.startswith("services") for k in inputs), "growth-5y keeps the services"
    with open(out / "worst_case_diff.csv", encoding="utf-8") as fh:
        links = list(csv.DictReader(fh))
    a = json.loads((default_run / "results.json").read_text())["analysis"]["worst_case"]
    b = json.loads((growth / "results.json").read_text())["analysis"]["worst_case"]
    ua = {r["link"]: r["worst_utilisation"] for r in a}
    ub = {r["link"]: r["worst_utilisation"] for r in b}
    for row in links:
        assert float(row["change"]) == pytest.approx(ub[row["link"]] - ua[row["link"]], abs=1e-5)
    with open(out / "purchases_diff.csv", encoding="utf-8") as fh:
        purchases = list(csv.DictReader(fh))
    plan_b = json.loads((growth / "plan.json").read_text())
    later = {(r["id"], r["year"]) for r in plan_b["rows"] if r["purchase"] and r["year"] > 2026}
    assert later and later <= {(r["id"], int(r["year"])) for r in purchases
                               if r["change"] == "only in B"}
    assert "compare" in (out / "compare.html").read_text(encoding="utf-8")


def test_static_output_without_chromium_is_a_clear_error(monkeypatch):
    from netplan.errors import RunError
    from netplan.report.static import find_chromium

    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    with pytest.raises(RunError, match="apt-get install chromium"):
        find_chromium()


@pytest.mark.browser
def test_report_prints_to_a4_pdf(default_run, tmp_path):
    from netplan.report.static import report_pdf
    from tests.browser import browser_unavailable

    reason = browser_unavailable()
    if reason:
        pytest.skip(reason)
    pdf = report_pdf(default_run / "report.html", tmp_path / "report.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    # A4 is 595 × 842 points.
    import re

    boxes = re.findall(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", data)
    assert boxes and all(abs(float(w) - 595) < 1 and abs(float(h) - 842) < 1 for w, h in boxes)
    pypdf = pytest.importorskip("pypdf")
    pages = pypdf.PdfReader(pdf).pages
    first = pages[0].extract_text()
    from netplan.report.numbers import format_money

    summary = json.loads((default_run / "summary.json").read_text(encoding="utf-8"))
    capex = summary["costs"]["purchases"]["capex_total_cny"]
    # Page 1 is the answer: the verdict and the purchases' capex (this run's report is English).
    assert "Meets targets" in first and format_money(capex, "en") in first, first[:400]
    for number, page in enumerate(pages, start=1):
        assert f"{number} / {len(pages)}" in page.extract_text(), number
