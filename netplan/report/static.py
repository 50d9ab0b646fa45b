"""Static copies of a report: an A4 PDF (headless Chromium) and PNG figures (kaleido).

Both use Debian's ``chromium``; nothing is downloaded. kaleido is the optional extra
``netplan[static]``. :func:`check_tools` finds a missing piece before a run computes
anything (bad input, exit code 2, saying what to install); found missing only when the copy
is made, it is a :class:`netplan.errors.RunError`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from netplan.errors import Problem, RunError, ValidationError

INSTALL_KALEIDO = "pip install 'netplan[static]'"
INSTALL_CHROMIUM = "apt-get install chromium"

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-pdf-header-footer",
)


def find_chromium() -> str:
    """Path of the Chromium binary, or a RunError that says how to install it."""
    for name in (os.environ.get("BROWSER_PATH"), "chromium", "chromium-browser"):
        if name and (found := shutil.which(name)):
            return found
    raise RunError("Chromium is needed for --pdf and --png but was not found; "
                   "install Debian's package: apt-get install chromium")


def kaleido_found() -> bool:
    """Whether kaleido (``netplan[static]``) can be imported, without importing it."""
    return importlib.util.find_spec("kaleido") is not None


def chromium_found() -> bool:
    """Whether :func:`find_chromium` would find a Chromium binary."""
    try:
        find_chromium()
    except RunError:
        return False
    return True


def tool_problems(*, pdf: bool, png: bool) -> list[Problem]:
    """What ``--pdf`` and ``--png`` would miss on this machine, each with how to install it.

    Examples
    --------
    >>> tool_problems(pdf=False, png=False)
    []
    """
    problems = []
    if png and not kaleido_found():
        problems.append(Problem("--png", "", "needs kaleido to draw PNG figures: "
                                f"{INSTALL_KALEIDO}"))
    if (pdf or png) and not chromium_found():
        flags = " and ".join(f for f, on in (("--pdf", pdf), ("--png", png)) if on)
        problems.append(Problem(flags, "", "needs Chromium (Debian's package), which was not "
                                f"found: {INSTALL_CHROMIUM}"))
    return problems


def check_tools(*, pdf: bool, png: bool) -> None:
    """Refuse ``--pdf``/``--png`` at once when a tool they need is missing.

    Raises
    ------
    netplan.errors.ValidationError
        Exit code 2, naming what to install (``pip install 'netplan[static]'`` for kaleido,
        ``apt-get install chromium``).
    """
    problems = tool_problems(pdf=pdf, png=png)
    if problems:
        raise ValidationError(problems)


def report_pdf(html_path: str | os.PathLike, pdf_path: str | os.PathLike,
               timeout_s: float = 180.0) -> Path:
    """Print ``html_path`` to an A4 PDF at ``pdf_path`` (written atomically)."""
    from netplan.io.atomic import write_bytes_atomic

    chromium = find_chromium()
    html = Path(html_path).resolve()
    with tempfile.TemporaryDirectory(prefix="netplan-pdf-") as scratch:
        target = Path(scratch) / "report.pdf"
        # No --virtual-time-budget: Chromium 156 never finishes printing the report with one
        # (any budget), and the figures are drawn by the time the page has loaded.
        command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={scratch}/profile",
                   f"--print-to-pdf={target}", html.as_uri()]
        try:
            subprocess.run(command, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise RunError(f"Chromium did not finish printing {html} in {timeout_s:.0f} s") from None
        if not target.exists() or target.stat().st_size == 0:
            raise RunError(f"Chromium could not print {html} to PDF")
        return write_bytes_atomic(pdf_path, target.read_bytes())


def figure_pngs(sections, directory: str | os.PathLike, scale: float = 2.0) -> list[Path]:
    """Write every figure of ``sections`` as ``figure-NN.png`` (needs ``netplan[static]``)."""
    from netplan.io.atomic import write_bytes_atomic

    try:
        import kaleido  # noqa: F401
    except ImportError:
        raise RunError(f"--png needs kaleido: {INSTALL_KALEIDO}") from None
    find_chromium()
    out = []
    number = 0
    for section in sections:
        for item in section.figures:
            fig = item[0] if isinstance(item, tuple) else item
            number += 1
            try:
                data = fig.to_image(format="png", scale=scale)
            except Exception as exc:  # kaleido reports browser problems as plain exceptions
                raise RunError(f"kaleido could not draw figure {number}: {exc}") from None
            out.append(write_bytes_atomic(Path(directory) / f"figure-{number:02d}.png", data))
    return out
