"""Fetching from partners over HTTP trusts nothing: every case runs against a real HTTP server on
127.0.0.1 (a ThreadingHTTPServer on a random port) whose behaviour is chosen per path.

Waits between retries go to an injected `sleep` that only records them; real time passes only
where the deadline itself is under test (slow headers, slow body).
"""
from __future__ import annotations

import gzip
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import requests

from tourhub.check.problems import RULES
from tourhub.partners.http import FAMILIES, USER_AGENT, Endpoint, FetchError, fetch

MiB = 1024 * 1024
CSV = "scenic_area_id,date,visitors\nJZG-001,2026-10-01,41235\n乐山大佛,2026-10-01,38000\n".encode()
JSON = b'{"notices": [{"id": "N-1", "severity": "Severe"}]}'
TOKEN = "s3cret-partner-token"


# ---------------------------------------------------------------------------------------------
# The server


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        path = urlsplit(self.path).path
        self.server.seen.append(Seen(path, {k.lower(): v for k, v in self.headers.items()}))
        route = self.server.routes.get(path)
        try:
            if route is None:
                respond(self, 404, b"no such path", content_type="text/plain")
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True    # the client gave up first: expected in some tests

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}
        self.seen: list[Seen] = []

    def handle_error(self, request: object, client_address: object) -> None:
        pass    # a client hanging up mid-response is part of the tests


class Site:
    """The running server as tests see it: routes to set, requests to inspect."""

    def __init__(self, server: _Server) -> None:
        self._server = server
        self.port = server.server_address[1]

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def route(self, path: str) -> Callable:
        def register(handler: Callable[[BaseHTTPRequestHandler], None]):
            self._server.routes[path] = handler
            return handler
        return register

    def serve(self, path: str, status: int = 200, body: bytes = CSV, **kwargs) -> None:
        self._server.routes[path] = lambda h: respond(h, status, body, **kwargs)

    def seen(self, path: str | None = None) -> list[Seen]:
        return [s for s in self._server.seen if path is None or s.path == path]


def respond(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"", *,
            content_type: str | None = "text/csv; charset=utf-8",
            headers: dict[str, str] | None = None, length: int | None = None,
            framing: str = "length") -> None:
    """Send a whole response. framing: "length" (Content-Length, `length` may lie),
    "close" (no length, body ends when the connection closes) or "chunked"."""
    handler.send_response(status)
    if content_type:
        handler.send_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    if framing == "length":
        handler.send_header("Content-Length", str(len(body) if length is None else length))
    elif framing == "chunked":
        handler.send_header("Transfer-Encoding", "chunked")
    if framing == "close" or (length is not None and length != len(body)):
        handler.send_header("Connection", "close")
        handler.close_connection = True
    handler.end_headers()
    if framing == "chunked":
        for start in range(0, len(body), 8192):
            piece = body[start:start + 8192]
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        handler.wfile.write(b"0\r\n\r\n")
    else:
        handler.wfile.write(body)


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    httpd = _Server()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def site(server: _Server, monkeypatch: pytest.MonkeyPatch) -> Site:
    server.routes.clear()
    server.seen.clear()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)     # the requests must reach our server
    return Site(server)


@pytest.fixture
def sleeps() -> list[float]:
    return []


def endpoint(url: str, **overrides) -> Endpoint:
    # the server is on 127.0.0.1, so every endpoint here opts in (test_outbound_policy.py: the refusals)
    settings = {"format": "csv", "timeout_s": 1.0, "max_bytes": MiB, "retries": 0, "allow_private_network": True}
    settings.update(overrides)
    return Endpoint(url=url, **settings)


def failure(ep: Endpoint, sleeps: list[float], **kwargs) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(ep, sleep=sleeps.append, **kwargs)
    return caught.value


# ---------------------------------------------------------------------------------------------
# Success


def test_ok_csv_returns_the_body_and_the_validators(site, sleeps):
    site.serve("/visitors.csv", headers={"ETag": '"v7"',
                                         "Last-Modified": "Sat, 21 Nov 2026 02:00:00 GMT"})
    got = fetch(endpoint(site.url("/visitors.csv")), sleep=sleeps.append)
    assert got.status == 200
    assert got.body == CSV
    assert got.content_type == "text/csv; charset=utf-8"
    assert (got.etag, got.last_modified) == ('"v7"', "Sat, 21 Nov 2026 02:00:00 GMT")
    assert (got.attempts, got.wire_bytes) == (1, len(CSV))
    assert sleeps == []


@pytest.mark.parametrize("content_type",
                         ["application/json", "application/geo+json; charset=utf-8"])
def test_ok_json_accepts_json_and_plus_json_types(site, sleeps, content_type):
    site.serve("/notices.json", body=JSON, content_type=content_type)
    got = fetch(endpoint(site.url("/notices.json"), format="json"), sleep=sleeps.append)
    assert (got.status, got.body, got.etag) == (200, JSON, None)
    assert "application/json" in site.seen("/notices.json")[0].headers["accept"]


def test_etag_is_sent_as_if_none_match_and_304_gives_an_empty_body(site, sleeps):
    @site.route("/cached.csv")
    def cached(handler):
        if handler.headers.get("If-None-Match") == '"v7"':
            respond(handler, 304, headers={"ETag": '"v7"'}, content_type=None, framing="none")
        else:
            respond(handler, 200, CSV, headers={"ETag": '"v8"'})

    got = fetch(endpoint(site.url("/cached.csv"), etag='"v7"'), sleep=sleeps.append)
    assert (got.status, got.body, got.etag, got.wire_bytes) == (304, b"", '"v7"', 0)
    assert site.seen("/cached.csv")[0].headers["if-none-match"] == '"v7"'


def test_last_modified_is_sent_as_if_modified_since(site, sleeps):
    stamp = "Fri, 20 Nov 2026 12:00:00 GMT"

    @site.route("/since.csv")
    def since(handler):
        if handler.headers.get("If-Modified-Since") == stamp:
            respond(handler, 304, content_type=None, framing="none")
        else:
            respond(handler, 200, CSV)

    got = fetch(endpoint(site.url("/since.csv"), last_modified=stamp), sleep=sleeps.append)
    assert site.seen("/since.csv")[0].headers["if-modified-since"] == stamp
    assert (got.status, got.body, got.last_modified) == (304, b"", stamp)


def test_304_to_an_unconditional_request_is_http_status(site, sleeps):
    site.serve("/confused.csv", 304, b"", content_type=None, framing="none")
    error = failure(endpoint(site.url("/confused.csv")), sleeps)
    assert (error.code, error.retryable) == ("http-status", False)
    assert "304" in error.message_en


def test_token_is_sent_as_bearer_with_the_hub_headers(site, sleeps):
    site.serve("/private.csv")
    fetch(endpoint(site.url("/private.csv"), token=TOKEN), sleep=sleeps.append)
    headers = site.seen("/private.csv")[0].headers
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["accept"].startswith("text/csv")
    assert headers["accept-encoding"] == "gzip, deflate"
    assert headers["user-agent"] == USER_AGENT and USER_AGENT.startswith("bashu-travel-hub/")


def test_no_authorization_is_sent_without_a_token_even_if_netrc_has_one(site, sleeps, tmp_path,
                                                                        monkeypatch):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password leaked\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    site.serve("/public.csv")
    fetch(endpoint(site.url("/public.csv")), sleep=sleeps.append)
    assert "authorization" not in site.seen("/public.csv")[0].headers


def test_gzip_encoded_csv_is_decoded(site, sleeps):
    packed = gzip.compress(CSV)
    site.serve("/packed.csv", body=packed, headers={"Content-Encoding": "gzip"})
    got = fetch(endpoint(site.url("/packed.csv")), sleep=sleeps.append)
    assert (got.body, got.wire_bytes) == (CSV, len(packed))


@pytest.mark.parametrize("wbits", [15, -15], ids=["zlib-wrapped", "raw"])
def test_deflate_encoded_csv_is_decoded_with_or_without_the_zlib_header(site, sleeps, wbits):
    packer = zlib.compressobj(wbits=wbits)
    site.serve("/deflated.csv", body=packer.compress(CSV) + packer.flush(),
               headers={"Content-Encoding": "deflate"})
    assert fetch(endpoint(site.url("/deflated.csv")), sleep=sleeps.append).body == CSV


def test_same_host_redirect_is_followed_with_the_token(site, sleeps):
    site.serve("/old.csv", 301, b"", headers={"Location": "/new.csv"})
    site.serve("/new.csv")
    got = fetch(endpoint(site.url("/old.csv"), token=TOKEN), sleep=sleeps.append)
    assert (got.body, got.attempts) == (CSV, 1)
    assert [s.path for s in site.seen()] == ["/old.csv", "/new.csv"]
    assert all(s.headers["authorization"] == f"Bearer {TOKEN}" for s in site.seen())


def test_three_redirects_are_followed(site, sleeps):
    for n in (1, 2, 3):
        site.serve(f"/hop{n}", 302, b"", headers={"Location": site.url(f"/hop{n + 1}")})
    site.serve("/hop4")
    assert fetch(endpoint(site.url("/hop1")), sleep=sleeps.append).body == CSV


# ---------------------------------------------------------------------------------------------
# Time


def test_slow_headers_time_out_and_are_retried(site, sleeps):
    @site.route("/slow-headers.csv")
    def slow_headers(handler):
        time.sleep(0.6)
        respond(handler, 200, CSV)

    error = failure(endpoint(site.url("/slow-headers.csv"), timeout_s=0.25, retries=2), sleeps)
    assert (error.code, error.attempts, error.retryable) == ("timeout", 3, True)
    assert len(site.seen("/slow-headers.csv")) == 3
    assert sleeps == [0.5, 1.0]     # exponential backoff, recorded not waited
    assert "0.25" in error.message_zh and "0.25 s" in error.message_en


def test_slow_drip_body_hits_the_total_deadline(site, sleeps):
    @site.route("/drip.csv")
    def drip(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/csv")
        handler.send_header("Content-Length", "100")
        handler.end_headers()
        for _ in range(10):                 # 10 bytes every 0.3 s: 3 s for the whole body
            handler.wfile.write(b"a,b,c,d,e\n")
            handler.wfile.flush()
            time.sleep(0.3)

    started = time.monotonic()
    error = failure(endpoint(site.url("/drip.csv"), timeout_s=1.0), sleeps)
    elapsed = time.monotonic() - started
    assert (error.code, error.retryable, error.attempts) == ("timeout", True, 1)
    assert 0.9 <= elapsed < 2.0
    assert "1 秒" in error.message_zh and "1-second deadline" in error.message_en


def test_total_deadline_is_measured_with_the_injected_clock(site, sleeps):
    site.serve("/big.csv", body=CSV * 2000)
    ticks = iter([0.0, 0.0] + [100.0] * 50)    # the deadline passes before the first chunk
    error = failure(endpoint(site.url("/big.csv")), sleeps, clock=lambda: next(ticks))
    assert error.code == "timeout"


# ---------------------------------------------------------------------------------------------
# Connection and status


def test_connection_refused_is_a_retryable_connection_error(sleeps):
    with socket.socket() as probe:          # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = failure(endpoint(f"http://127.0.0.1:{port}/x.csv", retries=1), sleeps)
    assert (error.code, error.retryable, error.attempts) == ("connection", True, 2)
    assert sleeps == [0.5]
    assert "refused" in error.message_en.lower()


@pytest.mark.parametrize("status", [404, 401, 403])
def test_client_errors_are_http_status_after_one_attempt(site, sleeps, status):
    site.serve("/gone.csv", status, b"nope", content_type="text/plain")
    error = failure(endpoint(site.url("/gone.csv"), retries=2), sleeps)
    assert (error.code, error.attempts, error.retryable) == ("http-status", 1, False)
    assert str(status) in error.message_zh and str(status) in error.message_en
    assert sleeps == []


def test_500_then_200_succeeds_on_the_second_attempt(site, sleeps):
    calls = []

    @site.route("/flaky.csv")
    def flaky(handler):
        calls.append(1)
        respond(handler, 500 if len(calls) == 1 else 200, CSV)

    got = fetch(endpoint(site.url("/flaky.csv"), retries=2), sleep=sleeps.append)
    assert (got.status, got.body, got.attempts) == (200, CSV, 2)
    assert sleeps == [0.5]


def test_503_with_retry_after_seconds_waits_that_long(site, sleeps):
    calls = []

    @site.route("/busy.csv")
    def busy(handler):
        calls.append(1)
        if len(calls) == 1:
            respond(handler, 503, b"busy", content_type="text/plain", headers={"Retry-After": "1"})
        else:
            respond(handler, 200, CSV)

    got = fetch(endpoint(site.url("/busy.csv"), retries=2), sleep=sleeps.append)
    assert got.attempts == 2
    assert sleeps == [pytest.approx(1.0)]


def test_429_with_retry_after_http_date_waits_until_then(site, sleeps):
    calls = []

    @site.route("/limited.csv")
    def limited(handler):
        calls.append(1)
        if len(calls) == 1:
            later = formatdate(time.time() + 3, usegmt=True)
            respond(handler, 429, b"slow down", content_type="text/plain",
                    headers={"Retry-After": later})
        else:
            respond(handler, 200, CSV)

    got = fetch(endpoint(site.url("/limited.csv"), retries=1), sleep=sleeps.append)
    assert got.attempts == 2
    assert len(sleeps) == 1 and 2.0 <= sleeps[0] <= 4.0


def test_retry_after_is_capped_at_max_wait(site, sleeps):
    site.serve("/down.csv", 503, b"", content_type=None, headers={"Retry-After": "3600"})
    error = failure(endpoint(site.url("/down.csv"), retries=2, max_wait_s=5.0), sleeps)
    assert sleeps == [5.0, 5.0]
    assert (error.code, error.attempts, error.retryable) == ("http-status", 3, True)
    assert error.retry_after_s == 3600.0


# ---------------------------------------------------------------------------------------------
# Body integrity and size


def test_truncated_body_is_retryable_truncated(site, sleeps):
    site.serve("/cut.csv", body=CSV[:40], length=1000)     # promises 1000 bytes, sends 40, closes
    error = failure(endpoint(site.url("/cut.csv"), retries=1), sleeps)
    assert (error.code, error.retryable, error.attempts) == ("truncated", True, 2)
    assert "40 of 1000 bytes" in error.message_en and "只收到 40 字节" in error.message_zh


def test_incomplete_gzip_stream_is_truncated(site, sleeps):
    packed = gzip.compress(CSV * 50)
    site.serve("/half.csv.gz", body=packed[: len(packed) // 2],
               headers={"Content-Encoding": "gzip"})
    error = failure(endpoint(site.url("/half.csv.gz")), sleeps)
    assert (error.code, error.retryable) == ("truncated", True)
    assert "gzip" in error.message_en


def test_unrequested_content_encoding_is_refused(site, sleeps):
    site.serve("/brotli.csv", body=b"\x1b\x00", headers={"Content-Encoding": "br"})
    error = failure(endpoint(site.url("/brotli.csv"), retries=2), sleeps)
    assert (error.code, error.retryable, error.attempts) == ("decompress", False, 1)


def test_body_over_the_cap_with_content_length_is_refused_before_reading(site, sleeps):
    site.serve("/huge.csv", body=b"x" * 2000)
    error = failure(endpoint(site.url("/huge.csv"), max_bytes=1000), sleeps)
    assert (error.code, error.retryable) == ("too-large", False)
    assert "1000 字节上限" in error.message_zh and "1000-byte cap" in error.message_en
    assert "2000" in error.message_en


@pytest.mark.parametrize("framing", ["close", "chunked"])
def test_body_over_the_cap_without_content_length_is_too_large(site, sleeps, framing):
    site.serve("/endless.csv", body=b"y" * 300_000, framing=framing)
    error = failure(endpoint(site.url("/endless.csv"), max_bytes=100_000), sleeps)
    assert (error.code, error.retryable) == ("too-large", False)
    assert "响应超过 100000 字节上限" in error.message_zh
    assert "response exceeds the 100000-byte cap" in error.message_en


def test_gzip_bomb_is_stopped_at_the_cap_and_never_inflated_past_it(site, sleeps, monkeypatch):
    bomb = gzip.compress(bytes(10 * MiB), compresslevel=9)     # 10 MiB of zeros, ~10 KB packed
    assert len(bomb) < 20_000
    site.serve("/bomb.csv", body=bomb, headers={"Content-Encoding": "gzip"})

    calls: list[tuple[int, int]] = []       # (max_length asked, bytes produced) per call
    real = zlib.decompressobj

    class Recording:
        def __init__(self, *args, **kwargs):
            self._inner = real(*args, **kwargs)

        def decompress(self, data, max_length=0):
            out = self._inner.decompress(data, max_length)
            calls.append((max_length, len(out)))
            return out

        def __getattr__(self, name):
            return getattr(self._inner, name)

    monkeypatch.setattr(zlib, "decompressobj", Recording)
    cap = MiB
    tracemalloc.start()
    try:
        error = failure(endpoint(site.url("/bomb.csv"), max_bytes=cap), sleeps)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (error.code, error.retryable, error.attempts) == ("too-large", False, 1)
    assert "compression bomb" in error.message_en and "压缩炸弹" in error.message_zh
    assert calls and all(0 < asked <= cap + 1 for asked, _ in calls)
    assert sum(produced for _, produced in calls) <= cap + 1
    assert peak < 4 * cap                   # far below the 10 MiB the bomb would inflate to


# ---------------------------------------------------------------------------------------------
# Content type


def test_wrong_content_type_is_refused(site, sleeps):
    site.serve("/blob.csv", content_type="application/octet-stream")
    error = failure(endpoint(site.url("/blob.csv"), retries=2), sleeps)
    assert (error.code, error.retryable, error.attempts) == ("content-type", False, 1)
    assert "application/octet-stream" in error.message_en


def test_html_error_page_served_as_csv_with_200_is_html_page(site, sleeps):
    page = "\n  <!DOCTYPE html>\n<html><body><h1>系统维护中</h1></body></html>".encode()
    site.serve("/maintenance.csv", body=page)
    error = failure(endpoint(site.url("/maintenance.csv"), retries=2), sleeps)
    assert (error.code, error.retryable, error.attempts) == ("html-page", False, 1)


def test_text_html_header_is_html_page(site, sleeps):
    site.serve("/login", body=b"<p>please log in</p>", content_type="text/html; charset=utf-8")
    error = failure(endpoint(site.url("/login"), format="json"), sleeps)
    assert error.code == "html-page"


# ---------------------------------------------------------------------------------------------
# Redirects


def test_redirect_to_another_host_is_refused_and_the_token_stays_home(site, sleeps):
    # "localhost" reaches this very server, but it is another host: the redirect must not be
    # followed, so the server never sees a request with that Host header, token or not.
    site.serve("/moved.csv", 302, b"", headers={"Location": site.url("/data.csv", "localhost")})
    site.serve("/data.csv")
    error = failure(endpoint(site.url("/moved.csv"), token=TOKEN, retries=2), sleeps)
    assert (error.code, error.retryable, error.attempts) == ("redirect-host", False, 1)
    assert "localhost" in error.message_en
    assert [s.path for s in site.seen()] == ["/moved.csv"]
    assert all(s.headers["host"].startswith("127.0.0.1") for s in site.seen())


def test_redirect_loop_is_refused(site, sleeps):
    site.serve("/loop-a", 302, b"", headers={"Location": "/loop-b"})
    site.serve("/loop-b", 302, b"", headers={"Location": "/loop-a"})
    error = failure(endpoint(site.url("/loop-a"), retries=2), sleeps)
    assert (error.code, error.retryable, error.attempts) == ("redirect-loop", False, 1)
    assert [s.path for s in site.seen()] == ["/loop-a", "/loop-b"]


def test_a_fourth_redirect_is_refused(site, sleeps):
    for n in (1, 2, 3, 4):
        site.serve(f"/hop{n}", 302, b"", headers={"Location": f"/hop{n + 1}"})
    site.serve("/hop5")
    error = failure(endpoint(site.url("/hop1")), sleeps)
    assert error.code == "redirect-loop"
    assert len(site.seen()) == 4


# ---------------------------------------------------------------------------------------------
# TLS and request options


def test_tls_failure_is_tls_and_not_retried(site, sleeps):
    # https:// to our plain-HTTP port: the handshake fails, a real TLS error without a cert.
    error = failure(endpoint(f"https://127.0.0.1:{site.port}/x.csv", retries=2), sleeps)
    assert (error.code, error.retryable, error.attempts) == ("tls", False, 1)


def test_requests_keep_tls_verification_on_and_redirects_off(site, sleeps):
    recorded = {}

    class Recording(requests.Session):
        def request(self, method, url, **kwargs):
            recorded.update(kwargs)
            return super().request(method, url, **kwargs)

    site.serve("/opts.csv")
    with Recording() as session:
        session.verify = False              # a careless caller: fetch turns it back on
        fetch(endpoint(site.url("/opts.csv"), timeout_s=0.7), session=session,
              sleep=sleeps.append)
    assert recorded["verify"] is True
    assert (recorded["stream"], recorded["allow_redirects"]) == (True, False)
    assert recorded["timeout"] == (0.7, 0.7)


# ---------------------------------------------------------------------------------------------
# The API itself


def test_endpoint_repr_hides_the_token():
    assert TOKEN not in repr(endpoint("https://partner.example/x.csv", token=TOKEN))


@pytest.mark.parametrize("bad", [{"format": "xml"}, {"timeout_s": 0}, {"max_bytes": 0},
                                 {"retries": -1}, {"token": "abc\r\nX-Evil: 1"},
                                 {"etag": '"v1"\n'}])
def test_endpoint_refuses_bad_settings(bad):
    with pytest.raises(ValueError):
        endpoint("https://partner.example/x.csv", **bad)


def test_non_http_url_is_bad_url(sleeps):
    error = failure(endpoint("file:///etc/passwd"), sleeps)
    assert (error.code, error.retryable) == ("bad-url", False)


def test_every_fetch_message_is_in_the_one_catalogue_in_chinese_and_english():
    fetch_rules = [rule for code, rule in RULES.items() if code.startswith("fetch-") and rule.detail_zh]
    assert len(fetch_rules) >= 25
    for rule in fetch_rules:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in rule.detail_zh), rule.code
        assert rule.detail_en and not any("\u4e00" <= ch <= "\u9fff" for ch in rule.detail_en), rule.code
        assert any(rule.code.removeprefix("fetch-").startswith(kind) for kind in FAMILIES + ("token",)), rule.code
