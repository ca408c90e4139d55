"""deploy/build-image.sh (make image) refuses bad settings in one line before building anything."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.deploy.helpers import ROOT

SCRIPT = ROOT / "deploy" / "build-image.sh"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"CA_BUNDLE": "/nonexistent/bundle.pem"},
            "error: CA_BUNDLE=/nonexistent/bundle.pem is not a readable, non-empty PEM file;"
            " point it at your CA bundle or unset it",
        ),
        ({"IMAGE_ENGINE": "containerd"}, "error: IMAGE_ENGINE=containerd: use docker or podman"),
    ],
    ids=["missing-ca-bundle", "unknown-engine"],
)
def test_a_bad_setting_is_one_line_and_exit_code_2(settings: dict[str, str], message: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("CA_BUNDLE", "IMAGE_ENGINE")}
    result = subprocess.run(
        [str(SCRIPT), "localhost/greenhouse-elt:never-built"],
        env={**env, **settings},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == message
    assert result.stdout == ""
