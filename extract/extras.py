"""The optional extras (pyproject's ``[project.optional-dependencies]``): the parts of ``elt``
that a plain install leaves out, and the one line that says how to add one.

``elt run``, ``check``, ``report`` and the scheduler need none of them: the sandbox (a fake
Harvest API for the demo and the tests), the benchmarks and dlt's dashboard bring their own
libraries. The image installs the ``sandbox`` extra, for its demo.
"""

from __future__ import annotations

import importlib.util

from extract.errors import ConfigError

# extra -> the modules that show it is installed
EXTRAS: dict[str, tuple[str, ...]] = {
    "sandbox": ("numpy",),
    "bench": ("psutil", "numpy"),
    "dashboard": ("marimo", "ibis", "dlthub"),
}


def require(extra: str, what: str) -> None:
    """Raise ``ConfigError`` (one line, exit 2) when ``extra`` is not installed."""
    missing = [module for module in EXTRAS[extra] if importlib.util.find_spec(module) is None]
    if missing:
        raise ConfigError(
            f"{what} needs the `{extra}` extra (missing: {', '.join(missing)}): "
            f"`uv sync --extra {extra}` (or `pip install '.[{extra}]'`; `make venv` installs "
            "it)"
        )
