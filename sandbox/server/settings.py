"""What a sandbox server is configured with: credentials, token style, rate limit, faults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from sandbox.process import DEFAULT_API_TOKEN, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from sandbox.server.faults import Faults


def env_default(name: str, default: str) -> str:
    return os.environ.get(name) or default


@dataclass
class Settings:
    api_token: str = field(
        default_factory=lambda: env_default("SANDBOX_API_TOKEN", DEFAULT_API_TOKEN)
    )
    client_id: str = field(
        default_factory=lambda: env_default("SANDBOX_CLIENT_ID", DEFAULT_CLIENT_ID)
    )
    client_secret: str = field(
        default_factory=lambda: env_default("SANDBOX_CLIENT_SECRET", DEFAULT_CLIENT_SECRET)
    )
    token_lifetime: int = 3600  # seconds
    token_expiry: str = "expires_in"  # token response: expires_in | expires_at | both
    rate_limit: int = 0  # requests per window; 0 = unlimited
    rate_window: float = 10.0  # seconds
    rate_mode: str = "fixed"  # fixed | sliding (see sandbox.server.limits)
    host: str = "127.0.0.1"
    port: int = 0
    faults: Faults = field(default_factory=Faults)
