"""One run at a time per pipeline and per destination dataset.

Two runs on the same dlt working dir (or the same dataset) corrupt each other: dlt moves the
files of one run's normalize folder while the other reads them. Every run therefore holds an
exclusive ``flock`` on two lock files in the pipelines dir: one named after the pipeline (its
working dir) and one after the destination identity + dataset (two pipelines dirs, or a v1 and
a v3 pipeline, writing the same tables). ``flock`` belongs to the open file: the kernel releases
it when the process ends however it ends (``kill -9`` included), so a lock is never stale. The
files stay behind (removing one would race with a run opening it); their content, the holder's
PID and start time, is only for the message a second run prints.

Lock files are local: two containers or hosts with their own pipelines dirs do not see each
other's. On PostgreSQL the run therefore also holds a session advisory lock on the dataset, on
a connection of its own (``destination_lock``): the server releases it when that connection
ends, a killed run included. Snowflake, BigQuery and DuckDB have no such lock here: a DuckDB
file admits one writing process at a time by itself; two hosts writing one Snowflake or BigQuery
dataset must be kept apart by their scheduler (docs/extract.md).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from extract.errors import ConfigError, ExtractError

LOCK_BUSY_PREFIX = "another run (PID"  # the scheduler recognises a skipped run by this text


class RunInProgressError(ExtractError):
    """Another run holds the lock of this pipeline or dataset; this one changed nothing."""

    exit_code = 2


# Lock files this process holds (path -> fd): `elt run` takes them for the extract and keeps
# them through the transform; taking one again in the same process is a no-op.
_HELD: dict[str, int] = {}


def pipelines_dir(configured: str | None) -> Path:
    if configured:
        return Path(configured).expanduser()
    from dlt.common.pipeline import get_dlt_pipelines_dir

    return Path(get_dlt_pipelines_dir())


def lock_paths(directory: Path, pipeline_name: str, identity: str, dataset: str) -> list[Path]:
    digest = hashlib.sha256(f"{identity}\0{dataset}".encode()).hexdigest()[:16]
    return [directory / f"{pipeline_name}.lock", directory / f"dataset-{digest}.lock"]


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode(errors="replace").split()
    except OSError:
        text = []
    pid = text[0] if text else "?"
    since = text[1] if len(text) > 1 else "an unknown time"
    return f"{LOCK_BUSY_PREFIX} {pid}) is in progress since {since}"


@contextmanager
def _one(path: Path, what: str) -> Iterator[None]:
    key = str(path.resolve())
    if key in _HELD:
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by child processes
    except OSError as exc:
        raise ConfigError(
            f"cannot create the run's lock file {path} ({exc.strerror}); set "
            "GREENHOUSE_PIPELINES_DIR to a writable directory"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise RunInProgressError(
            f"{holder} on {what}; this run changed nothing: wait for it to finish "
            "(or stop it) and run again"
        ) from None
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()} {stamp}\n".encode(), 0)
    _HELD[key] = fd
    try:
        yield
    finally:
        del _HELD[key]
        os.close(fd)  # releases the lock


@contextmanager
def run_lock(
    configured_dir: str | None, pipeline_name: str, identity: str, dataset: str
) -> Iterator[None]:
    """Hold the locks of this pipeline and dataset, or raise ``RunInProgressError``."""
    directory = pipelines_dir(configured_dir)
    pipeline_path, dataset_path = lock_paths(directory, pipeline_name, identity, dataset)
    with ExitStack() as stack:
        stack.enter_context(_one(pipeline_path, f"pipeline {pipeline_name}"))
        stack.enter_context(_one(dataset_path, f"dataset {dataset} of {identity}"))
        yield


# The first key of this project's PostgreSQL advisory locks (the second: the dataset's hash).
ADVISORY_CLASS = 7315
_HELD_ON_SERVER: set[str] = set()


@contextmanager
def destination_lock(plan: Any, dataset: str) -> Iterator[None]:
    """On PostgreSQL, hold the dataset's advisory lock for the run, or raise
    ``RunInProgressError`` naming the holder (its PID, host and start time, which it publishes
    as its connection's ``application_name``). Other destinations: nothing to hold."""
    if not plan.identity.startswith("postgres:"):
        yield
        return
    key = f"{plan.identity} {dataset}"
    if key in _HELD_ON_SERVER:
        yield
        return
    from extract.destinations import sql_client

    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    me = f"greenhouse-elt {os.getpid()} {socket.gethostname()} {stamp}"[:63]
    with sql_client(plan, dataset) as client:
        client.execute_sql("select set_config('application_name', %s, false)", me)
        rows = client.execute_sql(
            "select pg_try_advisory_lock(%s, hashtext(%s))", ADVISORY_CLASS, key
        )
        if not (rows and rows[0][0]):
            raise RunInProgressError(
                f"{_server_holder(client, key)} on dataset {dataset} of {plan.identity} (held in "
                "PostgreSQL: another host or pipelines dir); this run changed nothing: wait for "
                "it to finish (or stop it) and run again"
            )
        _HELD_ON_SERVER.add(key)
        try:
            yield
        finally:
            _HELD_ON_SERVER.discard(key)  # closing the connection releases the lock


def _server_holder(client: Any, key: str) -> str:
    rows = client.execute_sql(
        "select a.application_name from pg_locks l join pg_stat_activity a on a.pid = l.pid"
        " where l.locktype = 'advisory' and l.granted and l.classid = %s"
        " and l.objid = hashtext(%s)::oid",
        ADVISORY_CLASS,
        key,
    )
    words = str(rows[0][0]).split() if rows else []
    if len(words) == 4 and words[0] == "greenhouse-elt":
        return f"{LOCK_BUSY_PREFIX} {words[1]} on {words[2]}) is in progress since {words[3]}"
    return f"{LOCK_BUSY_PREFIX} unknown) is in progress"
