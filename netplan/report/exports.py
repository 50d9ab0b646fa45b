"""Procurement exports: ``plan.xlsx`` and UTF-8-with-BOM CSV tables a purchasing office uses as is.

Text that came from input files is neutralised before it reaches a spreadsheet: a cell that
starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) gets a leading apostrophe
so no spreadsheet reads it as a formula. Totals in the workbook are live formulas over the
rows above them.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from netplan.io.atomic import write_bytes_atomic
from netplan.io.run_dir import RunData

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

BILL_COLUMNS = (
    ("year", "Year 年份"), ("district", "District 区县"), ("item", "Item 项目"),
    ("id", "Link / DC 链路/数据中心"), ("plane", "Plane 网络"), ("tier", "Tier 档位"),
    ("quantity", "Quantity 数量"), ("unit", "Unit 单位"), ("unit_price_cny", "Unit price CNY 单价"),
    ("capex_cny", "Capex CNY 建设投资"), ("opex_cny", "Opex CNY/yr 年运维"),
    ("marginal_cost_cny", "Marginal cost CNY 边际成本"), ("reason", "Reason 原因"),
)
RACK_COLUMNS = (
    ("data_centre", "Data centre 数据中心"), ("year", "Year 年份"), ("racks", "Racks 机架"),
    ("racks_added", "Added 新增"), ("capex_cny", "Capex CNY 建设投资"),
    ("opex_cny", "Opex CNY/yr 年运维"), ("reason", "Reason 原因"),
)


def safe_cell(value: Any) -> Any:
    """A value safe to put in a spreadsheet cell: text never starts a formula.

    Examples
    --------
    >>> safe_cell("=HYPERLINK(\\"http://x\\")"), safe_cell("-1+2"), safe_cell(3.5), safe_cell("ok")
    ('\\'=HYPERLINK("http://x")', "'-1+2", 3.5, 'ok')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def bill_of_quantities(run: RunData) -> list[dict]:
    """One line per purchase: year, district, item, tier, quantity, unit price, capex, reason."""
    topo = run.results["topology"]
    tiers = {t["name"]: t for t in topo["tiers"]}
    dcs = {d["id"]: d for d in topo["data_centres"]}
    links = {lk["id"]: lk for lk in topo["links"]}
    lines = []
    for row in run.results["plan"]["rows"]:
        if not row["purchase"]:
            continue
        if row["item"] == "data_centre":
            quantity, unit, tier = row["racks_added"], "rack 机架", ""
            unit_price = dcs[row["id"]]["rack_capex_cny"] if row["id"] in dcs else 0.0
        else:
            tier = row["tier"]
            quantity, unit = row["modules"], f"{tier} module 模块"
            info = tiers.get(tier, {})
            length = (links.get(row["id"]) or {}).get("length_km") or 0.0
            unit_price = info.get("capex_cny", 0.0) + info.get("capex_cny_per_km", 0.0) * length
        lines.append({
            "year": row["year"], "district": row["district"], "item": row["item"],
            "id": row["id"], "plane": row["plane"], "tier": tier, "quantity": quantity,
            "unit": unit, "unit_price_cny": float(unit_price), "capex_cny": row["capex_cny"],
            "opex_cny": row["opex_cny"], "marginal_cost_cny": row["marginal_cost_cny"],
            "reason": row["reason"],
        })
    return sorted(lines, key=lambda r: (r["year"], r["district"], r["item"], r["id"]))


def rack_table(run: RunData) -> list[dict]:
    """Racks per data centre per year after the plan's purchases."""
    return [
        {"data_centre": r["id"], "year": r["year"], "racks": r["racks"],
         "racks_added": r["racks_added"], "capex_cny": r["capex_cny"], "opex_cny": r["opex_cny"],
         "reason": r["reason"]}
        for r in run.results["plan"]["rows"] if r["item"] == "data_centre"
    ]


def csv_with_bom(rows: Iterable[Mapping[str, Any]], columns: Sequence[tuple[str, str]]) -> bytes:
    """CSV bytes in UTF-8 with a BOM (so Excel shows Chinese text), formula-neutralised.

    Examples
    --------
    >>> data = csv_with_bom([{"a": "渝中区", "b": "=1+1"}], [("a", "A"), ("b", "B")])
    >>> data[:3] == b"\\xef\\xbb\\xbf", data.decode("utf-8-sig").splitlines()[1]
    (True, "渝中区,'=1+1")
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([label for _, label in columns])
    for row in rows:
        writer.writerow([safe_cell(row.get(key, "")) for key, _ in columns])
    return buffer.getvalue().encode("utf-8-sig")


def workbook_bytes(run: RunData) -> bytes:
    """``plan.xlsx``: summary, bill of quantities, racks, and cost per year, with formula totals."""
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

    plan = run.results["plan"]
    inputs = run.results["inputs"]
    summary = book.add_worksheet("Summary 摘要")
    summary.set_column(0, 0, 34)
    summary.set_column(1, 1, 90)
    facts = [
        ("Scenario 情景", f"{inputs['scenario_name']}: {inputs['scenario_title']}"),
        ("Question 问题", inputs["question"]),
        ("Topology 拓扑", inputs["topology_name"]),
        ("Years 年份", ", ".join(str(y) for y in inputs["years"])),
        ("Routing 路由", inputs["routing"]),
        ("Status 状态", plan["status"]),
        ("Discounted total CNY 折现总费用", plan["objective_cny"]),
        ("Bound CNY 下界", plan["bound_cny"]),
        ("Gap 差距", plan["gap"]),
        ("Independent check 独立复核",
         "passed 通过" if (plan.get("check") or {}).get("passed") else "not passed 未通过"),
        ("Fingerprint 指纹", inputs["fingerprint"]["run"]),
        ("Seed 随机种子", inputs["seed"]),
        ("Estimates 估算", "All prices and demands are estimates. 所有价格与需求均为估算。"),
    ]
    for i, (label, value) in enumerate(facts):
        summary.write_string(i, 0, label, bold)
        if isinstance(value, float):
            summary.write_number(i, 1, value, money)
        elif isinstance(value, int):
            summary.write_number(i, 1, value)
        else:
            summary.write_string(i, 1, str(safe_cell(value)), wrap)
    for j, item in enumerate(plan["infeasibilities"]):
        summary.write_string(len(facts) + 1 + j, 0, "Cannot satisfy 无法满足", bold)
        summary.write_string(len(facts) + 1 + j, 1,
                             str(safe_cell(f"{item['item']} {item['id']} ({item['year']}): "
                                           f"{item['reason']}")), wrap)

    _table_sheet(book, "Bill of quantities 采购清单", bill_of_quantities(run), BILL_COLUMNS,
                 ("capex_cny", "opex_cny", "marginal_cost_cny"), bold, money, total_fmt, wrap)
    _table_sheet(book, "Racks 机架", rack_table(run), RACK_COLUMNS,
                 ("capex_cny", "racks_added"), bold, money, total_fmt, wrap)
    per_year = [{"year": int(y), "capex_cny": v["capex_cny"], "opex_cny": v["opex_cny"]}
                for y, v in plan["costs"]["per_year"].items()]
    _table_sheet(book, "Cost per year 逐年费用", per_year,
                 (("year", "Year 年份"), ("capex_cny", "Capex CNY 建设投资"),
                  ("opex_cny", "Opex CNY 运维")), ("capex_cny", "opex_cny"),
                 bold, money, total_fmt, wrap)
    book.close()
    return buffer.getvalue()


def _table_sheet(book, name, rows, columns, totals, bold, money, total_fmt, wrap) -> None:
    sheet = book.add_worksheet(name)
    sheet.freeze_panes(1, 0)
    for j, (key, label) in enumerate(columns):
        sheet.write_string(0, j, label, bold)
        sheet.set_column(j, j, 60 if key == "reason" else 16)
    for i, row in enumerate(rows, start=1):
        for j, (key, _) in enumerate(columns):
            value = row.get(key, "")
            if isinstance(value, bool):
                sheet.write_boolean(i, j, value)
            elif isinstance(value, int | float):
                sheet.write_number(i, j, value, money if key.endswith("_cny") else None)
            else:
                sheet.write_string(i, j, str(safe_cell(value)), wrap if key == "reason" else None)
    last = len(rows)
    sheet.write_string(last + 1, 0, "Total 合计", bold)
    for j, (key, _) in enumerate(columns):
        if key in totals:
            col = xl_col(j)
            value = sum(float(r.get(key, 0) or 0) for r in rows)
            formula = f"=SUM({col}2:{col}{last + 1})" if last else "=0"
            sheet.write_formula(last + 1, j, formula, total_fmt, value)


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
