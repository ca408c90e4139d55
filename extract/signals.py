"""How a run stops: SIGINT and SIGTERM end it with one line and 130 / 143, and a dbt child is
stopped with it (nothing is left behind)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import IO, Any, TextIO

# SIGTERM (docker stop, Kubernetes, the scheduler, ``timeout``) ends a run like Ctrl-C does:
# the handler below raises KeyboardInterrupt for both (Python's own does so for SIGINT only)
# and remembers which signal it was, for the exit code (128 + signal) and the message.
# Inside dlt's normalize and load steps dlt's own handler takes over and stops at a safe point
# (SignalReceivedException carries the signal's number).
_stopped_by: list[int] = []
CHILD_GRACE_SECONDS = 30  # how long a dbt child may take to stop after the signal


def _on_signal(signum: int, frame: Any) -> None:
    _stopped_by.append(signum)
    if frame is not None and frame.f_code.co_name == "__del__":
        # Python prints and drops an exception raised inside a finalizer ("Exception
        # ignored in ... __del__"), so the run would go on: deliver the signal again once the
        # finalizer has returned
        threading.Timer(0.05, os.kill, (os.getpid(), signum)).start()
        return
    raise KeyboardInterrupt


def install_signal_handlers() -> None:
    import signal

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_signal)
        # SIGINT too: Python's own handler raises KeyboardInterrupt wherever the main thread
        # is, a finalizer included, where it is dropped (see _on_signal)
        signal.signal(signal.SIGINT, _on_signal)


def interrupted(cause: BaseException | None = None) -> int:
    """The one line of a run stopped by a signal; its exit code (130 SIGINT, 143 SIGTERM)."""
    import signal

    number = getattr(cause, "signal_code", None) or (_stopped_by[0] if _stopped_by else None)
    number = number or signal.SIGINT
    name = signal.Signals(number).name
    what = "interrupted" if number == signal.SIGINT else f"stopped by {name}"
    print(f"error: {what}; rerun to finish (loaded data and cursors stay consistent)",
          file=sys.stderr)  # fmt: skip
    return 128 + int(number)


def call_child(argv: Sequence[str], cwd: str, env: dict[str, str]) -> int:
    """Run a child (dbt) to its end, its output line by line through ``redact`` (a warehouse's
    error may repeat a credential); when this process is told to stop, pass the signal on and
    wait for the child to go (killing it after a grace period): nothing is left behind."""
    import signal

    process = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=1,
        text=True,
        errors="replace",
    )
    pumps = [
        threading.Thread(target=_pump, args=(stream, out), daemon=True)
        for stream, out in ((process.stdout, sys.stdout), (process.stderr, sys.stderr))
    ]
    for pump in pumps:
        pump.start()
    try:
        code = process.wait()
    except KeyboardInterrupt:
        if process.poll() is None:
            process.send_signal(_stopped_by[0] if _stopped_by else signal.SIGINT)
            try:
                process.wait(CHILD_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        raise
    finally:
        for pump in pumps:
            pump.join(timeout=5)
    return code


def _pump(stream: IO[str] | None, out: TextIO) -> None:
    """Copy a child's stream to ours, each line redacted, as it comes."""
    from extract.redact import redact

    if stream is None:
        return
    for line in stream:
        out.write(redact(line))
        out.flush()
