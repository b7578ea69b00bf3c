from __future__ import annotations

import asyncio
import re
import socket
from pathlib import Path
from typing import Any, Dict, List

import pytest

import ameide_sdk
from ameide_sdk import (
    BUILTIN_INTERCEPTORS,
    DEFAULT_RETRY_POLICY,
    AmeideClient,
    AmeideError,
    RetryPolicy,
    build_info,
)


def connect_error(status: int, code: str) -> Dict[str, Any]:
    return {"status": status, "body": {"code": code, "message": f"{code} from server"}}


class Sleeps(list):
    """Records every backoff instead of waiting it out, so bounds are exact and tests fast."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


# --- defaults ---------------------------------------------------------------------------------


def test_defaults_match_configuration_and_have_no_localhost():
    c = AmeideClient()
    assert c.base_url == "https://api.ameide.io"
    assert c.timeout == 5.0
    assert c.retry == RetryPolicy(
        max_attempts=3,
        initial_backoff=0.25,
        multiplier=2.0,
        max_backoff=5.0,
        jitter_min=0.5,
        jitter_max=1.5,
        retryable_codes=frozenset({"unavailable", "deadline_exceeded", "aborted", "resource_exhausted"}),
    )


def test_refuses_a_base_url_that_is_not_http():
    with pytest.raises(ValueError, match="base_url must be an http"):
        AmeideClient("api.ameide.io")


def test_posts_json_to_service_method_and_returns_the_message(server):
    server.replies = [{"status": 200, "body": {"greeting": "hi"}}]
    res = AmeideClient(server.url + "/").call("ameide.v1.Greeter", "Greet", {"name": "x"})
    assert res == {"greeting": "hi", "attempt": 1}
    assert server.seen[0]["path"] == "/ameide.v1.Greeter/Greet"
    assert server.seen[0]["body"] == {"name": "x"}
    assert server.seen[0]["headers"]["content-type"] == "application/json"


# --- metadata ---------------------------------------------------------------------------------


def test_merges_tenant_user_client_and_call_headers_lower_cased_call_wins(server):
    c = AmeideClient(server.url, tenant_id="t-1", user_id="u-1", headers={"X-Client": "a", "X-Both": "client"})
    c.call("s", "m", {}, headers={"X-Both": "call", "X-CALL-Only": "c"})
    h = server.seen[0]["headers"]
    assert {k: h[k] for k in ("x-tenant-id", "x-user-id", "x-client", "x-both", "x-call-only")} == {
        "x-tenant-id": "t-1",
        "x-user-id": "u-1",
        "x-client": "a",
        "x-both": "call",
        "x-call-only": "c",
    }


def test_injects_x_request_id_when_missing_and_keeps_the_callers(server):
    c = AmeideClient(server.url)
    c.call("s", "m")
    c.call("s", "m", headers={"X-Request-ID": "given-id"})
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", server.seen[0]["headers"]["x-request-id"])
    assert server.seen[1]["headers"]["x-request-id"] == "given-id"


def test_keeps_one_request_id_across_retries(server):
    server.replies = [connect_error(503, "unavailable"), {"status": 200, "body": {}}]
    AmeideClient(server.url, sleep=Sleeps()).call("s", "m")
    assert len(server.seen) == 2
    assert server.seen[0]["headers"]["x-request-id"] == server.seen[1]["headers"]["x-request-id"]


# --- auth -------------------------------------------------------------------------------------


def test_bearer_token_from_a_sync_provider(server):
    AmeideClient(server.url, token_provider=lambda: "tok-sync").call("s", "m")
    assert server.seen[0]["headers"]["authorization"] == "Bearer tok-sync"


def test_bearer_token_from_an_async_provider(server):
    async def provider() -> str:
        await asyncio.sleep(0.005)
        return "tok-async"

    AmeideClient(server.url, token_provider=provider).call("s", "m")
    assert server.seen[0]["headers"]["authorization"] == "Bearer tok-async"


def test_async_provider_works_when_called_from_inside_an_event_loop(server):
    async def provider() -> str:
        return "tok-in-loop"

    async def main() -> Any:
        return AmeideClient(server.url, token_provider=provider).call("s", "m")

    asyncio.run(main())
    assert server.seen[0]["headers"]["authorization"] == "Bearer tok-in-loop"


@pytest.mark.parametrize("is_async", [False, True])
def test_provider_error_reaches_the_caller_and_nothing_is_sent(server, is_async):
    boom = RuntimeError("vault is sealed")

    def sync_provider() -> str:
        raise boom

    async def async_provider() -> str:
        raise boom

    c = AmeideClient(server.url, token_provider=async_provider if is_async else sync_provider)
    with pytest.raises(RuntimeError) as info:
        c.call("s", "m")
    assert info.value is boom
    assert server.seen == []


# --- timeout ----------------------------------------------------------------------------------


def test_times_out_with_deadline_exceeded_when_the_server_is_slow(server):
    import time

    server.replies = [{"status": 200, "body": {}, "delay": 1.0}]
    started = time.monotonic()
    with pytest.raises(AmeideError) as info:
        AmeideClient(server.url, timeout=0.2).call("s", "m")
    assert info.value.code == "deadline_exceeded"
    assert time.monotonic() - started < 0.9
    assert len(server.seen) == 1  # a local timeout is not retried


def test_per_call_timeout_wins_over_the_client_one(server):
    server.replies = [{"status": 200, "body": {}, "delay": 0.3}]
    assert AmeideClient(server.url, timeout=0.05).call("s", "m", timeout=3.0) == {"attempt": 1}


def test_deadline_covers_the_backoff_between_attempts(server):
    server.replies = [connect_error(503, "unavailable")]
    sleeps = Sleeps()
    c = AmeideClient(server.url, timeout=1.0, retry=RetryPolicy(initial_backoff=10.0, max_backoff=20.0), sleep=sleeps)
    with pytest.raises(AmeideError) as info:
        c.call("s", "m")
    assert info.value.code == "deadline_exceeded"
    assert isinstance(info.value.__cause__, AmeideError) and info.value.__cause__.code == "unavailable"
    assert len(server.seen) == 1
    assert sleeps == []


# --- retry ------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["unavailable", "deadline_exceeded", "aborted", "resource_exhausted"])
def test_retries_the_retryable_codes_then_succeeds(server, code):
    server.replies = [connect_error(503, code), connect_error(503, code), {"status": 200, "body": {"ok": True}}]
    sleeps = Sleeps()
    res = AmeideClient(server.url, sleep=sleeps, random=lambda: 0.5).call("s", "m")
    assert res == {"ok": True, "attempt": 3}
    assert len(server.seen) == 3
    assert sleeps == [0.25, 0.5]


def test_backoff_stays_within_the_jitter_bounds(server):
    server.replies = [connect_error(503, "unavailable")]
    low = Sleeps()
    with pytest.raises(AmeideError):
        AmeideClient(server.url, sleep=low, random=lambda: 0.0).call("s", "m")
    assert low == [0.125, 0.25]
    high = Sleeps()
    with pytest.raises(AmeideError):
        AmeideClient(server.url, sleep=high, random=lambda: 0.999999).call("s", "m")
    assert 0.374 < high[0] < 0.375 and 0.749 < high[1] < 0.75


def test_each_delay_is_capped(server):
    server.replies = [connect_error(503, "unavailable")]
    sleeps = Sleeps()
    c = AmeideClient(
        server.url, timeout=60, sleep=sleeps, random=lambda: 0.999, retry=RetryPolicy(max_attempts=6, initial_backoff=1.0)
    )
    with pytest.raises(AmeideError):
        c.call("s", "m")
    assert [round(s, 3) for s in sleeps] == [1.499, 2.998, 5.0, 5.0, 5.0]


def test_raises_the_last_attempts_own_error_after_max_attempts(server):
    server.replies = [connect_error(503, "unavailable")]
    with pytest.raises(AmeideError) as info:
        AmeideClient(server.url, sleep=Sleeps()).call("s", "m")
    assert len(server.seen) == 3
    assert (info.value.code, info.value.http_status, info.value.message) == ("unavailable", 503, "unavailable from server")


@pytest.mark.parametrize(
    "code,status", [("invalid_argument", 400), ("not_found", 404), ("permission_denied", 403), ("internal", 500)]
)
def test_non_retryable_codes_fail_fast(server, code, status):
    server.replies = [connect_error(status, code)]
    sleeps = Sleeps()
    with pytest.raises(AmeideError) as info:
        AmeideClient(server.url, sleep=sleeps).call("s", "m")
    assert (info.value.code, info.value.http_status) == (code, status)
    assert len(server.seen) == 1
    assert sleeps == []


def test_http_status_without_connect_body_is_mapped(server):
    server.replies = [{"status": 429, "text": "slow down"}]
    with pytest.raises(AmeideError) as info:
        AmeideClient(server.url, sleep=Sleeps()).call("s", "m")
    assert info.value.code == "unavailable" and len(server.seen) == 3
    server.reset()
    server.replies = [{"status": 404, "text": "no such route"}]
    with pytest.raises(AmeideError) as info:
        AmeideClient(server.url, sleep=Sleeps()).call("s", "m")
    assert info.value.code == "unimplemented" and len(server.seen) == 1


def test_a_refused_connection_is_retried_as_unavailable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleeps = Sleeps()
    with pytest.raises(AmeideError) as info:
        AmeideClient(f"http://127.0.0.1:{port}", sleep=sleeps).call("s", "m")
    assert info.value.code == "unavailable"
    assert len(sleeps) == 2


# --- order and tracing ------------------------------------------------------------------------


def test_builtin_chain_order():
    assert BUILTIN_INTERCEPTORS == ("metadata", "auth", "timeout", "retry", "tracing")


def test_interceptors_run_metadata_auth_timeout_retry_tracing_then_user(server):
    server.replies = [connect_error(503, "unavailable"), {"status": 200, "body": {}}]
    events: List[str] = []
    spans: List[Dict[str, Any]] = []

    class RecSpan:
        def __init__(self, rec: Dict[str, Any]) -> None:
            self.rec = rec

        def set_attribute(self, key: str, value: Any) -> None:
            self.rec["attributes"][key] = value

        def end(self, status: Dict[str, Any]) -> None:
            self.rec["status"] = dict(status)
            events.append(f"span-end:{status['code']}")

    class RecTracer:
        def start_span(self, name: str, attributes: Dict[str, Any]) -> RecSpan:
            rec = {"name": name, "attributes": dict(attributes)}
            spans.append(rec)
            events.append(f"span-start#{attributes['rpc.attempt']}")
            return RecSpan(rec)

    seen_by_user: List[Dict[str, str]] = []

    def user(label: str):
        def wrap(nxt):
            def run(req):
                events.append(f"{label}#{req.attempt}")
                seen_by_user.append(dict(req.headers))
                return nxt(req)

            return run

        return wrap

    def provider() -> str:
        events.append("auth")
        return "tok"

    c = AmeideClient(
        server.url,
        sleep=Sleeps(),
        tracer=RecTracer(),
        token_provider=provider,
        interceptors=[user("user-a"), user("user-b")],
    )
    c.call("ameide.v1.Greeter", "Greet", {}, headers={"X-Upper": "1"})

    # auth once per call (outside retry); one span per attempt (inside retry); user interceptors innermost.
    assert events == [
        "auth",
        "span-start#1",
        "user-a#1",
        "user-b#1",
        "span-end:unavailable",
        "span-start#2",
        "user-a#2",
        "user-b#2",
        "span-end:ok",
    ]
    assert seen_by_user[0]["x-upper"] == "1" and seen_by_user[0]["authorization"] == "Bearer tok"
    assert seen_by_user[0]["x-request-id"]
    assert spans[0]["name"] == "ameide.v1.Greeter/Greet"
    assert spans[0]["attributes"] == {
        "rpc.system": "connect_rpc",
        "rpc.service": "ameide.v1.Greeter",
        "rpc.method": "Greet",
        "rpc.attempt": 1,
        "rpc.status": "unavailable",
        "rpc.connect_rpc.error_code": "unavailable",
    }
    assert spans[0]["status"]["code"] == "unavailable"
    assert spans[1]["attributes"]["rpc.status"] == "ok"


# --- close and build info ---------------------------------------------------------------------


def test_close_refuses_new_calls(server):
    with AmeideClient(server.url) as c:
        c.call("s", "m")
    assert c.closed
    with pytest.raises(AmeideError) as info:
        c.call("s", "m")
    assert info.value.code == "canceled"
    assert len(server.seen) == 1


def test_build_info_is_the_workspace_placeholder():
    assert build_info() == {"name": "ameide-sdk-python", "version": "0.0.0", "git_sha": "unknown"}
    assert ameide_sdk.__version__ == "0.0.0"


def test_build_info_file_holds_exactly_the_two_lines_the_pack_step_rewrites():
    text = (Path(ameide_sdk.__file__).parent / "_build_info.py").read_text()
    assignments = [line for line in text.splitlines() if "=" in line and not line.startswith("#")]
    assert assignments == ['VERSION = "0.0.0"', 'GIT_SHA = "unknown"']


def test_build_info_reports_stamped_values(monkeypatch):
    monkeypatch.setattr(ameide_sdk._build_info, "VERSION", "1.2.3")
    monkeypatch.setattr(ameide_sdk._build_info, "GIT_SHA", "a" * 40)
    assert build_info() == {"name": "ameide-sdk-python", "version": "1.2.3", "git_sha": "a" * 40}
