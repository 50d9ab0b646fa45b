"""What each file of a run directory holds, in English and Chinese, and the directory's index.

:data:`RUN_FILES` is the one list of the files ``egov-netplan plan`` writes (and
:meth:`netplan.run.pipeline.PlanRun.save` in code); :func:`write_index` puts it, for the
files a run actually wrote, in the run's ``index.md``: plain text, one line a file, that
any viewer shows.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

__all__ = ["INDEX_FILE", "ONLY_WITH", "RUN_FILES", "describe", "index_text", "run_files",
           "write_index"]

INDEX_FILE = "index.md"

RUN_FILES: dict[str, tuple[str, str]] = {
    INDEX_FILE: ("this list: every file of the run and what it holds",
                 "本清单：本次运行的每个文件及其内容"),
    "report.html": ("the report: open it in a browser (works offline): map, hot links and "
                    "their causes, failure impact, the plan",
                    "报告：用浏览器打开（可离线）：地图、高负载链路及原因、故障影响、采购方案"),
    "report.pdf": ("the report printed to A4 PDF (with --pdf)",
                   "报告的 A4 PDF 版（使用 --pdf 时）"),
    "figures/figure-NN.png": ("figure NN of the report as a PNG image (with --png)",
                              "报告第 NN 幅图的 PNG 图片（使用 --png 时）"),
    "plan.xlsx": ("the plan to file, in Excel: summary, bill of quantities, racks, cost per "
                  "year (totals are formulas)",
                  "可提交的采购方案（Excel）：概要、工程量清单、机架、逐年费用（合计为公式）"),
    "bill_of_quantities.csv": ("what to buy per year, district and link: tier, quantity, unit "
                               "price, capex, opex, reason (UTF-8 with BOM)",
                               "按年份、区县、链路列出的采购清单：档位、数量、单价、投资、运维费、"
                               "原因（带 BOM 的 UTF-8）"),
    "racks.csv": ("racks to buy per data centre and year, with prices and reasons (UTF-8 "
                  "with BOM)",
                  "各数据中心逐年需采购的机架、价格及原因（带 BOM 的 UTF-8）"),
    "plan.csv": ("every link and data centre per year: tier, modules, capacity, capex, opex, "
                 "reason",
                 "每条链路、每个数据中心的逐年方案：档位、模块数、容量、投资、运维费、原因"),
    "plan.json": ("the plan in full: status, bound and gap, purchases, what cannot be done, "
                  "the independent check",
                  "完整方案：求解状态、下界与差距、采购项、无法满足的约束、独立复核"),
    "costs.json": ("costs per year: capex, added and existing opex, discounted totals "
                   "(estimates)",
                   "逐年费用：投资、新增及现有运维费、折现合计（估算）"),
    "routes.csv": ("the routes the plan chooses, per plane, year and origin-destination pair "
                   "(with --routing optimized)",
                   "方案选定的路由：按网络平面、年份和起止点对（使用 --routing optimized 时）"),
    "summary.json": ("the verdict (does the network meet its targets after the purchases?), "
                     "what to buy and what it costs",
                     "结论（采购后网络是否达标）、采购内容及费用"),
    "worst_case.csv": ("the worst load of every link before the purchases, and the failure, "
                       "hour and year that cause it",
                       "采购前每条链路的最坏负载，以及导致它的故障、时段和年份"),
    "sla_violations.csv": ("origin-destination pairs over their latency target, per failure",
                           "各故障下超出时延目标的起止点对"),
    "lost_demand.csv": ("demand a failure cuts off, per failure and origin-destination pair",
                        "故障导致中断的需求，按故障和起止点对"),
    "dc_load.csv": ("load of every data centre per year: busy servers, racks needed and "
                    "installed",
                    "各数据中心逐年负载：繁忙服务器、所需及已装机架"),
    "sim_summary.json": ("what users would feel on the sized network: blocking, response "
                         "times, queues (not with --sim none)",
                         "扩容后用户体验：阻塞率、响应时间、排队（--sim none 时不生成）"),
    "sim_services.csv": ("blocking and response times per service and hour, with confidence "
                         "intervals (not with --sim none)",
                         "各业务逐时段的阻塞率和响应时间及置信区间（--sim none 时不生成）"),
    "sim_link_utilisation.csv": ("simulated utilisation of every link over time (not with "
                                 "--sim none)",
                                 "仿真得到的各链路利用率随时间变化（--sim none 时不生成）"),
    "sim_pool_queue.csv": ("simulated queue of every data-centre server pool over time (not "
                           "with --sim none)",
                           "仿真得到的各数据中心服务器池排队随时间变化（--sim none 时不生成）"),
    "availability.csv": ("availability of every district per plane and destination after the "
                         "purchases: target, availability, downtime minutes a year, whether it "
                         "meets the target, the dominant cut (estimates)",
                         "采购后各区县按网络平面和目的地的可用性：目标、可用性、年停机分钟数、"
                         "是否达标、主导割集（估算）"),
    "equity.csv": ("service per district after the purchases: bandwidth per resident and per "
                   "staff member, worst-hour utilisation, downtime, latency to the data centre "
                   "(estimates)",
                   "采购后各区县的服务水平：人均及每名工作人员带宽、最忙时段利用率、停机时间、"
                   "到数据中心的时延（估算）"),
    "results.json": ("every result of the run, for `egov-netplan report` and `compare`",
                     "本次运行的全部结果，供 `egov-netplan report` 和 `compare` 使用"),
    "arrays.npz": ("the numbers the report's figures are drawn from (NumPy arrays)",
                   "报告图表所用的数据（NumPy 数组）"),
}
"""Every file a plan run may write (relative to the run directory): (English, Chinese)."""

ONLY_WITH: dict[str, tuple[str, ...]] = {
    "report.pdf": ("--pdf",),
    "figures/figure-NN.png": ("--png",),
    "routes.csv": ("--routing optimized",),
    "sim_summary.json": ("--sim analytic", "--sim simulate"),
    "sim_services.csv": ("--sim analytic", "--sim simulate"),
    "sim_link_utilisation.csv": ("--sim analytic", "--sim simulate"),
    "sim_pool_queue.csv": ("--sim analytic", "--sim simulate"),
}
"""Files written only with one of these options (the rest are in every run)."""

_FIGURE = re.compile(r"figures/figure-(\d+)\.png")


def describe(name: str) -> tuple[str, str] | None:
    """What the run file ``name`` holds, in English and Chinese; None for a file not listed.

    Examples
    --------
    >>> describe("plan.xlsx")[0].split(":")[0]
    'the plan to file, in Excel'
    >>> describe("figures/figure-03.png")[0]
    'figure 03 of the report as a PNG image (with --png)'
    >>> describe("notes.txt") is None
    True
    """
    if name in RUN_FILES:
        return RUN_FILES[name]
    figure = _FIGURE.fullmatch(name)
    if figure:
        en, zh = RUN_FILES["figures/figure-NN.png"]
        return en.replace("NN", figure[1]), zh.replace("NN", figure[1])
    return None


def run_files(directory: str | os.PathLike) -> list[str]:
    """Every file under ``directory`` as a relative path, sorted; hidden ones left out.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     for name in ("b.csv", ".netplan-output", "figures/figure-01.png"):
    ...         (Path(d) / name).parent.mkdir(exist_ok=True)
    ...         _ = (Path(d) / name).write_text("x")
    ...     run_files(d)
    ['b.csv', 'figures/figure-01.png']
    """
    root = Path(directory)
    found = (p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return sorted(n for n in found if not any(part.startswith(".") for part in n.split("/")))


def index_text(names: Iterable[str], *, about: str = "") -> str:
    """The run directory's index: a line for each of ``names`` with what it holds.

    Examples
    --------
    >>> print(index_text(["plan.json", "index.md"]).splitlines()[-1])
    - `plan.json` — the plan in full: status, bound and gap, purchases, what cannot be done, the independent check / 完整方案：求解状态、下界与差距、采购项、无法满足的约束、独立复核
    """
    lines = ["# Files of this run / 本次运行的文件", ""]
    if about:
        lines += [about, ""]
    lines += ["Start with report.html (open it in a browser) or plan.xlsx (the plan to file).",
              "先看 report.html（用浏览器打开）或 plan.xlsx（可提交的采购方案）。", ""]
    for name in sorted(names):
        what = describe(name)
        lines.append(f"- `{name}` — {what[0]} / {what[1]}" if what else f"- `{name}`")
    return "\n".join(lines) + "\n"


def write_index(directory: str | os.PathLike, *, about: str = "") -> Path:
    """Write ``index.md`` into ``directory``, listing its files and itself."""
    from netplan.io.atomic import write_text_atomic

    names = set(run_files(directory)) | {INDEX_FILE}
    return write_text_atomic(Path(directory) / INDEX_FILE, index_text(names, about=about))
