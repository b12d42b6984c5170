"""A partner URL cannot reach the hub's own network: every connection fetch makes (first request,
each redirect hop, each retry) resolves the host itself and goes only to a public address, unless
the source opts in with `allow_private_network` (the demo and these tests, on 127.0.0.1); cloud
metadata stays out of reach even then. And whatever a partner sends back reaches a message only as
a short excerpt with its control characters escaped.

The partners are real HTTP servers on 127.0.0.1. While a test runs, an audit hook records every
address a socket connects to and refuses any that is not loopback, before a packet leaves: no
test ever reaches the internet, and a test can prove that nothing was even tried.
"""
from __future__ import annotations

import ipaddress
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import ROOT, make_project
from tourhub.check.problems import format_json, format_text
from tourhub.partners.fetch import fetch_all
from tourhub.partners.http import Endpoint, FetchError, fetch

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
GOOD = (b"spot_id,observed_at,window,count,method\n"
        b"huayingshan,2026-11-20T15:00:00+08:00,daily,1200,gate-count\n")
PUBLIC = "93.184.215.14"        # some public address: the audit hook never lets a socket reach it
RAW_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


# ---------------------------------------------------------------------------------------------
# Watching connections


_WATCHING: list[list[tuple]] = []


def _audit(event: str, args: tuple) -> None:
    if event != "socket.connect" or not _WATCHING or not isinstance(args[1], tuple):
        return
    _WATCHING[-1].append(args[1][:2])
    try:
        loopback = ipaddress.ip_address(args[1][0]).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConnectionRefusedError(f"test: no connection to {args[1][0]} (only loopback in tests)")


sys.addaudithook(_audit)


@pytest.fixture
def connects() -> Iterator[list[tuple]]:
    """The (address, port) of every socket connect during the test; anything but loopback is refused."""
    seen: list[tuple] = []
    _WATCHING.append(seen)
    yield seen
    _WATCHING.remove(seen)


# ---------------------------------------------------------------------------------------------
# The partner


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.0: the connection closes after each response, so every hop needs a new one."""

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self.server.requests.append(self.path)
        status, headers, body = self.server.routes.get(self.path, (404, {"Content-Type": "text/plain"}, b"no"))
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class Partner(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.port = self.server_address[1]
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {"/data.csv": (200, {"Content-Type": "text/csv"},
                                                                                   GOOD)}
        self.requests: list[str] = []
        self.connections = 0

    def process_request(self, request, client_address) -> None:
        self.connections += 1           # every connection accepted, a request sent on it or not
        super().process_request(request, client_address)

    def url(self, path: str = "/data.csv", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


@pytest.fixture
def partner(monkeypatch: pytest.MonkeyPatch) -> Iterator[Partner]:
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = Partner()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def endpoint(url: str, **settings) -> Endpoint:
    return Endpoint(url=url, **{"format": "csv", "timeout_s": 5.0, "max_bytes": 100_000, "retries": 0, **settings})


def refusal(ep: Endpoint, **options) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(ep, sleep=lambda seconds: None, **options)
    return caught.value


class Answers:
    """A resolver (socket.getaddrinfo's signature) that answers each lookup with the next
    address of its list, the last one from then on: a DNS answer that changes."""

    def __init__(self, *addresses: str | tuple[str, ...]) -> None:
        self.addresses = list(addresses)
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int, family: int = 0, kind: int = 0, *rest: int) -> list[tuple]:
        answer = self.addresses[min(len(self.lookups), len(self.addresses) - 1)]
        self.lookups.append(host)
        return [_info(address, port) for address in ((answer,) if isinstance(answer, str) else answer)]


def _info(address: str, port: int) -> tuple:
    if ":" in address:
        return (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))


# ---------------------------------------------------------------------------------------------
# The policy, address by address


# address, allowed without the opt-in, allowed with it
ADDRESSES = [
    ("8.8.8.8", True, True),
    ("2606:4700:4700::1111", True, True),
    ("::ffff:8.8.8.8", True, True),             # IPv4-mapped public address
    ("64:ff9b::808:808", True, True),           # NAT64 of a public address (IPv6-only networks)
    ("2002:808:808::1", True, True),            # 6to4 of a public address
    ("127.0.0.1", False, True),
    ("127.8.9.10", False, True),
    ("::1", False, True),
    ("10.0.0.1", False, True),
    ("172.16.5.4", False, True),
    ("192.168.1.1", False, True),
    ("100.64.0.1", False, True),                # carrier-grade NAT
    ("fc00::1", False, True),
    ("fd12:3456::1", False, True),
    ("192.0.2.1", False, True),                 # documentation
    ("198.51.100.7", False, True),
    ("203.0.113.9", False, True),
    ("2001:db8::1", False, True),
    ("3fff::1", False, True),
    ("198.18.0.1", False, True),                # benchmarking
    ("192.0.0.8", False, True),                 # IETF protocol assignments
    ("240.0.0.1", False, True),                 # reserved
    ("fec0::1", False, True),                   # deprecated site-local
    ("::ffff:127.0.0.1", False, True),
    ("::ffff:10.1.2.3", False, True),
    ("::7f00:1", False, True),                  # IPv4-compatible ::127.0.0.1
    ("64:ff9b::a00:1", False, True),            # NAT64 of 10.0.0.1
    ("2002:a00:1::1", False, True),             # 6to4 of 10.0.0.1
    ("169.254.169.254", False, False),          # cloud metadata (AWS, GCP, Azure, Huawei ...)
    ("169.254.0.23", False, False),             # Tencent Cloud metadata
    ("100.100.100.200", False, False),          # Alibaba Cloud metadata
    ("fd00:ec2::254", False, False),            # AWS metadata over IPv6
    ("::ffff:169.254.169.254", False, False),
    ("fe80::1", False, False),
    ("0.0.0.0", False, False),
    ("::", False, False),
    ("224.0.0.1", False, False),
    ("239.255.255.250", False, False),
    ("ff02::1", False, False),
    ("255.255.255.255", False, False),
]


@pytest.mark.parametrize("address, public, with_opt_in", ADDRESSES, ids=[a for a, _, _ in ADDRESSES])
def test_only_public_addresses_are_allowed_and_the_opt_in_never_reaches_metadata(address, public, with_opt_in):
    from tourhub.partners.http import address_allowed
    ip = ipaddress.ip_address(address)
    assert address_allowed(ip) is public
    assert address_allowed(ip, allow_private_network=True) is with_opt_in


@pytest.mark.parametrize("text, shown", [
    ("spot_id,observed_at", "spot_id,observed_at"),
    ("乐山大佛", "乐山大佛"),
    ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
    ("a\r\nb\tc\x00", "a\\r\\nb\\tc\\x00"),
    ("\u202eevil\u200b", "\\u202eevil\\u200b"),
    ("x" * 80, "x" * 80),
    ("x" * 81, "x" * 79 + "…"),
    ("x" * 78 + "\x1b", "x" * 78 + "…"),        # an escape is never cut in half
])
def test_an_excerpt_is_short_escaped_and_marked_where_cut(text, shown):
    from tourhub.partners.http import EXCERPT_CHARS, excerpt
    assert excerpt(text) == shown
    assert len(excerpt(text * 200)) <= EXCERPT_CHARS


# ---------------------------------------------------------------------------------------------
# Refused before any connection


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_a_loopback_url_is_refused_before_the_server_hears_anything(partner, connects, host):
    error = refusal(endpoint(partner.url(host=host), retries=2))
    assert (error.rule, error.retryable, error.attempts) == ("fetch-address-refused", False, 1)
    assert "allow_private_network" in error.message_en and "allow_private_network" in error.message_zh
    assert (connects, partner.connections, partner.requests) == ([], 0, [])


@pytest.mark.parametrize("host, rule", [
    ("169.254.169.254", "fetch-address-refused-always"),
    ("10.0.0.1", "fetch-address-refused"),
    ("192.168.1.1", "fetch-address-refused"),
    ("100.64.0.1", "fetch-address-refused"),
    ("0.0.0.0", "fetch-address-refused-always"),
    ("224.0.0.1", "fetch-address-refused-always"),
    ("240.0.0.1", "fetch-address-refused"),
    ("[::ffff:127.0.0.1]", "fetch-address-refused"),
    ("[fe80::1]", "fetch-address-refused-always"),
    ("[fc00::1]", "fetch-address-refused"),
])
def test_private_reserved_and_metadata_addresses_are_refused_without_connecting(connects, host, rule):
    started = time.monotonic()
    error = refusal(endpoint(f"http://{host}/latest/meta-data/x.csv", retries=2))
    assert (error.rule, error.attempts, connects) == (rule, 1, [])
    assert time.monotonic() - started < 1.0


def test_with_the_opt_in_a_partner_on_our_own_network_is_fetched(partner, connects):
    got = fetch(endpoint(partner.url(), allow_private_network=True))
    assert (got.status, got.body) == (200, GOOD)
    assert connects == [("127.0.0.1", partner.port)] and partner.requests == ["/data.csv"]


@pytest.mark.parametrize("host", ["169.254.169.254", "[fd00:ec2::254]", "[::ffff:169.254.169.254]", "100.100.100.200"])
def test_cloud_metadata_stays_refused_even_with_the_opt_in(connects, host):
    error = refusal(endpoint(f"http://{host}/latest/meta-data/x.csv", allow_private_network=True))
    assert (error.rule, connects) == ("fetch-address-refused-always", [])
    assert "allow_private_network" in error.message_en


def test_one_private_answer_among_public_ones_refuses_the_host(partner, connects):
    resolve = Answers((PUBLIC, "10.0.0.1"))
    error = refusal(endpoint(partner.url(host="partner.test")), resolve=resolve)
    assert (error.rule, error.params["host"], error.params["address"]) == ("fetch-address-refused", "partner.test",
                                                                             "10.0.0.1")
    assert connects == []


# ---------------------------------------------------------------------------------------------
# A DNS answer that changes: each connection is vetted at the address it goes to


def test_a_dns_answer_that_turns_to_loopback_on_the_retry_is_refused(partner, connects):
    # The first lookup answers a public address (the audit hook refuses the connection, as a
    # partner that is down would); the retry's lookup answers 127.0.0.1, and that is refused:
    # a check made once, before the connections, would have let the retry through.
    resolve = Answers(PUBLIC, "127.0.0.1")
    error = refusal(endpoint(partner.url(host="partner.test"), retries=1), resolve=resolve)
    assert (error.rule, error.params["address"], error.attempts) == ("fetch-address-refused", "127.0.0.1", 2)
    assert resolve.lookups == ["partner.test", "partner.test"]
    assert connects == [(PUBLIC, partner.port)] and partner.connections == 0


@pytest.mark.parametrize("hop", ["redirect", "retry"])
def test_every_hop_is_vetted_again_at_the_address_it_connects_to(partner, connects, hop):
    # Opted in, the first lookup's 127.0.0.1 is fine; the next hop's lookup answers the cloud
    # metadata address, which no source may reach: refused before its connection.
    partner.routes["/start.csv"] = ((302, {"Location": "/data.csv"}, b"") if hop == "redirect"
                                    else (503, {"Retry-After": "0"}, b"busy"))
    resolve = Answers("127.0.0.1", "169.254.169.254")
    error = refusal(endpoint(partner.url("/start.csv", host="partner.test"), retries=1,
                             allow_private_network=True), resolve=resolve)
    assert (error.rule, error.params["address"]) == ("fetch-address-refused-always", "169.254.169.254")
    assert partner.requests == ["/start.csv"] and len(resolve.lookups) == 2
    assert connects == [("127.0.0.1", partner.port)]


def test_an_environment_proxy_is_never_used(partner, connects, monkeypatch):
    proxy = Partner()
    threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")
        got = fetch(endpoint(partner.url(), allow_private_network=True))
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert got.body == GOOD and partner.requests == ["/data.csv"]
    assert proxy.connections == 0


# ---------------------------------------------------------------------------------------------
# Through the hub: the sources file, fetch_all and the command line


def source(sid: str, url: str, *extra: str) -> str:
    return (f"- id: {sid}\n  name_zh: 测试\n  name_en: Test\n  url: {url}\n  resource: visitor_observations\n"
            "  format: csv\n  timeout_s: 5\n  max_bytes: 100000\n  expected_every: PT1H\n  maintainer: 测试\n"
            + "".join(f"  {line}\n" for line in extra))


def project_with(tmp_path: Path, *sources: str) -> Path:
    project = make_project(tmp_path / "project")
    (project / "datasets" / "sources.yaml").write_text("".join(sources), encoding="utf-8")
    return project


def test_the_opt_in_is_the_sources_own_and_a_token_needs_it_for_plain_http(partner, connects, tmp_path):
    local = source("local", partner.url(), "allow_private_network: true")
    project = project_with(tmp_path, local, source("plain", partner.url()),
                           source("locked", partner.url(), "token_env: CITY_FEED_TOKEN"))
    outcomes, stopped = fetch_all(project, NOW, env={"CITY_FEED_TOKEN": "s3cret"})
    by_id = {o.source_id: o for o in outcomes}
    assert stopped == [] and by_id["local"].status == "fetched"
    assert [p.code for p in by_id["plain"].problems] == ["fetch-address-refused"]
    assert [p.code for p in by_id["locked"].problems] == ["fetch-token-insecure"]
    assert partner.requests == ["/data.csv"]
    problem = by_id["plain"].problems[0]
    assert (problem.file, problem.line) == ("datasets/sources.yaml", local.count("\n") + 1)   # its entry


def test_the_fetch_command_refuses_a_loopback_source_at_its_line(partner, tmp_path):
    project = make_project(tmp_path / "project")
    sources = tmp_path / "partners.yaml"
    sources.write_text("# a partner that is really this machine\n" + source("sneaky", partner.url()),
                       encoding="utf-8")
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--project", str(project), "fetch",
                           "--sources", str(sources)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    line = next(text for text in done.stdout.splitlines() if "fetch-address-refused" in text)
    assert re.match(r"\S*partners\.yaml:2:\d+  fetch-address-refused  ", line), line
    assert "127.0.0.1" in line and "allow_private_network" in line
    assert (partner.connections, partner.requests) == (0, [])


# ---------------------------------------------------------------------------------------------
# What a partner sends back reaches the messages only as a short, escaped excerpt


SECRET = "sk_live_" + "Z" * 10_000
NOISE = f"\x1b[31mInternal error\x1b[0m \x1b]8;;http://evil.test\x07token={SECRET},\u202edetail"
HEADER_NOISE = NOISE.encode("utf-8").decode("latin-1")     # as a header carries it: bytes, read as Latin-1


@pytest.mark.parametrize("fmt, body", [
    ("csv", f"{NOISE}\nsecond line\r\n{SECRET}\n"),                                    # the header line
    ("csv", "spot_id,observed_at,window,count,method\n"
            f"huayingshan,2026-11-20T15:00:00+08:00,daily,{NOISE.replace(',', ' ')},gate-count\n"),   # a cell
    ("json", json.dumps([{"spot_id": NOISE, "observed_at": "2026-11-20T15:00:00+08:00", "window": "daily",
                          "count": 1, "method": "gate-count"}])),                      # an area id
    ("json", f'[{{"spot_id": "huayingshan", {json.dumps(NOISE)}: 1, {json.dumps(NOISE)}: 2}}]'),    # a key
])
def test_a_rejected_payload_is_quoted_only_as_a_short_escaped_excerpt(fmt, body):
    from tourhub.check.descriptor import load_package
    from tourhub.check.problems import Problem
    from tourhub.partners.ingest import parse_observations
    package, _ = load_package(ROOT / "datasets")
    payload = parse_observations(body.encode(), fmt, schema=package.resource("visitor_observations").schema,
                                 areas_with_capacity={"huayingshan"}, known_areas={"huayingshan"},
                                 source_id="city", now=NOW)
    problems = [Problem("http://partner.test/counts", p.row or 1, 1, p.rule, {"source": "city", **p.params})
                for p in payload.problems]
    assert problems
    for shown in (format_text(problems), format_json(problems)):
        assert not RAW_CONTROL.search(shown.replace("\n", " ")) and "Z" * 81 not in shown
    assert all(len(p.en) < 500 for p in problems)


def test_a_rejected_reply_shows_only_a_short_escaped_excerpt(partner, tmp_path):
    partner.routes.update({
        "/body.csv": (200, {"Content-Type": "text/plain"}, f"{NOISE}\nsecond line\r\n{SECRET}\n".encode()),
        "/type.csv": (200, {"Content-Type": f"text/{HEADER_NOISE}"}, GOOD),
        "/moved.csv": (302, {"Location": f"http://elsewhere.test/{HEADER_NOISE}"}, b""),
    })
    project = project_with(tmp_path, *(source(name, partner.url(f"/{name}.csv"), "allow_private_network: true")
                                       for name in ("body", "type", "moved")))
    outcomes, _ = fetch_all(project, NOW, env={})
    problems = [p for o in outcomes for p in o.problems]
    assert {p.code for p in problems} >= {"payload-columns-extra", "fetch-content-type", "fetch-redirect-host"}
    for problem in problems:
        for message in (problem.zh, problem.en):
            assert not RAW_CONTROL.search(message), message
            assert len(message) < 500 and "Z" * 81 not in message
    text, data = format_text(problems), format_json(problems)
    assert "\\x1b[31mInternal error" in text and json.loads(data)     # shown, escaped
    for shown in (text, data):
        assert "\x1b" not in shown and "\u202e" not in shown and "Z" * 81 not in shown
    state = (project / "datasets" / "fetch-state.json").read_text("utf-8")
    assert "Z" * 81 not in state and "\\u001b" not in state
