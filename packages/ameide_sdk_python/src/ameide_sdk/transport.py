"""Connect unary over HTTP with JSON, on urllib (stdlib only)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Callable

from .errors import AmeideError, code_from_http_status
from .interceptors import Request, Response, UnaryFn


def _connect_error(status: int, raw: bytes) -> AmeideError:
    text = raw.decode("utf-8", "replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("code"), str):
        return AmeideError(parsed["code"], str(parsed.get("message", "")), status, parsed.get("details"))
    return AmeideError(code_from_http_status(status), text or f"HTTP {status}", status)


def urllib_transport(clock: Callable[[], float], opener: urllib.request.OpenerDirector) -> UnaryFn:
    def send(req: Request) -> Response:
        remaining = req.timeout if req.deadline is None else req.deadline - clock()
        if remaining <= 0:
            raise AmeideError("deadline_exceeded", f"{req.service}/{req.method} timed out after {req.timeout}s")
        headers = {**req.headers, "content-type": "application/json", "connect-protocol-version": "1"}
        data = json.dumps({} if req.body is None else req.body).encode("utf-8")
        http_req = urllib.request.Request(req.url, data=data, headers=headers, method="POST")
        try:
            with opener.open(http_req, timeout=remaining) as res:
                status, res_headers, raw = res.status, dict(res.headers.items()), res.read()
        except urllib.error.HTTPError as err:
            with err:
                raise _connect_error(err.code, err.read()) from None
        except (socket.timeout, TimeoutError) as err:
            raise AmeideError("deadline_exceeded", f"{req.service}/{req.method} timed out after {req.timeout}s") from err
        except urllib.error.URLError as err:
            if isinstance(err.reason, (socket.timeout, TimeoutError)):
                raise AmeideError("deadline_exceeded", f"{req.service}/{req.method} timed out after {req.timeout}s") from err
            raise AmeideError("unavailable", f"cannot reach {req.url}: {err.reason}") from err
        except OSError as err:  # connection reset mid-response and the like
            raise AmeideError("unavailable", f"{req.url}: {err}") from err
        try:
            message = json.loads(raw) if raw else {}
        except ValueError as err:
            raise AmeideError("internal", f"response of {req.url} is not JSON", status) from err
        return Response(status=status, headers={k.lower(): v for k, v in res_headers.items()}, message=message)

    return send
