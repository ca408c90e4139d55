"""One run at a time per pipeline and per destination dataset.

Two runs on the same dlt working dir (or the same dataset) corrupt each other: dlt moves the
files of one run's normalize folder while the other reads them. Every run therefore holds an
exclusive ``flock`` on two lock files in the pipelines dir: one named after the pipeline (its
working dir) and one after the destination identity + dataset (two pipelines dirs, or a v1 and
a v3 pipeline, writing the same tables). ``flock`` belongs to the open file: the kernel releases
it when the process ends however it ends (``kill -9`` included), so a lock is never stale. The
files stay behind (removing one would race with a run opening it); their content, the holder's
PID and start time, is only for the message a second run prints.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

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
