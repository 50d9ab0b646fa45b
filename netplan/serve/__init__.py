"""The what-if page in the browser (``egov-netplan serve``).

- :mod:`netplan.serve.workspace` — the folders the server reads and writes, and the one way
  a name from the page becomes a path.
- :mod:`netplan.serve.edits` — the page's controls as a scenario file that ``extends`` the base.
- :mod:`netplan.serve.answer` — the computation behind each change and what the page draws.
- :mod:`netplan.serve.jobs` — the slower steps (full report, routed MILP, simulation) in
  processes of their own, with progress, cancellable.
- :mod:`netplan.serve.app` — the HTTP server: token, pages, JSON API; ``static/`` holds the
  page, its script and style.
"""
