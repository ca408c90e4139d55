"""The error an API request ends in: a status, a JSON body and extra headers."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(body.get("message", ""))
        self.status, self.body, self.headers = status, body, headers or {}


def validation_error(message: str, field_name: str) -> ApiError:
    return ApiError(
        422, {"message": "Validation error", "errors": [{"message": message, "field": field_name}]}
    )
