"""The built-in interceptors. An interceptor wraps the next function: `(next) -> (request) -> Response`."""

from __future__ import annotations

import asyncio
import inspect
import threading
import uuid
from dataclasses import dataclass, replace
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Protocol, Union

from .config import RetryPolicy
from .errors import AmeideError


@dataclass(frozen=True)
class Request:
    """One unary call as it travels through the chain. Header keys are lower-case."""

    service: str
    method: str
    url: str
    headers: Dict[str, str]
    body: Any
    timeout: float  # seconds for the whole call
    deadline: Optional[float] = None  # clock() value, set by the timeout interceptor
    attempt: int = 1  # set by the retry interceptor


@dataclass(frozen=True)
class Response:
    status: int
    headers: Dict[str, str]
    message: Any


UnaryFn = Callable[[Request], Response]
Interceptor = Callable[[UnaryFn], UnaryFn]
TokenProvider = Callable[[], Union[str, Awaitable[str]]]


class Span(Protocol):
    def set_attribute(self, key: str, value: Any) -> None: ...

    def end(self, status: Mapping[str, Any]) -> None: ...


class Tracer(Protocol):
    """The tracing hook: adapt OpenTelemetry (or anything) to this; the SDK depends on no tracer."""

    def start_span(self, name: str, attributes: Mapping[str, Any]) -> Span: ...


def lower_keys(headers: Optional[Mapping[str, str]]) -> Dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (headers or {}).items()}


def metadata_interceptor(
    tenant_id: Optional[str] = None,
    user_id: Optional[str] = None,
    headers: Optional[Mapping[str, str]] = None,
    request_id: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> Interceptor:
    """Tenant, user and client headers under the call's own (the call wins); x-request-id when missing."""
    fixed = lower_keys(headers)
    if tenant_id:
        fixed["x-tenant-id"] = tenant_id
    if user_id:
        fixed["x-user-id"] = user_id

    def wrap(nxt: UnaryFn) -> UnaryFn:
        def run(req: Request) -> Response:
            merged = {**fixed, **lower_keys(req.headers)}
            if not merged.get("x-request-id"):
                merged["x-request-id"] = request_id()
            return nxt(replace(req, headers=merged))

        return run

    return wrap


def _await_blocking(awaitable: Awaitable[str]) -> str:
    async def wait() -> str:
        return await awaitable

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(wait())
    # Called from inside an event loop: run the coroutine on its own loop in a helper thread.
    box: Dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(wait())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    t = threading.Thread(target=target, name="ameide-token-provider")
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def auth_interceptor(token_provider: Optional[TokenProvider]) -> Interceptor:
    """Authorization: Bearer <token>, asked once per call (retries reuse it). Provider errors propagate."""

    def wrap(nxt: UnaryFn) -> UnaryFn:
        def run(req: Request) -> Response:
            if token_provider is None:
                return nxt(req)
            token = token_provider()
            if inspect.isawaitable(token):
                token = _await_blocking(token)
            if not token:
                raise AmeideError("unauthenticated", "the token provider returned an empty token")
            return nxt(replace(req, headers={**req.headers, "authorization": f"Bearer {token}"}))

        return run

    return wrap


def timeout_interceptor(clock: Callable[[], float]) -> Interceptor:
    """One deadline for the whole call, retries and backoff included."""

    def wrap(nxt: UnaryFn) -> UnaryFn:
        def run(req: Request) -> Response:
            return nxt(replace(req, deadline=clock() + req.timeout))

        return run

    return wrap


def retry_interceptor(
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    random: Callable[[], float],
    clock: Callable[[], float],
) -> Interceptor:
    """Exponential backoff with jitter on the policy's codes only; the last attempt's error is raised as is."""

    def wrap(nxt: UnaryFn) -> UnaryFn:
        def run(req: Request) -> Response:
            attempt = 1
            while True:
                try:
                    return nxt(replace(req, attempt=attempt))
                except AmeideError as err:
                    if err.code not in policy.retryable_codes or attempt >= policy.max_attempts:
                        raise
                    delay = policy.delay(attempt, random())
                    if req.deadline is not None and clock() + delay >= req.deadline:
                        if clock() >= req.deadline:
                            raise  # the deadline itself ran out: nothing left to retry in
                        raise AmeideError(
                            "deadline_exceeded",
                            f"{req.service}/{req.method}: the next retry would start after the {req.timeout}s deadline",
                        ) from err
                    sleep(delay)
                    attempt += 1

        return run

    return wrap


def tracing_interceptor(tracer: Optional[Tracer]) -> Interceptor:
    """One span per attempt, named `service/method`, with OpenTelemetry rpc.* attributes."""

    def wrap(nxt: UnaryFn) -> UnaryFn:
        def run(req: Request) -> Response:
            if tracer is None:
                return nxt(req)
            span = tracer.start_span(
                f"{req.service}/{req.method}",
                {
                    "rpc.system": "connect_rpc",
                    "rpc.service": req.service,
                    "rpc.method": req.method,
                    "rpc.attempt": req.attempt,
                },
            )
            try:
                res = nxt(req)
            except BaseException as err:
                code = err.code if isinstance(err, AmeideError) else "unknown"
                span.set_attribute("rpc.status", code)
                span.set_attribute("rpc.connect_rpc.error_code", code)
                span.end({"code": code, "message": str(err)})
                raise
            span.set_attribute("rpc.status", "ok")
            span.end({"code": "ok"})
            return res

        return run

    return wrap
