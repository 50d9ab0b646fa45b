"""Procurement exports: ``plan.xlsx`` and UTF-8-with-BOM CSV tables a purchasing office uses as is.

Text that came from input files is neutralised before it reaches a spreadsheet: a cell that
starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) gets a leading apostrophe
so no spreadsheet reads it as a formula. Totals in the workbook are live formulas over the
rows above them.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from netplan.io.atomic import write_bytes_atomic
from netplan.io.run_dir import RunData
from netplan.io.tables import FORMULA_STARTS, plain_decimal
from netplan.report.reasons_zh import reason_zh

BILL_COLUMNS = (
    ("year", "Year 年份"), ("district", "District 区县"), ("item", "Item 项目"),
    ("id", "Link / DC 链路/数据中心"), ("plane", "Plane 网络"), ("tier", "Tier 档位"),
    ("unit", "Unit 单位"), ("quantity", "Quantity to buy 采购数量"),
    ("unit_price_cny", "Unit price CNY (estimate) 单价（估算）"),
    ("capex_cny", "Capex CNY = quantity × unit price (estimate) 建设投资（估算）"),
    ("installed_after", "Installed after purchase 购后在装数量"),
    ("opex_after_cny", "Opex after purchase CNY/yr (estimate) 购后年运维（估算）"),
    ("marginal_cost_cny", "Marginal cost CNY, discounted (estimate) 边际成本（折现，估算）"),
    ("reason", "Reason (English)"),
    ("reason_zh", "原因"),
)
RACK_COLUMNS = (
    ("data_centre", "Data centre 数据中心"), ("year", "Year 年份"),
    ("racks_added", "Racks to buy 采购机架"),
    ("unit_price_cny", "Unit price CNY (estimate) 单价（估算）"),
    ("capex_cny", "Capex CNY = racks × unit price (estimate) 建设投资（估算）"),
    ("racks", "Racks installed after 购后机架"),
    ("opex_cny", "Opex after purchase CNY/yr (estimate) 购后年运维（估算）"),
    ("reason", "Reason (English)"),
    ("reason_zh", "原因"),
)
YEAR_COLUMNS = (
    ("year", "Year 年份"), ("capex_cny", "Capex CNY (estimate) 建设投资（估算）"),
    ("added_opex_cny", "Added opex CNY/yr (estimate) 新增年运维（估算）"),
    ("existing_opex_cny", "Existing network opex CNY/yr (estimate) 现网年运维（估算）"),
    ("total_cny", "Total of the year CNY (estimate) 当年合计（估算）"),
)
# Cells the workbook computes from the row's own cells (cached values written alongside).
BILL_FORMULAS = {"capex_cny": "={quantity}*{unit_price_cny}"}
RACK_FORMULAS = {"capex_cny": "={racks_added}*{unit_price_cny}"}
YEAR_FORMULAS = {"total_cny": "={capex_cny}+{added_opex_cny}+{existing_opex_cny}"}
BILL_SHEET = "Bill of quantities 采购清单"
RACK_SHEET = "Racks 机架"
YEAR_SHEET = "Cost per year 逐年费用"
SUMMARY_SHEET = "Summary 摘要"
AVAILABILITY_SHEET = "Availability 可用性"
EQUITY_SHEET = "Equity 均衡"
AVAILABILITY_SHEET_COLUMNS = (
    ("district", "District 区县"), ("name_zh", "名称"), ("region", "Region 片区"),
    ("plane", "Plane 网络"), ("destination", "Destination 目的地"), ("target", "Target 目标"),
    ("availability", "Availability (estimate) 可用性（估算）"),
    ("availability_lower_bound", "Availability, lower bound (estimate) 可用性下界（估算）"),
    ("downtime_min_per_year", "Downtime min/yr (estimate) 年断网分钟（估算）"),
    ("downtime_min_per_year_before",
     "Downtime before the plan, min/yr (estimate) 采购前年断网分钟（估算）"),
    ("network_availability", "Network availability (estimate) 网络可用性（估算）"),
    ("network_downtime_min_per_year", "Network downtime min/yr (estimate) 网络年断网分钟（估算）"),
    ("network_downtime_min_per_year_before",
     "Network downtime before the plan, min/yr (estimate) 采购前网络年断网分钟（估算）"),
    ("neglected_probability", "Neglected probability (the bound) 舍弃概率（误差界）"),
    ("judged_on", "Target judged on 目标判定口径"), ("meets", "Meets target 达标"),
    ("dominant_cut", "Dominant cut 主要断点"), ("dominant_cut_share", "Its share 其占比"),
    ("network_dominant_cut", "Dominant cut of the network 网络主要断点"),
    ("estimate", "Estimate 估算"),
)
EQUITY_SHEET_COLUMNS = (
    ("district", "District 区县"), ("name_zh", "名称"), ("region", "Region 片区"),
    ("plane", "Plane 网络"), ("population", "Population 常住人口"),
    ("staff_estimate", "Staff (estimate) 工作人员（估算）"),
    ("access_capacity_gbps", "Access capacity Gbit/s 接入带宽"),
    ("access_kbps_per_resident", "Access kbit/s per resident 人均接入带宽"),
    ("access_kbps_per_staff", "Access kbit/s per staff member (estimate) 每名工作人员接入带宽（估算）"),
    ("worst_hour_utilisation", "Worst-hour utilisation (estimate) 忙时利用率（估算）"),
    ("availability", "Availability, worst destination (estimate) 可用性（最差目的地，估算）"),
    ("downtime_min_per_year", "Downtime min/yr (estimate) 年断网分钟（估算）"),
    ("network_downtime_min_per_year", "Network downtime min/yr (estimate) 网络年断网分钟（估算）"),
    ("latency_to_dc_ms", "Latency to the data centre ms 到数据中心时延（毫秒）"),
    ("estimate", "Estimate 估算"),
)
SPREAD_SHEET_COLUMNS = (
    ("plane", "Plane 网络"), ("figure", "Figure 指标"), ("worse", "Worse end 较差一端"),
    ("districts", "Districts 区县数"),
    ("min_before", "Min before 采购前最小"), ("max_before", "Max before 采购前最大"),
    ("ratio_before", "Max/min before 采购前最大/最小"), ("gini_before", "Gini before 采购前基尼系数"),
    ("worst_before", "Worst five before 采购前最差五个"),
    ("min_after", "Min after 采购后最小"), ("max_after", "Max after 采购后最大"),
    ("ratio_after", "Max/min after 采购后最大/最小"), ("gini_after", "Gini after 采购后基尼系数"),
    ("worst_after", "Worst five after 采购后最差五个"),
)
AVAILABILITY_PURCHASE_COLUMNS = (
    ("link", "Candidate link built 新建候选链路"),
    ("districts", "Districts it brings to target 使之达标的区县"), ("plane", "Plane 网络"),
    ("capex_cny", "Capex CNY (estimate) 建设投资（估算）"),
)
# Spreadsheet number formats by column: fractions as percentages, minutes to two decimals.
_AVAILABILITY_NUMBERS = {"target": "0.00000%", "availability": "0.000000%",
                         "availability_lower_bound": "0.000000%",
                         "network_availability": "0.000000%", "dominant_cut_share": "0.0%",
                         "worst_hour_utilisation": "0.0%", "neglected_probability": "0.0E+00"}
_ESTIMATE_NOTE = ("Estimates 估算", "Every figure is an estimate: it follows from estimated failure "
                  "rates, repair times and demand. 所有数值均为估算：由估算的故障率、修复时间与需求算出。")


def safe_cell(value: Any) -> Any:
    """A value safe to put in a spreadsheet cell: text never starts a formula.

    Control and bidi characters (U+202E …) in text become visible escapes, so a name
    cannot disguise itself or the cells beside it.

    Examples
    --------
    >>> safe_cell("=HYPERLINK(\\"http://x\\")"), safe_cell("-1+2"), safe_cell(3.5), safe_cell("ok")
    ('\\'=HYPERLINK("http://x")', "'-1+2", 3.5, 'ok')
    >>> safe_cell("evil\\u202egpj.exe")
    'evil\\\\u202egpj.exe'
    """
    if not isinstance(value, str):
        return value
    from netplan.io.text import document_safe

    value = document_safe(value)
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def bill_of_quantities(run: RunData) -> list[dict]:
    """One line per thing to buy: modules of a tier on a link, racks, or a candidate's build.

    Every line says the quantity bought, the unit price (per module on that link, its per-km
    part included; per rack; or the build charge) and ``capex_cny = quantity ×
    unit_price_cny`` exactly, with what is installed after the purchase and its yearly opex.
    A candidate link built in a year gives two lines: its build, then its modules.

    Parameters
    ----------
    run : RunData

    Returns
    -------
    list of dict
        Sorted by year, district, item and id.
    """
    lines = []
    for row in run.results["plan"]["rows"]:
        if not row["purchase"]:
            continue
        base = {"year": row["year"], "district": row["district"], "item": row["item"],
                "id": row["id"], "plane": row["plane"], "reason": row["reason"],
                "reason_zh": reason_zh(row["reason"]),
                "marginal_cost_cny": row["marginal_cost_cny"]}
        if row["item"] == "data_centre":
            lines.append(base | {"tier": "", "unit": "rack 机架",
                                 "quantity": row["modules_bought"],
                                 "unit_price_cny": row["unit_price_cny"],
                                 "capex_cny": row["modules_bought"] * row["unit_price_cny"],
                                 "installed_after": row["racks"],
                                 "opex_after_cny": row["opex_cny"]})
            continue
        if row.get("build_capex_cny"):
            lines.append(base | {"tier": "", "unit": "link build 链路建设", "quantity": 1,
                                 "unit_price_cny": row["build_capex_cny"],
                                 "capex_cny": row["build_capex_cny"], "installed_after": 1,
                                 "opex_after_cny": 0.0, "marginal_cost_cny": 0.0})
        if row["modules_bought"]:
            lines.append(base | {"tier": row["tier"], "unit": f"{row['tier']} module 模块",
                                 "quantity": row["modules_bought"],
                                 "unit_price_cny": row["unit_price_cny"],
                                 "capex_cny": row["modules_bought"] * row["unit_price_cny"],
                                 "installed_after": row["modules"],
                                 "opex_after_cny": row["opex_cny"]})
    return sorted(lines, key=lambda r: (r["year"], r["district"], r["item"], r["id"]))


def rack_table(run: RunData) -> list[dict]:
    """Racks per data centre per year: bought, unit price, capex, installed after, opex."""
    return [
        {"data_centre": r["id"], "year": r["year"], "racks": r["racks"],
         "racks_added": r["racks_added"], "unit_price_cny": r["unit_price_cny"],
         "capex_cny": r["capex_cny"], "opex_cny": r["opex_cny"], "reason": r["reason"],
         "reason_zh": reason_zh(r["reason"])}
        for r in run.results["plan"]["rows"] if r["item"] == "data_centre"
    ]


def cost_per_year(run: RunData) -> list[dict]:
    """Per year: capex, added opex, the existing network's opex and the year's total (CNY)."""
    return [{"year": int(y), **{k: v[k] for k, _ in YEAR_COLUMNS[1:]}}
            for y, v in run.results["plan"]["costs"]["per_year"].items()]


def csv_with_bom(rows: Iterable[Mapping[str, Any]], columns: Sequence[tuple[str, str]]) -> bytes:
    """CSV bytes in UTF-8 with a BOM (so Excel shows Chinese text), formula-neutralised.

    Numbers are plain decimals: money (``*_cny``) with two decimals, other floats with
    every digit, never in scientific notation.

    Examples
    --------
    >>> csv_with_bom([{"capex_cny": 8.01517e7, "x": 1e-7}], [("capex_cny", "C"), ("x", "X")]
    ...              ).decode("utf-8-sig").splitlines()[1]
    '80151700.00,0.0000001'
    >>> data = csv_with_bom([{"a": "渝中区", "b": "=1+1"}], [("a", "A"), ("b", "B")])
    >>> data[:3] == b"\\xef\\xbb\\xbf", data.decode("utf-8-sig").splitlines()[1]
    (True, "渝中区,'=1+1")
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([label for _, label in columns])
    for row in rows:
        writer.writerow([_csv_value(key, safe_cell(row.get(key, ""))) for key, _ in columns])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_value(key: str, value: Any) -> Any:
    """A number as plain decimal text: money with 2 decimals, other floats every digit."""
    if isinstance(value, bool) or not isinstance(value, float):
        return value
    return f"{value:.2f}" if key.endswith("_cny") else plain_decimal(value)


def workbook_bytes(run: RunData) -> bytes:
    """``plan.xlsx``: summary, bill of quantities, racks, and cost per year, with formula
    totals; availability and equity after the plan when the run saved them."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    # A fixed creation date keeps the file byte-identical for identical inputs.
    from datetime import datetime

    book.set_properties({"title": "netplan capacity plan (estimates)", "author": "netplan",
                         "created": datetime(2000, 1, 1)})
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    money = book.add_format({"num_format": "#,##0"})
    total_fmt = book.add_format({"bold": True, "num_format": "#,##0", "top": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})

    year_rows = cost_per_year(run)
    formats = {"bold": bold, "money": money, "total": total_fmt, "wrap": wrap}
    _summary_sheet(book, run, formats, len(year_rows))
    _table_sheet(book, BILL_SHEET, bill_of_quantities(run), BILL_COLUMNS, formats,
                 totals=("capex_cny",), formulas=BILL_FORMULAS)
    _table_sheet(book, RACK_SHEET, rack_table(run), RACK_COLUMNS, formats,
                 totals=("racks_added", "capex_cny"), formulas=RACK_FORMULAS)
    _table_sheet(book, YEAR_SHEET, year_rows, YEAR_COLUMNS, formats, totals=("capex_cny",),
                 formulas=YEAR_FORMULAS,
                 total_label="Capex, all years (opex is yearly, not summed) 建设投资合计")
    _availability_sheets(book, run.results, formats)
    book.close()
    return buffer.getvalue()


def _summary_facts(run: RunData, years: int) -> list[tuple[str, Any]]:
    """The summary sheet's lines: what was asked, the costs (labelled), the optimizer's figures."""
    plan = run.results["plan"]
    inputs = run.results["inputs"]
    costs = plan["costs"]
    bought = costs["purchases"]
    last = str(inputs["years"][-1])
    capex_sum = f"=SUM('{YEAR_SHEET}'!B2:B{years + 1})" if years else "=0"
    return [
        ("Scenario 情景", f"{inputs['scenario_name']}: {inputs['scenario_title']}"),
        ("Question 问题", inputs["question"]),
        ("Topology 拓扑", inputs["topology_name"]),
        ("Years 年份", ", ".join(str(y) for y in inputs["years"])),
        ("Routing 路由", inputs["routing"]),
        *_verdict_facts(run.results.get("verdict")),
        ("Status 状态", plan["status"]),
        ("Capex of the purchases, all years, CNY (estimate) 采购建设投资合计（估算）",
         (capex_sum, bought["capex_total_cny"])),
        (f"Opex the purchases add in {last}, CNY/yr (estimate) {last} 年新增年运维（估算）",
         bought["added_opex_per_year_cny"].get(last, 0.0)),
        ("Purchases, discounted: capex + added opex, CNY (estimate) 采购折现费用（估算）",
         bought["discounted_total_cny"]),
        ("Existing network opex, discounted, CNY (estimate) 现网运行折现费用（估算）",
         costs["existing_network"]["discounted_total_cny"]),
        ("Plan total, discounted: purchases + existing network, CNY (estimate) "
         "方案折现总费用（含现网，估算）", costs["plan_discounted_total_cny"]),
        (f"Discount rate 折现率 (first year {inputs['years'][0]} undiscounted 首年不折现)",
         costs["discount_rate"]),
        ("Optimizer objective CNY (the plan total, discounted) 优化目标值", plan["objective_cny"]),
        ("Optimizer bound CNY 优化下界", plan["bound_cny"]),
        ("Optimizer gap 优化差距", plan["gap"]),
        ("Independent check 独立复核", _check_text(plan.get("check"))),
        ("Fingerprint 指纹", inputs["fingerprint"]["run"]),
        ("Seed 随机种子", inputs["seed"]),
        ("Estimates 估算", "All prices and demands are estimates, and so is every cost. "
                         "所有价格与需求均为估算，各项费用亦然。"),
    ]


def _verdict_facts(verdict: dict | None) -> list[tuple[str, Any]]:
    """The run's verdict in both languages, first of what the sheet says."""
    if not verdict:
        return []
    return [("Verdict 结论", f"{verdict['headline']} — {verdict['headline_zh']}")]


def _check_text(check: dict | None) -> str:
    """The independent re-check's outcome; a plan made without one says so."""
    if not check:
        return "not run 未运行"
    return "passed 通过" if check.get("passed") else "not passed 未通过"


def _summary_sheet(book, run: RunData, formats: dict, years: int) -> None:
    summary = book.add_worksheet(SUMMARY_SHEET)
    summary.set_column(0, 0, 60)
    summary.set_column(1, 1, 90)
    facts = _summary_facts(run, years)
    for i, (label, value) in enumerate(facts):
        summary.write_string(i, 0, label, formats["bold"])
        if isinstance(value, tuple):  # a live formula and its value
            summary.write_formula(i, 1, value[0], formats["money"], value[1])
        elif value is None:
            summary.write_string(i, 1, "—")
        elif isinstance(value, float):
            summary.write_number(i, 1, value, formats["money"] if abs(value) >= 1 else None)
        elif isinstance(value, int):
            summary.write_number(i, 1, value)
        else:
            summary.write_string(i, 1, str(safe_cell(value)), formats["wrap"])
    for j, item in enumerate(run.results["plan"]["infeasibilities"]):
        summary.write_string(len(facts) + 1 + j, 0, "Cannot satisfy 无法满足", formats["bold"])
        summary.write_string(len(facts) + 1 + j, 1,
                             str(safe_cell(f"{item['item']} {item['id']} ({item['year']}): "
                                           f"{item['reason']}")), formats["wrap"])


def _table_sheet(book, name, rows, columns, formats, *, totals, formulas,
                 total_label="Total 合计") -> None:
    """A sheet of ``rows``: ``formulas`` cells computed from the row's cells, SUM ``totals``."""
    sheet = book.add_worksheet(name)
    sheet.freeze_panes(1, 0)
    letters = {key: xl_col(j) for j, (key, _) in enumerate(columns)}
    for j, (key, label) in enumerate(columns):
        sheet.write_string(0, j, label, formats["bold"])
        sheet.set_column(j, j, 60 if key in ("reason", "reason_zh") else 16)
    for i, row in enumerate(rows, start=1):
        refs = {key: f"{col}{i + 1}" for key, col in letters.items()}
        for j, (key, _) in enumerate(columns):
            value = row.get(key, "")
            fmt = formats["money"] if key.endswith("_cny") else None
            if key in formulas:
                sheet.write_formula(i, j, formulas[key].format(**refs), fmt, value)
            elif isinstance(value, bool):
                sheet.write_boolean(i, j, value)
            elif isinstance(value, int | float):
                sheet.write_number(i, j, value, fmt)
            else:
                sheet.write_string(i, j, str(safe_cell(value)),
                                   formats["wrap"] if key in ("reason", "reason_zh") else None)
    last = len(rows)
    sheet.write_string(last + 1, 0, total_label, formats["bold"])
    for key in totals:
        col = letters[key]
        value = sum(float(r.get(key, 0) or 0) for r in rows)
        formula = f"=SUM({col}2:{col}{last + 1})" if last else "=0"
        sheet.write_formula(last + 1, list(letters).index(key), formula, formats["total"], value)


def availability_sheet_rows(results: Mapping[str, Any]) -> list[dict]:
    """The availability rows after the plan, each with its downtime before the plan.

    ``[]`` for a run saved without availability.

    Examples
    --------
    >>> row = {"district": "a", "plane": "extranet", "destination": "dc",
    ...        "downtime_min_per_year": 5.0, "network_downtime_min_per_year": 1.0}
    >>> saved = {"availability": {"before": {"rows": [row]}, "after": {"rows": [
    ...     row | {"downtime_min_per_year": 4.0, "network_downtime_min_per_year": 0.5}]}}}
    >>> out = availability_sheet_rows(saved)[0]
    >>> out["downtime_min_per_year"], out["downtime_min_per_year_before"]
    (4.0, 5.0)
    """
    part = results.get("availability") or {}

    def key(row):
        return row["district"], row["plane"], row["destination"]

    before = {key(r): r for r in part.get("before", {}).get("rows", [])}
    out = []
    for row in part.get("after", {}).get("rows", []):
        old = before.get(key(row), {})
        out.append(dict(row) | {
            "downtime_min_per_year_before": old.get("downtime_min_per_year"),
            "network_downtime_min_per_year_before": old.get("network_downtime_min_per_year")})
    return out


def _availability_sheets(book, results: Mapping[str, Any], formats: dict) -> None:
    """The availability and equity sheets, when the run saved them."""
    from netplan.report.availability import spread_rows

    number_formats = {key: book.add_format({"num_format": spec})
                      for key, spec in _AVAILABILITY_NUMBERS.items()}
    number_formats["_cny"] = formats["money"]
    avail, equity = results.get("availability"), results.get("equity")
    if avail:
        sheet = _sheet(book, AVAILABILITY_SHEET, AVAILABILITY_SHEET_COLUMNS)
        row = _records(sheet, 0, availability_sheet_rows(results), AVAILABILITY_SHEET_COLUMNS,
                       formats, number_formats)
        if avail.get("purchases"):
            row = _records(sheet, row + 1, avail["purchases"], AVAILABILITY_PURCHASE_COLUMNS,
                           formats, number_formats)
        _note(sheet, row + 1, formats)
    if equity:
        sheet = _sheet(book, EQUITY_SHEET, EQUITY_SHEET_COLUMNS)
        row = _records(sheet, 0, equity.get("after", {}).get("rows", []), EQUITY_SHEET_COLUMNS,
                       formats, number_formats)
        sheet.write_string(row + 1, 0, "Spread across districts, before and after the plan "
                           "(estimates) 区县间差距：采购前后（估算）", formats["bold"])
        spreads = spread_rows(equity.get("before", {}).get("summary", {}),
                              equity.get("after", {}).get("summary", {}))
        row = _records(sheet, row + 2, spreads, SPREAD_SHEET_COLUMNS, formats, number_formats)
        _note(sheet, row + 1, formats)


def _sheet(book, name: str, columns):
    sheet = book.add_worksheet(name)
    sheet.freeze_panes(1, 0)
    for j, (key, _) in enumerate(columns):
        sheet.set_column(j, j, 40 if "cut" in key else 16)
    return sheet


def _records(sheet, first: int, rows, columns, formats: dict, number_formats: dict) -> int:
    """``rows`` under a header at row ``first``: numbers as numbers, text neutralised.
    Returns the row after the last one written."""
    for j, (_, label) in enumerate(columns):
        sheet.write_string(first, j, label, formats["bold"])
    for i, row in enumerate(rows, start=first + 1):
        for j, (key, _) in enumerate(columns):
            fmt = number_formats.get("_cny" if key.endswith("_cny") else key)
            _cell(sheet, i, j, row.get(key), fmt)
    return first + 1 + len(rows)


def _cell(sheet, i: int, j: int, value: Any, fmt) -> None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        sheet.write_blank(i, j, None)
    elif isinstance(value, bool):
        sheet.write_boolean(i, j, value)
    elif isinstance(value, int | float):
        sheet.write_number(i, j, value, fmt)
    elif isinstance(value, list | tuple):
        sheet.write_string(i, j, str(safe_cell(", ".join(str(v) for v in value))))
    else:
        sheet.write_string(i, j, str(safe_cell(value)))


def _note(sheet, row: int, formats: dict) -> None:
    sheet.write_string(row, 0, _ESTIMATE_NOTE[0], formats["bold"])
    sheet.write_string(row, 1, _ESTIMATE_NOTE[1])


def xl_col(index: int) -> str:
    """Spreadsheet column letters of a 0-based index.

    Examples
    --------
    >>> xl_col(0), xl_col(25), xl_col(26)
    ('A', 'Z', 'AA')
    """
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def write_exports(run: RunData, directory: str | os.PathLike) -> list[Path]:
    """Write ``plan.xlsx``, ``bill_of_quantities.csv`` and ``racks.csv`` (UTF-8 with BOM)."""
    directory = Path(directory)
    return [
        write_bytes_atomic(directory / "plan.xlsx", workbook_bytes(run)),
        write_bytes_atomic(directory / "bill_of_quantities.csv",
                           csv_with_bom(bill_of_quantities(run), BILL_COLUMNS)),
        write_bytes_atomic(directory / "racks.csv", csv_with_bom(rack_table(run), RACK_COLUMNS)),
    ]
