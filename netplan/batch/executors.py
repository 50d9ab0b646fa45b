"""Executors a batch runs on: a local process pool whose workers die with it, in-process, Dask."""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from netplan.errors import RunError
from netplan.io.atomic import pid_alive

PR_SET_PDEATHSIG = 1  # linux/prctl.h
PARENT_CHECK_INTERVAL_S = 1.0


def _set_parent_death_signal(signum: int) -> bool:
    """Ask Linux to send ``signum`` when the parent ends; False where that is not possible."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int, interval_s: float) -> None:
    while True:
        time.sleep(interval_s)
        if os.getppid() != parent_pid:  # the parent died: this process was adopted
            os._exit(128 + signal.SIGTERM)


def end_with_parent(parent_pid: int | None = None,
                    interval_s: float = PARENT_CHECK_INTERVAL_S) -> None:
    """Worker initializer: end this worker when the process that started it dies.

    A worker of a killed batch (``kill -9``, an out-of-memory kill) would otherwise hold its
    memory and a core for minutes, waiting for tasks that never come. On Linux the kernel
    sends the worker SIGTERM when its parent ends (``PR_SET_PDEATHSIG``); everywhere a
    daemon thread also checks ``os.getppid()`` every ``interval_s`` and exits when the
    parent changed. The signal is tied to the thread that started the worker, so pools
    using it are started from a thread that lives as long as the pool (as
    :func:`netplan.batch.runner.run` does).

    Parameters
    ----------
    parent_pid : int, optional
        The pid of the process that made the pool; a worker that starts after it died
        exits at once. (With the ``forkserver`` start method the worker's parent is the
        fork server, which ends when that process does.)
    interval_s : float
        Seconds between the thread's checks.

    Examples
    --------
    >>> with process_pool(1) as pool:
    ...     pool.submit(pow, 2, 5).result()
    32
    """
    parent = os.getppid()
    if parent_pid is not None and parent != parent_pid and not pid_alive(parent_pid):
        os._exit(128 + signal.SIGTERM)
    _set_parent_death_signal(signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(128 + signal.SIGTERM)
    threading.Thread(target=_watch_parent, args=(parent, interval_s), daemon=True,
                     name="netplan-parent-watch").start()


def process_pool(workers: int) -> cf.ProcessPoolExecutor:
    """A local process pool of ``workers`` processes that end when this process dies.

    Examples
    --------
    >>> with process_pool(2) as pool:
    ...     sorted(pool.map(abs, [-1, -2]))
    [1, 2]
    """
    return cf.ProcessPoolExecutor(max_workers=workers, initializer=end_with_parent,
                                  initargs=(os.getpid(),))


class SerialExecutor(cf.Executor):
    """Runs every task at once, in this process (debugging, tiny batches, benchmarks).

    Examples
    --------
    >>> SerialExecutor().submit(pow, 2, 10).result()
    1024
    """

    def __init__(self) -> None:
        self._shutdown = False

    def submit(self, fn, /, *args, **kwargs) -> cf.Future:
        if self._shutdown:
            raise RuntimeError("cannot submit after shutdown")
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shutdown = True


@contextmanager
def dask_executor(
    scheduler: str | None = None, n_workers: int | None = None, threads_per_worker: int = 1
) -> Iterator[cf.Executor]:
    """A ``concurrent.futures`` executor on a Dask cluster (needs ``netplan[dask]``).

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``). Without it a
        ``LocalCluster`` of ``n_workers`` processes is started and stopped with the block.
    n_workers : int, optional
        Workers of the local cluster (default: one per core).
    threads_per_worker : int
        Threads per local worker; 1 suits the numpy-heavy stages.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise RunError("Dask is not installed: pip install 'netplan[dask]'") from None
    if scheduler:
        client = Client(scheduler)
        cluster = None
    else:
        cluster = LocalCluster(
            n_workers=n_workers or os.cpu_count() or 1,
            threads_per_worker=threads_per_worker,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    try:
        # pure=False: two variants never share a result, even with equal inputs.
        yield client.get_executor(pure=False)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
