"""Reports: plotly figures and one self-contained, offline HTML page.

- :mod:`netplan.report.geo` — Chongqing district outlines (shipped as plain GeoJSON) and the
  small geometry the maps need.
- :mod:`netplan.report.mapfig` — :func:`~netplan.report.mapfig.network_map`, the network on a
  map of Chongqing.
- :mod:`netplan.report.html` — :func:`~netplan.report.html.render_page`, one HTML file with
  plotly.js embedded and no network access.
- :mod:`netplan.report.i18n` — Chinese and English labels.

Submodules load on use so that importing this package stays cheap.
"""
