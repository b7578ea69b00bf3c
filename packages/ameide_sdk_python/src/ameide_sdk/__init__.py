"""Ameide Python SDK."""

from __future__ import annotations

from typing import Dict

from . import _build_info
from .client import BUILTIN_INTERCEPTORS, AmeideClient
from .config import DEFAULT_ENDPOINT, DEFAULT_RETRY_POLICY, DEFAULT_TIMEOUT, RETRYABLE_CODES, RetryPolicy
from .errors import AmeideError, code_from_http_status
from .interceptors import Interceptor, Request, Response, Span, TokenProvider, Tracer

__version__ = _build_info.VERSION


def build_info() -> Dict[str, str]:
    """Version and source git SHA, stamped at pack time ("0.0.0" / "unknown" in the workspace)."""
    return {"name": "ameide-sdk-python", "version": _build_info.VERSION, "git_sha": _build_info.GIT_SHA}


__all__ = [
    "AmeideClient",
    "AmeideError",
    "BUILTIN_INTERCEPTORS",
    "DEFAULT_ENDPOINT",
    "DEFAULT_RETRY_POLICY",
    "DEFAULT_TIMEOUT",
    "Interceptor",
    "RETRYABLE_CODES",
    "Request",
    "Response",
    "RetryPolicy",
    "Span",
    "TokenProvider",
    "Tracer",
    "build_info",
    "code_from_http_status",
    "__version__",
]
