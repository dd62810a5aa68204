"""A Dask cluster as a sweep's executor (the optional ``[dask]`` extra): local, or one at an address.

Dask distributed's client hands out a ``concurrent.futures``-shaped executor, so the sweep runs on it as
on the process pool; the journal, not the cluster, stays the record of what is done (a worker that is
lost and restarted may run a chunk twice, and the store keeps one record per content key).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

from emu.errors import ScenarioError
from emu.study.sweep_worker import one_blas_thread


@contextmanager
def dask_executor(address: str, workers: int | None = None) -> Iterator[Executor]:
    """An executor on a Dask cluster, closed on exit.

    Parameters
    ----------
    address
        ``local`` to start a cluster of worker processes on this machine (one thread each), or a
        scheduler address such as ``tcp://host:8786``.
    workers
        With ``local``: how many worker processes (default: the core count).
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ScenarioError(
            "--dask", "dask", address, "Dask distributed, which is not installed: pip install 'tinyemu[dask]'"
        ) from None
    if address == "local":
        import os

        count = workers or os.cpu_count() or 1
        cluster = LocalCluster(
            n_workers=count, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        )
        client = Client(cluster)
    else:
        if "://" not in address:
            raise ScenarioError(
                "--dask", "dask", address, "local, or a scheduler address like tcp://host:8786"
            )
        cluster = None
        try:
            client = Client(address, timeout=10)
        except (OSError, TimeoutError) as exc:
            raise ScenarioError("--dask", "dask", address, f"a reachable Dask scheduler ({exc})") from None
    try:
        client.run(one_blas_thread)  # each worker's BLAS to one thread, as in the process pool
        yield client.get_executor()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
