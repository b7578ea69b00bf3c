from __future__ import annotations

from typing import Any, Optional

_STATUS_TO_CODE = {
    400: "internal",
    401: "unauthenticated",
    403: "permission_denied",
    404: "unimplemented",
    408: "deadline_exceeded",
    409: "aborted",
    429: "unavailable",
    502: "unavailable",
    503: "unavailable",
    504: "unavailable",
}


def code_from_http_status(status: int) -> str:
    """Connect's mapping for responses that carry no error JSON of their own."""
    return _STATUS_TO_CODE.get(status, "unknown")


class AmeideError(Exception):
    """The error a call raises (token provider errors excepted: they reach the caller as raised)."""

    def __init__(self, code: str, message: str, http_status: Optional[int] = None, details: Any = None) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message
        self.http_status = http_status
        self.details = details
