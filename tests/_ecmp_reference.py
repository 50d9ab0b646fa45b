"""An independent, deliberately plain ECMP and failure-sweep reference built on networkx.

Nothing here imports netplan's routing code: shortest distances come from networkx's
Dijkstra, the DAG is built arc by arc, the per-hop split is propagated node by node in a
networkx topological order, and loads are summed in Python loops, one sample at a time.
"""

from __future__ import annotations

import math

import networkx as nx


def arc_lists(graph):
    """Plain Python lists (src, dst, weight, latency, link) of a PlaneGraph's arcs."""
    return (
        [int(x) for x in graph.arc_src],
        [int(x) for x in graph.arc_dst],
        [float(x) for x in graph.arc_weight],
        [float(x) for x in graph.arc_latency_ms],
        [int(x) for x in graph.arc_link],
    )


def failed_arcs(graph, failed_links=(), failed_nodes=()):
    src, dst, _, _, link = arc_lists(graph)
    links, nodes = set(failed_links), set(failed_nodes)
    return {a for a in range(len(src)) if link[a] in links or src[a] in nodes or dst[a] in nodes}


def ecmp_fractions(graph, od_src, od_dst, failed_links=(), failed_nodes=()):
    """Per od: (reachable, {arc: fraction}, worst latency over ECMP paths, most hops)."""
    src, dst, w, lat, _ = arc_lists(graph)
    dead = failed_arcs(graph, failed_links, failed_nodes)
    nodes_down = set(failed_nodes)
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(graph.n_nodes))
    for a in range(len(src)):
        if a not in dead:
            g.add_edge(src[a], dst[a], key=a, weight=w[a])
    rev = g.reverse(copy=True)
    out = []
    cache = {}
    for s, t in zip(od_src, od_dst, strict=True):
        s, t = int(s), int(t)
        if s in nodes_down or t in nodes_down:
            out.append((False, {}, math.inf, -1))
            continue
        if t not in cache:
            dist = nx.single_source_dijkstra_path_length(rev, t, weight="weight")
            dag = nx.MultiDiGraph()
            for u, v, a in g.edges(keys=True):
                if (
                    u in dist
                    and v in dist
                    and math.isclose(dist[u], w[a] + dist[v], rel_tol=1e-12, abs_tol=0.0)
                ):
                    dag.add_edge(u, v, key=a)
            cache[t] = (dist, dag)
        dist, dag = cache[t]
        if s not in dist:
            out.append((False, {}, math.inf, -1))
            continue
        # per-hop split: each node divides what reaches it equally over its DAG arcs
        flow = {s: 1.0}
        frac = {}
        for u in nx.topological_sort(dag) if s in dag else []:
            f = flow.get(u, 0.0)
            if f == 0.0:
                continue
            arcs = list(dag.out_edges(u, keys=True))
            for _, v, a in arcs:
                share = f / len(arcs)
                frac[a] = frac.get(a, 0.0) + share
                flow[v] = flow.get(v, 0.0) + share
        # worst latency and most hops: enumerate every shortest path explicitly
        worst_lat, worst_hops = 0.0, 0
        if s in dag:
            for path in nx.all_simple_edge_paths(dag, s, t):
                worst_lat = max(worst_lat, sum(lat[a] for _, _, a in path))
                worst_hops = max(worst_hops, len(path))
        out.append((True, frac, worst_lat, worst_hops))
    return out


def sweep_reference(graph, od_src, od_dst, demand_rows, states):
    """Per state: worst load per arc over samples (loop per sample), reachability, latency.

    Also returns the load of every arc in every sample, to check a reported cause.
    """
    n_arcs = graph.n_arcs
    results = []
    for st in states:
        routes = ecmp_fractions(graph, od_src, od_dst, st.links, st.nodes)
        worst = [0.0] * n_arcs
        worst_sample = [0] * n_arcs
        loads = []
        for k, row in enumerate(demand_rows):
            load = [0.0] * n_arcs
            for (ok, frac, _, _), d in zip(routes, row, strict=True):
                if ok:
                    for a, f in frac.items():
                        load[a] += d * f
            loads.append(load)
            for a in range(n_arcs):
                if k == 0 or load[a] > worst[a]:
                    worst[a], worst_sample[a] = load[a], k
        results.append(
            {
                "worst": worst,
                "sample": worst_sample,
                "reachable": [r[0] for r in routes],
                "latency": [r[2] for r in routes],
                "hops": [r[3] for r in routes],
                "loads": loads,
            }
        )
    return results
