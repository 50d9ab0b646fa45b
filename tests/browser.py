"""Open a rendered report in headless Chromium and record what it does.

Reusable by every report test::

    from browser import browser_unavailable, open_in_browser
    requests, console_errors, info = open_in_browser(path)

Uses Debian's ``/usr/bin/chromium`` through Playwright (never ``playwright install``, which
downloads). Every request the page makes is recorded; requests for anything but ``file:`` URLs
are also aborted, so a broken page cannot reach the network during tests.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# After load: every report figure has been drawn by plotly (or the wait times out).
_PLOTS_DRAWN = """() => {
  const slots = document.querySelectorAll('.plot');
  const done = document.querySelectorAll('.plot.js-plotly-plot .main-svg');
  return slots.length === 0 || document.querySelectorAll('.plot.js-plotly-plot').length ===
    slots.length && done.length >= slots.length;
}"""

_PAGE_INFO = """() => {
  const plots = Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => ({
    id: gd.id,
    traces: (gd.data || []).length,
    geo_subplots: gd.querySelectorAll('.geolayer g.geo').length,
    geo_traces: gd.querySelectorAll('.geolayer g.trace.scattergeo').length,
    geo_line_paths: Array.from(gd.querySelectorAll('.geolayer path.js-line'))
      .filter(p => (p.getAttribute('d') || '').length > 10).length,
    geo_points: gd.querySelectorAll('.geolayer path.point').length,
    geo_base_layers: Array.from(gd.querySelectorAll('.geolayer g.geo > g.layer'))
      .map(g => g.getAttribute('class').replace('layer', '').trim())
      .filter(n => !['bg', 'backplot', 'frontplot'].includes(n)),
  }));
  return {
    title: document.title,
    lang: document.documentElement.lang,
    plot_slots: document.querySelectorAll('.plot').length,
    plotly_divs: plots.length,
    plots: plots,
    img_elements: document.querySelectorAll('img').length,
    script_elements: document.querySelectorAll('script').length,
  };
}"""


def browser_unavailable() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} is not installed (Debian package 'chromium')"
    if importlib.util.find_spec("playwright") is None:
        return "the Python package 'playwright' is not installed (dev extra)"
    return None


def open_in_browser(
    path: str | os.PathLike,
    *,
    evaluate: str | None = None,
    timeout_ms: int = 60_000,
    screenshots: dict[str, str] | None = None,
) -> tuple[list[str], list[str], dict[str, Any]]:
    """Load ``path`` as a ``file://`` URL and wait until its plotly figures are drawn.

    Parameters
    ----------
    path : path
        The HTML file.
    evaluate : str, optional
        A JavaScript function expression run after rendering; its result is
        ``page_info["evaluated"]``.
    timeout_ms : int
        Longest wait for load and drawing.
    screenshots : dict, optional
        PNG path → what to shoot: ``"viewport"`` (the first screen) or a CSS selector (its
        first match, scrolled into view).

    Returns
    -------
    requests : list of str
        Every URL the page requested, in order (the page itself first).
    console_errors : list of str
        Console messages of type error, uncaught exceptions, and a note if drawing timed out.
    page_info : dict
        ``url``, ``title``, ``lang``, ``plot_slots`` (report figure slots), ``plotly_divs``
        (drawn plotly graphs), ``plots`` (per graph: ``id``, ``traces``, ``geo_subplots``,
        ``geo_traces``, ``geo_line_paths`` (drawn lines), ``geo_points``, ``geo_base_layers``
        (land, coastlines … drawn from plotly's topojson)), ``img_elements``,
        ``script_elements``, ``text`` (the body's visible text), ``dialogs`` (any
        alert/confirm/prompt the page opened) and ``evaluated``.
    """
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    url = Path(path).resolve().as_uri()
    requests: list[str] = []
    errors: list[str] = []
    dialogs: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.route(
                "**/*",
                lambda route: (
                    route.continue_() if route.request.url.startswith("file:") else route.abort()
                ),
            )
            page = context.new_page()
            page.on("request", lambda req: requests.append(req.url))
            page.on(
                "console",
                lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None,
            )
            page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))

            def on_dialog(dialog: Any) -> None:
                dialogs.append(f"{dialog.type}: {dialog.message}")
                dialog.dismiss()

            page.on("dialog", on_dialog)
            page.goto(url, wait_until="load", timeout=timeout_ms)
            try:
                page.wait_for_function(_PLOTS_DRAWN, timeout=timeout_ms)
            except PlaywrightError as exc:
                errors.append(f"figures not drawn: {exc}")
            # let pending promises (geo data, fonts) settle before counting
            page.wait_for_timeout(300)
            info = dict(page.evaluate(_PAGE_INFO))
            info["url"] = url
            info["text"] = page.inner_text("body")
            info["evaluated"] = page.evaluate(evaluate) if evaluate else None
            info["dialogs"] = dialogs
            for target, what in (screenshots or {}).items():
                if what == "viewport":
                    page.evaluate("window.scrollTo(0, 0)")
                    page.screenshot(path=str(target))
                else:
                    page.locator(what).first.screenshot(path=str(target))
        finally:
            browser.close()
    return requests, errors, info
