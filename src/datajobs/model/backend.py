"""Where the model fits run: joblib on this machine, or joblib's Dask backend on a cluster.

A scheduler is an address (``tcp://10.0.0.5:8786``, from ``dask scheduler`` or any Dask
deployment) or ``"local"``, a :class:`distributed.LocalCluster` of two worker processes on
127.0.0.1. ``DATAJOBS_DASK_SCHEDULER`` gives the default. Workers need ``datajobs`` installed
(``pip install -e ".[scale]"``) at the same version as the client. Requires the ``scale`` extra.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from datajobs.errors import DatajobsError

SCHEDULER_VARIABLE = "DATAJOBS_DASK_SCHEDULER"
LOCAL_WORKERS = 2


class ScaleError(DatajobsError, RuntimeError):
    """Dask is not installed or the scheduler cannot be reached."""


def default_scheduler() -> str | None:
    """The scheduler of ``DATAJOBS_DASK_SCHEDULER``, or None (run on this machine)."""
    return os.environ.get(SCHEDULER_VARIABLE) or None


@dataclass
class Cluster:
    """A connected Dask client and the size of its cluster."""

    client: object
    workers: int
    threads: int


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise ScaleError("Dask is not installed: pip install -e \".[scale]\" (dask, distributed)") from None
    return distributed


@contextmanager
def dask_client(scheduler: str) -> Iterator[Cluster]:
    """A client of ``scheduler`` (an address or ``"local"``), closed on exit."""
    distributed = _import_distributed()
    cluster = None
    try:
        if scheduler == "local":
            cluster = distributed.LocalCluster(n_workers=LOCAL_WORKERS, threads_per_worker=1, processes=True,
                                               host="127.0.0.1", dashboard_address=None)
            client = distributed.Client(cluster)
        else:
            client = distributed.Client(scheduler, timeout="30s")
    except OSError as error:
        if cluster is not None:
            cluster.close()
        raise ScaleError(f"cannot reach the Dask scheduler {scheduler!r} ({error})") from None
    try:
        info = client.scheduler_info()["workers"]
        threads = min((worker["nthreads"] for worker in info.values()), default=1)
        yield Cluster(client, max(1, len(info)), max(1, threads))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@contextmanager
def joblib_backend(scheduler: str | None = None) -> Iterator[Cluster | None]:
    """Run the joblib ``Parallel`` calls inside on the Dask cluster of ``scheduler`` (or of
    ``DATAJOBS_DASK_SCHEDULER``); without one, yield None and leave joblib as it is."""
    scheduler = scheduler or default_scheduler()
    if not scheduler:
        yield None
        return
    import joblib

    with dask_client(scheduler) as cluster, joblib.parallel_config(backend="dask"):
        yield cluster
