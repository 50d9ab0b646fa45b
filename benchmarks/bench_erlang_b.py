"""Erlang-B on very large links: netplan against the plain recursion, in the same run.

Above 20,000 circuits :func:`netplan.sim.queueing.loss.erlang_b` takes the Poisson form
(regularised incomplete gamma) instead of the recursion ``E(n) = a E(n-1) / (n + a E(n-1))``,
which costs one step per circuit: a 10 Gbit/s link carrying 1 kbit/s streams has 10^7. The
reference here is that recursion written out in plain numpy, as netplan ran it before. Both
results are printed with their relative difference; times are the best of three.

Usage::

    python benchmarks/bench_erlang_b.py [--circuits 20001 100000 1000000 10000000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from netplan.sim.queueing.loss import erlang_b


def recursion(servers: int, offered_erlangs: float) -> float:
    """Erlang-B by the recursion over every circuit, on arrays as netplan ran it before."""
    c = np.array([servers])
    a = np.array([float(offered_erlangs)])
    b = np.ones(1)
    for n in range(1, servers + 1):
        b = np.where(n <= c, a * b / (n + a * b), b)
    return float(b[0])


def best_of(fn, *args, repeat: int = 3) -> tuple[float, float]:
    times, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn(*args)
        times.append(time.perf_counter() - start)
    return float(value), min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--circuits", type=int, nargs="+",
                        default=[20_001, 100_000, 1_000_000, 10_000_000])
    args = parser.parse_args(argv)
    print("| circuits | load (Erl) | blocking | netplan | recursion | ratio | relative difference |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for c in args.circuits:
        a = c - 2.0 * c ** 0.5  # a loaded link: blocking around 1e-3, well above underflow
        fast, t_fast = best_of(erlang_b, c, a)
        slow, t_slow = best_of(recursion, c, a, repeat=1 if c > 100_000 else 3)
        print(f"| {c:,} | {a:,.0f} | {fast:.4e} | {t_fast * 1e3:.2f} ms | {t_slow:.3f} s | "
              f"{t_slow / t_fast:,.0f}× | {abs(fast - slow) / slow:.1e} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
