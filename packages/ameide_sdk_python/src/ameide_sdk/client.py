from __future__ import annotations

import random as _random
import time
import urllib.request
import uuid
from functools import reduce
from typing import Any, Callable, Mapping, Optional, Sequence

from .config import DEFAULT_ENDPOINT, DEFAULT_RETRY_POLICY, DEFAULT_TIMEOUT, RetryPolicy
from .errors import AmeideError
from .interceptors import (
    Interceptor,
    Request,
    TokenProvider,
    Tracer,
    UnaryFn,
    auth_interceptor,
    metadata_interceptor,
    retry_interceptor,
    timeout_interceptor,
    tracing_interceptor,
)
from .transport import urllib_transport

#: The built-in chain, outermost first; user interceptors follow.
BUILTIN_INTERCEPTORS = ("metadata", "auth", "timeout", "retry", "tracing")


class AmeideClient:
    """Connect-style unary client: ``POST {base_url}/{service}/{method}`` with a JSON body.

    Chain: metadata -> auth -> timeout -> retry -> tracing -> ``interceptors`` -> HTTP.
    ``sleep``, ``random``, ``clock`` and ``request_id`` are seams for tests.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_ENDPOINT,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy = DEFAULT_RETRY_POLICY,
        tenant_id: Optional[str] = None,
        user_id: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
        token_provider: Optional[TokenProvider] = None,
        tracer: Optional[Tracer] = None,
        interceptors: Sequence[Interceptor] = (),
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
        clock: Callable[[], float] = time.monotonic,
        request_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
        if retry.max_attempts < 1:
            raise ValueError(f"retry.max_attempts must be >= 1, got {retry.max_attempts!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retry = retry
        self._closed = False
        # No ProxyHandler default change: urllib honours *_proxy / no_proxy like any consumer expects.
        opener = urllib.request.build_opener()
        chain = [
            metadata_interceptor(tenant_id, user_id, headers, request_id),
            auth_interceptor(token_provider),
            timeout_interceptor(clock),
            retry_interceptor(retry, sleep, random, clock),
            tracing_interceptor(tracer),
            *interceptors,
        ]
        self._call: UnaryFn = reduce(lambda nxt, wrap: wrap(nxt), reversed(chain), urllib_transport(clock, opener))

    @property
    def closed(self) -> bool:
        return self._closed

    def call(
        self,
        service: str,
        method: str,
        body: Any = None,
        *,
        headers: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
    ) -> Any:
        """Unary call; returns the decoded JSON response message. Raises AmeideError."""
        if self._closed:
            raise AmeideError("canceled", "the client is closed")
        req = Request(
            service=service,
            method=method,
            url=f"{self.base_url}/{service}/{method}",
            headers=dict(headers or {}),
            body=body,
            timeout=self.timeout if timeout is None else timeout,
        )
        return self._call(req).message

    def close(self) -> None:
        """Refuse new calls. Idempotent (urllib keeps no pooled connections to release)."""
        self._closed = True

    def __enter__(self) -> "AmeideClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
