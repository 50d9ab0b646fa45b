"""Executors a batch can run on besides the standard pools: in-process and Dask."""

from __future__ import annotations

import concurrent.futures as cf
import os
from collections.abc import Iterator
from contextlib import contextmanager

from netplan.errors import RunError


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
