"""The ``serve`` verb: the what-if page in the browser (:mod:`netplan.serve`)."""

from __future__ import annotations

import click


@click.command()
@click.argument("topology", required=False, type=click.Path(dir_okay=False))
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@click.option("--port", type=click.IntRange(min=0, max=65535), default=0, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but a loopback address lets other "
                   "machines reach the page (with the token).")
@click.option("--dir", "workspace", type=click.Path(file_okay=False), default=".",
              show_default=True, help="The folder the page saves scenarios and runs into "
                                      "(runs under DIR/runs/).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language the page starts in.")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the browser.")
def serve(topology: str | None, scenario: str | None, port: int, host: str, workspace: str,
          lang: str, open_browser: bool) -> None:
    """What-if in the browser: change growth, fail links, see the verdict and purchases at once.

    Starts a local server on TOPOLOGY and SCENARIO (default: the Chongqing network and the
    baseline) and prints the page's address with its access token. The page reads
    scenarios from netplan's shipped folder, SCENARIO's folder and --dir, and writes only
    into --dir. Ctrl-C stops it.
    """
    import ipaddress
    from pathlib import Path

    import netplan
    from netplan.errors import Problem, ValidationError
    from netplan.serve.app import make_server, serve_until_interrupted
    from netplan.serve.workspace import Workspace

    topology = topology or str(netplan.default_topology_path())
    scenario = scenario or str(netplan.default_scenario_path())
    problems = [Problem(path, "", "no such file") for path in (topology, scenario)
                if not Path(path).is_file()]
    if not Path(workspace).is_dir():
        problems.append(Problem(workspace, "--dir", "no such folder"))
    if problems:
        raise ValidationError(problems)
    topo = netplan.load_topology(topology)
    netplan.load_scenario(scenario, topo)  # refuse a bad start before listening
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        click.echo(f"warning: listening on {host}: other machines can reach the page; "
                   "anyone with the address and token can run what-ifs and write into "
                   f"{workspace}", err=True)
    try:
        server = make_server(Workspace.start(topology, scenario, workspace), host, port,
                             lang=lang)
    except OSError as exc:
        raise ValidationError([Problem("--port", "", f"cannot listen on {host}:{port}: "
                                       f"{exc.strerror or exc}")]) from None
    click.echo(f"netplan what-if page on {server.url}")
    click.echo(f"workspace {Path(workspace).resolve()}; Ctrl-C stops the server")
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    serve_until_interrupted(server)
    click.echo("stopped")
