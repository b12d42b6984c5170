"""Transport for partners' HTTP endpoints: one GET that trusts nothing the server sends.

`fetch(endpoint)` returns the decompressed body of a CSV or JSON resource, or raises
`FetchError` with a stable reason code and a message in Chinese and English. Guarantees:

- Redirects are followed by hand, at most `MAX_REDIRECTS`, and only to the same scheme, host and
  port, so the bearer token never reaches another host. TLS verification is always on.
- Time: requests' (connect, read) timeouts catch a server that never answers; a total deadline
  of `timeout_s` per attempt, measured with the injected `clock` and enforced by a watchdog that
  shuts the socket, catches a body dripped a few bytes at a time (`stream(65536)` blocks until a
  whole chunk or EOF, so a check between chunks alone could wait forever).
- Size: `max_bytes` caps the bytes on the wire (Content-Length is checked first) and the bytes
  after gzip/deflate decompression, which is done here with `max_length`, so a compression bomb
  never grows past the cap in memory.
- Content: only the media types of the endpoint's format are accepted, and an HTML page (by
  header or by its first bytes) is never taken for data.
- Timeouts, refused or reset connections, truncated bodies and HTTP 429/500/502/503/504 are
  retried with exponential backoff; Retry-After (seconds or HTTP-date) is honoured, capped.
- Where: every connection (first request, each redirect hop, each retry) resolves the host itself
  and connects only if every address the lookup answered is public (`address_allowed`), so a DNS
  answer that changes between lookups cannot slip past. An endpoint with `allow_private_network`
  may reach loopback and private addresses (a partner on our own network, the demo, tests); cloud
  metadata, link-local, unspecified, multicast and broadcast addresses stay refused even then.
  Never through a proxy: the address vetted is always the partner's own.
- Messages: a value the server chose (a header, a Location, the text of an error) reaches a
  message only as a short excerpt with control characters escaped (`excerpt`).
"""
from __future__ import annotations

import ipaddress
import math
import re
import socket
import sys
import threading
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.client import IncompleteRead as HttpIncompleteRead
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    IncompleteRead,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.exceptions import SSLError as Urllib3SSLError
from urllib3.util.connection import allowed_gai_family

from tourhub.check.problems import FeedMessage

USER_AGENT = "bashu-travel-hub/0.1.0"
CHUNK_BYTES = 65536
MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRYABLE_CODES = frozenset({"timeout", "connection", "truncated"})
DEFAULT_PORTS = {"http": 80, "https": 443}

ACCEPT = {
    "csv": "text/csv, application/csv;q=0.9, text/plain;q=0.5",
    "json": "application/json, application/*+json;q=0.9",
}
CSV_TYPES = frozenset({"text/csv", "application/csv", "text/plain"})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
HTML_STARTS = (b"<!doctype html", b"<html")
UTF8_BOM = b"\xef\xbb\xbf"
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
EXCERPT_CHARS = 80                  # the most of a server's text any message shows

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int, int, int], Sequence[tuple[Any, ...]]]   # socket.getaddrinfo's shape


@dataclass(frozen=True)
class Endpoint:
    """One partner resource and how to fetch it. Invalid settings raise ValueError at once."""

    url: str
    format: str                     # "csv" or "json": decides the acceptable content types
    timeout_s: float                # connect/read timeout and total deadline per attempt
    max_bytes: int                  # cap on wire bytes and on decompressed bytes
    token: str | None = field(default=None, repr=False)   # bearer token; kept out of repr
    etag: str | None = None         # validator from the last success, sent as If-None-Match
    last_modified: str | None = None    # sent as If-Modified-Since
    retries: int = 2                # extra attempts after the first, for retryable failures
    backoff_s: float = 0.5          # wait before retry n is backoff_s * 2 ** (n - 1)
    max_wait_s: float = 30.0        # cap on any single wait, Retry-After included
    allow_private_network: bool = False     # may reach loopback and private addresses (our own network)

    def __post_init__(self) -> None:
        if self.format not in ACCEPT:
            raise ValueError(f"format must be one of {sorted(ACCEPT)}, not {self.format!r}")
        _require(_positive(self.timeout_s), "timeout_s must be a positive number of seconds")
        _require(isinstance(self.max_bytes, int) and self.max_bytes > 0,
                 "max_bytes must be a positive integer")
        _require(isinstance(self.retries, int) and self.retries >= 0,
                 "retries must be a non-negative integer")
        _require(_positive(self.backoff_s, allow_zero=True), "backoff_s must be >= 0")
        _require(_positive(self.max_wait_s, allow_zero=True), "max_wait_s must be >= 0")
        _require(isinstance(self.allow_private_network, bool), "allow_private_network must be true or false")
        _require(self.token is None or (self.token != "" and not re.search(r"\s|[\x00-\x1f\x7f]",
                                                                          self.token)),
                 "token must be non-empty, without whitespace or control characters")
        for name in ("etag", "last_modified"):
            value = getattr(self, name)
            _require(value is None or not CONTROL_CHARS.search(value),
                     f"{name} must not contain control characters")


@dataclass(frozen=True)
class Fetched:
    """A successful fetch: 200 with the decompressed body, or 304 with an empty one."""

    status: int
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    attempts: int
    wire_bytes: int


class FetchError(FeedMessage, Exception):
    """A failed fetch: a stable `code` (the kind of failure, which says whether to try again),
    the `rule` of the problem catalogue (tourhub/check/problems.py) whose message it is, with its
    `params`, and whether to try later. `retry_after_s` is the wait the server asked for
    (Retry-After), when it gave one."""

    def __init__(self, rule: str, params: dict | None = None, *, attempts: int = 1,
                 retryable: bool = False, retry_after_s: float | None = None) -> None:
        self.rule = rule
        self.code = next(kind for kind in FAMILIES if rule.removeprefix("fetch-").startswith(kind))
        self.params = params or {}
        self.attempts = attempts
        self.retryable = retryable
        self.retry_after_s = retry_after_s
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.code}: {self.message_zh} / {self.message_en}"


# The kinds of failure, each a family of messages in the problem catalogue (fetch-<kind>[-<variant>]).
FAMILIES = ("bad-url", "request", "address-refused", "timeout", "connection", "tls", "http-status", "bad-response",
            "redirect-host", "redirect-loop", "content-type", "html-page", "too-large", "truncated", "decompress")


# ---------------------------------------------------------------------------------------------
# Entry point


def fetch(endpoint: Endpoint, *, session: requests.Session | None = None,
          sleep: Callable[[float], object] = time.sleep,
          clock: Callable[[], float] = time.monotonic,
          resolve: Resolver = socket.getaddrinfo) -> Fetched:
    """GET `endpoint`, retrying retryable failures, and return the payload or raise FetchError.

    `session` lets callers share a connection pool (a session made here is closed here); fetch
    mounts its `OutboundAdapter` on it for http:// and https://. `sleep`, `clock` and `resolve`
    (the host lookup, socket.getaddrinfo's signature) are injectable for tests.
    """
    _check_url(endpoint.url)
    outbound = Outbound(endpoint.allow_private_network, resolve)
    if session is not None:
        return _fetch_with_retries(endpoint, _guarded(session, outbound, endpoint.url), sleep, clock)
    with requests.Session() as own:
        return _fetch_with_retries(endpoint, _guarded(own, outbound, endpoint.url), sleep, clock)


def _fetch_with_retries(endpoint: Endpoint, session: requests.Session,
                        sleep: Callable[[float], object], clock: Callable[[], float]) -> Fetched:
    total = endpoint.retries + 1
    for attempt in range(1, total + 1):
        try:
            return replace(_attempt(endpoint, session, clock), attempts=attempt)
        except FetchError as error:
            error.attempts = attempt
            if not error.retryable or attempt == total:
                raise
            sleep(_wait_s(endpoint, attempt, error.retry_after_s))
    raise AssertionError("unreachable")  # pragma: no cover


def _wait_s(endpoint: Endpoint, attempt: int, retry_after_s: float | None) -> float:
    """The server's Retry-After if it sent one, else exponential backoff; never over the cap."""
    wait = retry_after_s if retry_after_s is not None else endpoint.backoff_s * 2 ** (attempt - 1)
    return min(wait, endpoint.max_wait_s)


# ---------------------------------------------------------------------------------------------
# Outbound policy: where a connection may go


def _networks(*cidrs: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


# Never a partner, whatever the source says: the host itself ("this network", unspecified),
# link-local (where cloud metadata services answer: 169.254.169.254, Tencent Cloud's 169.254.0.23),
# AWS's IPv6 metadata, Alibaba Cloud's metadata, multicast and broadcast.
ALWAYS_REFUSED = _networks("0.0.0.0/8", "::/128", "169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128",
                           "100.100.100.200/32", "224.0.0.0/4", "ff00::/8", "255.255.255.255/32")
# Not public, though some Python versions' `is_global` says otherwise: shared address space (CGNAT),
# IETF protocol assignments, deprecated IPv6 site-local, IPv6 documentation (RFC 9637).
NOT_PUBLIC = _networks("100.64.0.0/10", "192.0.0.0/24", "fec0::/10", "3fff::/20")
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def address_allowed(address: IPAddress, *, allow_private_network: bool = False) -> bool:
    """May a partner feed connect to `address`? Only a globally routable unicast address, unless
    the source allows its private network; an IPv6 form of an IPv4 address (mapped, compatible,
    6to4, NAT64) is judged by the IPv4 address it reaches."""
    inner = _embedded_ipv4(address)
    if inner is not None:
        return address_allowed(inner, allow_private_network=allow_private_network)
    if any(address in network for network in ALWAYS_REFUSED):
        return False
    return allow_private_network or _public(address)


def _public(address: IPAddress) -> bool:
    return (address.is_global and not any(address in network for network in NOT_PUBLIC)
            and not (address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
                     or address.is_reserved or address.is_unspecified))


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it is one of the forms that carry one."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:                 # ::ffff:a.b.c.d
        return address.ipv4_mapped
    if address.sixtofour is not None:                   # 2002:aabb:ccdd::/48
        return address.sixtofour
    number = int(address)
    if address in NAT64 or (number >> 32 == 0 and number > 1):     # 64:ff9b::a.b.c.d, ::a.b.c.d
        return ipaddress.IPv4Address(number & 0xFFFFFFFF)
    return None


@dataclass(frozen=True)
class Outbound:
    """How a connection finds its peer: `resolve` the host, vet every answer, connect to one."""

    allow_private_network: bool
    resolve: Resolver = socket.getaddrinfo

    def connect(self, conn: HTTPConnection) -> socket.socket:
        """The socket for `conn`, as urllib3's own `_new_conn` would make it, but only to vetted
        addresses: a refused one raises FetchError before any connection is tried."""
        error: OSError | None = None
        for family, kind, proto, _, sockaddr in self._vetted(conn):
            try:
                sock = _open_socket(conn, family, kind, proto, sockaddr)
            except OSError as exc:
                error = exc
                continue
            sys.audit("http.client.connect", conn, conn.host, conn.port)
            return sock
        if isinstance(error, TimeoutError):
            raise ConnectTimeoutError(conn, f"Connection to {conn.host} timed out. (connect timeout={conn.timeout})"
                                      ) from error
        raise NewConnectionError(conn, f"Failed to establish a new connection: {error}") from error

    def _vetted(self, conn: HTTPConnection) -> Sequence[tuple[Any, ...]]:
        try:
            answers = self.resolve(conn.host.strip("[]"), conn.port, allowed_gai_family(), socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise NameResolutionError(conn.host, conn, exc) from exc
        if not answers:
            raise NewConnectionError(conn, "Failed to establish a new connection: the lookup found no address")
        for *_, sockaddr in answers:
            address = ipaddress.ip_address(sockaddr[0])
            if not address_allowed(address, allow_private_network=self.allow_private_network):
                always = not address_allowed(address, allow_private_network=True)
                raise _error("address-refused.always" if always else "address-refused",
                             host=conn.host, address=sockaddr[0])
        return answers


def _open_socket(conn: HTTPConnection, family: int, kind: int, proto: int, sockaddr: tuple) -> socket.socket:
    sock = socket.socket(family, kind, proto)
    try:
        for option in conn.socket_options or ():
            sock.setsockopt(*option)
        if conn.timeout is None or isinstance(conn.timeout, (int, float)):
            sock.settimeout(conn.timeout)
        if conn.source_address:
            sock.bind(conn.source_address)
        sock.connect(sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


def _pool_classes(outbound: Outbound) -> dict[str, type[HTTPConnectionPool]]:
    """urllib3 pools whose every new connection (each redirect hop, each retry) goes through
    `outbound`; TLS still verifies the certificate for, and sends SNI with, the host name."""

    class VettedHTTPConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return outbound.connect(self)

    class VettedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return outbound.connect(self)

    class VettedHTTPConnectionPool(HTTPConnectionPool):
        ConnectionCls = VettedHTTPConnection

    class VettedHTTPSConnectionPool(HTTPSConnectionPool):
        ConnectionCls = VettedHTTPSConnection

    return {"http": VettedHTTPConnectionPool, "https": VettedHTTPSConnectionPool}


class OutboundAdapter(HTTPAdapter):
    """requests' transport for partner feeds: connections only where `outbound` allows, and
    never through a proxy (from the environment or the session), whose address would be the
    one vetted instead of the partner's."""

    def __init__(self, outbound: Outbound) -> None:
        self.outbound = outbound
        super().__init__()

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.outbound)

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: float | tuple[float, float] | tuple[float, None] | None = None, verify: bool | str = True,
             cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
             proxies: Mapping[str, str] | None = None) -> requests.Response:
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies={})


def _guarded(session: requests.Session, outbound: Outbound, url: str) -> requests.Session:
    """`session`, sending http(s) through an OutboundAdapter for `outbound`: the one already
    mounted when its policy is the same (its pool is shared), else a new one; the adapter it
    replaces is closed, so a connection opened under one policy never serves another."""
    mounted = session.adapters.get("https://")
    if not (isinstance(mounted, OutboundAdapter) and mounted.outbound == outbound):
        adapter = OutboundAdapter(outbound)
        for prefix in ("https://", "http://"):
            replaced = session.adapters.get(prefix)
            session.mount(prefix, adapter)
            if replaced is not None:
                replaced.close()
    if not isinstance(session.get_adapter(url), OutboundAdapter):
        raise ValueError(f"the session sends {_display(url)} through its own adapter, around the outbound policy")
    return session


# ---------------------------------------------------------------------------------------------
# One attempt: the request, redirects, status


def _attempt(endpoint: Endpoint, session: requests.Session, clock: Callable[[], float]) -> Fetched:
    """One attempt, redirects included, within one deadline (attempts is filled in later)."""
    deadline = clock() + endpoint.timeout_s
    url = endpoint.url
    visited = [url]
    while True:
        if clock() > deadline:
            raise _error("timeout.body", seconds=_num(endpoint.timeout_s), received=0)
        response = _send(session, endpoint, url)
        try:
            if response.status_code not in REDIRECT_STATUSES:
                return _complete(endpoint, response, deadline, clock)
            url = _next_hop(visited, response)
        finally:
            response.close()


def _send(session: requests.Session, endpoint: Endpoint, url: str) -> requests.Response:
    """The GET itself; requests' exceptions become FetchErrors."""
    host = _host(url)
    try:
        return session.get(url, headers=_headers(endpoint), auth=_BearerAuth(endpoint.token),
                           stream=True, allow_redirects=False, verify=True,
                           timeout=(endpoint.timeout_s, endpoint.timeout_s))
    except requests.exceptions.SSLError as exc:
        raise _error("tls", host=host, reason=_reason(exc)) from exc
    except requests.exceptions.Timeout as exc:
        raise _error("timeout.headers", host=host, seconds=_num(endpoint.timeout_s)) from exc
    except requests.exceptions.ConnectionError as exc:
        raise _error("connection", host=host, reason=_reason(exc)) from exc
    except requests.exceptions.RequestException as exc:
        raise _error("request", reason=_reason(exc)) from exc


def _headers(endpoint: Endpoint) -> dict[str, str]:
    headers = {"Accept": ACCEPT[endpoint.format], "Accept-Encoding": "gzip, deflate",
               "User-Agent": USER_AGENT}
    if endpoint.etag:
        headers["If-None-Match"] = endpoint.etag
    if endpoint.last_modified:
        headers["If-Modified-Since"] = endpoint.last_modified
    return headers


class _BearerAuth(requests.auth.AuthBase):
    """Sets the bearer token. Passing an auth object, even without a token, also stops
    requests from filling in credentials from ~/.netrc behind the caller's back."""

    def __init__(self, token: str | None) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._token:
            request.headers["Authorization"] = f"Bearer {self._token}"
        return request


def _next_hop(visited: list[str], response: requests.Response) -> str:
    """Where a redirect points, if it stays on the same origin and within the limits."""
    current = visited[-1]
    target = _redirect_target(current, response)
    if not _same_origin(current, target):
        raise _error("redirect-host", target=_display(target), origin=_display_origin(current))
    if len(visited) > MAX_REDIRECTS:
        raise _error("redirect-loop.count", limit=MAX_REDIRECTS)
    if target in visited:
        raise _error("redirect-loop.repeat", count=len(visited), target=_display(target))
    visited.append(target)
    return target


def _redirect_target(current: str, response: requests.Response) -> str:
    """The absolute Location of a redirect, without its fragment."""
    location = response.headers.get("Location", "").strip()
    try:
        target = urljoin(current, location).split("#", 1)[0] if location else ""
    except ValueError:
        target = ""
    if not target:
        raise _error("bad-response.location", status=response.status_code)
    return target


def _same_origin(current: str, target: str) -> bool:
    """Same scheme, host and port, and no user info smuggled into the target."""
    try:
        return _origin(target) == _origin(current) and urlsplit(target).username is None
    except ValueError:
        return False


def _complete(endpoint: Endpoint, response: requests.Response, deadline: float,
              clock: Callable[[], float]) -> Fetched:
    """A final (non-redirect) response: check status and type, then read the body."""
    status = response.status_code
    if status == 304 and (endpoint.etag or endpoint.last_modified):
        return _fetched(endpoint, response, 304, b"", 0)    # unasked-for 304: http-status below
    if status in RETRY_STATUSES:
        raise _error("http-status.retry", retryable=True, status=status,
                     retry_after_s=_retry_after_s(response.headers))
    if status != 200:
        raise _error("http-status", status=status)
    _check_content_type(endpoint, response.headers.get("Content-Type", ""))
    body, wire = _read_body(endpoint, response, deadline, clock)
    if _looks_like_html(body):
        raise _error("html-page", format=endpoint.format,
                     got=response.headers.get("Content-Type", ""))
    return _fetched(endpoint, response, 200, body, wire)


def _fetched(endpoint: Endpoint, response: requests.Response, status: int, body: bytes,
             wire: int) -> Fetched:
    """The result; a 304 keeps the caller's validators when the server does not repeat them."""
    headers = response.headers
    fallback = status == 304
    return Fetched(status=status, body=body,
                   content_type=headers.get("Content-Type", "").strip(),
                   etag=headers.get("ETag") or (endpoint.etag if fallback else None),
                   last_modified=headers.get("Last-Modified")
                   or (endpoint.last_modified if fallback else None),
                   attempts=0, wire_bytes=wire)


def _retry_after_s(headers: Mapping[str, str]) -> float | None:
    """Retry-After in seconds: delay-seconds, or an HTTP-date measured against the server's own
    Date header when present (so a skewed server clock does not matter), else our clock."""
    value = headers.get("Retry-After", "").strip()
    if re.fullmatch(r"[0-9]+", value):
        return float(value)
    when = _http_date(value)
    if when is None:
        return None
    reference = _http_date(headers.get("Date", "")) or datetime.now(UTC)
    return max(0.0, (when - reference).total_seconds())


def _http_date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Content type and HTML


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _check_content_type(endpoint: Endpoint, content_type: str) -> None:
    media = _media_type(content_type)
    if media in HTML_TYPES:
        raise _error("html-page", format=endpoint.format, got=content_type)
    if not _accepts(endpoint.format, media):
        raise _error("content-type", got=content_type, format=endpoint.format,
                     expected=ACCEPT[endpoint.format])


def _accepts(fmt: str, media: str) -> bool:
    if fmt == "csv":
        return media in CSV_TYPES
    return media == "application/json" or (media.startswith("application/")
                                           and media.endswith("+json"))


def _looks_like_html(body: bytes) -> bool:
    """An HTML document, whatever the header claimed (a 200 error page from a proxy or CMS)."""
    head = body[:1024]
    if head.startswith(UTF8_BOM):
        head = head[len(UTF8_BOM):]
    return head.lstrip().lower().startswith(HTML_STARTS)


# ---------------------------------------------------------------------------------------------
# Body: wire cap, deadline, decompression


def _read_body(endpoint: Endpoint, response: requests.Response, deadline: float,
               clock: Callable[[], float]) -> tuple[bytes, int]:
    """The decompressed body and the number of bytes on the wire."""
    declared = _declared_length(endpoint, response.headers.get("Content-Length"))
    decoder = _decoder(response.headers.get("Content-Encoding", ""), endpoint.max_bytes)
    wire = 0

    def timed_out() -> FetchError:
        return _error("timeout.body", seconds=_num(endpoint.timeout_s), received=wire)

    with _Watchdog(response, deadline - clock()) as watchdog:
        try:
            for chunk in response.raw.stream(CHUNK_BYTES, decode_content=False):
                wire += len(chunk)
                if watchdog.fired or clock() > deadline:
                    raise timed_out()
                if wire > endpoint.max_bytes:
                    raise _error("too-large.wire", limit=endpoint.max_bytes, received=wire)
                decoder.feed(chunk)
        except (ProtocolError, IncompleteRead, HttpIncompleteRead, ReadTimeoutError,
                Urllib3SSLError, OSError) as exc:
            if watchdog.fired or clock() > deadline or isinstance(exc, ReadTimeoutError):
                raise timed_out() from exc
            raise _truncated(wire, declared) from exc
    if watchdog.fired or clock() > deadline:
        raise timed_out()
    if declared is not None and wire < declared:
        raise _truncated(wire, declared)    # urllib3 catches this first; kept as a backstop
    return decoder.finish(wire), wire


def _truncated(wire: int, declared: int | None) -> FetchError:
    if declared is not None and wire < declared:
        return _error("truncated.length", received=wire, length=declared)
    return _error("truncated.broken", received=wire)


def _declared_length(endpoint: Endpoint, value: str | None) -> int | None:
    """Content-Length, refused at once when over the cap. Repeated equal values are allowed
    (as urllib3 does); anything else that is not a plain number is a broken response."""
    if value is None:
        return None
    values = {part.strip() for part in value.split(",")}
    if len(values) != 1 or not re.fullmatch(r"[0-9]{1,18}", next(iter(values))):
        raise _error("bad-response.length", value=value)
    length = int(values.pop())
    if length > endpoint.max_bytes:
        raise _error("too-large.declared", length=length, limit=endpoint.max_bytes)
    return length


class _Watchdog:
    """Shuts the socket down when the deadline passes. `stream(65536)` blocks until a whole
    chunk or EOF, so a server dripping a byte now and then would otherwise never be cut off."""

    def __init__(self, response: requests.Response, seconds: float) -> None:
        self.fired = False
        self._raw = response.raw
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()

    def _fire(self) -> None:
        self.fired = True
        # urllib3 >= 2.3: interrupts a read blocked in another thread; already finished or closed:
        # nothing left to interrupt
        with suppress(AttributeError, ValueError, RuntimeError, OSError):
            self._raw.shutdown()


def _decoder(content_encoding: str, cap: int) -> _Plain | _Inflater:
    encoding = content_encoding.strip().lower()
    if encoding in ("", "identity"):
        return _Plain(cap)
    if encoding in ("gzip", "x-gzip", "deflate"):
        return _Inflater("deflate" if encoding == "deflate" else "gzip", cap)
    raise _error("decompress.encoding", encoding=content_encoding.strip())


class _Plain:
    """An uncompressed body (the wire cap already bounds it; counted again for symmetry)."""

    def __init__(self, cap: int) -> None:
        self._cap = cap
        self._parts: list[bytes] = []
        self._size = 0

    def feed(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._cap:
            raise _error("too-large.wire", limit=self._cap, received=self._size)
        self._parts.append(data)

    def finish(self, wire: int) -> bytes:
        return b"".join(self._parts)


class _Inflater:
    """gzip (multi-member too) or deflate (zlib-wrapped or raw), never producing more than
    cap + 1 bytes: each `decompress` call gets `max_length` = room left under the cap + 1."""

    def __init__(self, encoding: str, cap: int) -> None:
        self._encoding = encoding
        self._cap = cap
        self._parts: list[bytes] = []
        self._size = 0
        self._wire = 0
        self._pending = b""         # deflate: first bytes, until the header can be told apart
        self._zobj = zlib.decompressobj(31) if encoding == "gzip" else None

    def feed(self, data: bytes) -> None:
        self._wire += len(data)
        if self._zobj is None:
            self._pending += data
            if len(self._pending) < 2:
                return
            data, self._pending = self._pending, b""
            self._zobj = zlib.decompressobj(15 if _zlib_header(data) else -15)
        self._inflate(data)

    def _inflate(self, data: bytes) -> None:
        zobj = self._zobj
        if zobj is None:
            raise ValueError("inflating before the stream's header was seen")
        while data:
            if zobj.eof:
                zobj = self._zobj = self._next_member()
            try:
                out = zobj.decompress(data, max_length=self._cap - self._size + 1)
            except zlib.error as exc:
                raise _error("decompress.data", encoding=self._encoding, reason=str(exc)) from exc
            self._size += len(out)
            if self._size > self._cap:
                raise _error("too-large.decoded", limit=self._cap, wire=self._wire)
            self._parts.append(out)
            data = zobj.unused_data if zobj.eof else zobj.unconsumed_tail

    def _next_member(self) -> zlib._Decompress:
        """Data after the end of the stream: another gzip member, or garbage."""
        if self._encoding != "gzip":
            raise _error("decompress.data", encoding=self._encoding,
                         reason="data after the end of the stream")
        return zlib.decompressobj(31)

    def finish(self, wire: int) -> bytes:
        if self._wire == 0:
            return b""              # an empty body labelled as compressed: nothing to inflate
        if self._zobj is None or not self._zobj.eof:
            raise _error("truncated.compressed", encoding=self._encoding, received=wire)
        return b"".join(self._parts)


def _zlib_header(data: bytes) -> bool:
    """RFC 1950 header (what HTTP "deflate" means); some servers send raw RFC 1951 instead."""
    return data[0] & 0x0F == 8 and data[0] >> 4 <= 7 and (data[0] << 8 | data[1]) % 31 == 0


# ---------------------------------------------------------------------------------------------
# Small helpers


def _error(key: str, *, retryable: bool | None = None, retry_after_s: float | None = None,
           **params: object) -> FetchError:
    """A FetchError for the catalogue's message `key` ("timeout.body" is fetch-timeout-body);
    retryable defaults from the kind of failure. Text values are shown as excerpts: most come
    from the server (headers, Location, error text) or from the network."""
    shown = {name: excerpt(value) if isinstance(value, str) else value for name, value in params.items()}
    error = FetchError("fetch-" + key.replace(".", "-"), shown, retry_after_s=retry_after_s)
    error.retryable = error.code in RETRYABLE_CODES if retryable is None else retryable
    return error


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """At most `limit` characters of `text` for a message (a log line, a CI annotation): control,
    format and other unprintable characters shown as escapes (\\x1b, \\n, \\u202e), "…" where cut."""
    pieces = [char if char.isprintable() else repr(char)[1:-1] for char in text[:limit + 1]]
    whole = "".join(pieces)
    if len(text) <= limit and len(whole) <= limit:
        return whole
    kept, used = [], 0
    for piece in pieces:
        if used + len(piece) > limit - 1:
            break
        kept.append(piece)
        used += len(piece)
    return "".join(kept) + "…"


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise _error("bad-url", url=_display(url))


def _origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) with the default port filled in; ValueError for a bad port."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url}")
    return scheme, parts.hostname.lower(), parts.port or DEFAULT_PORTS[scheme]


def _host(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc.rsplit("@", 1)[-1] or url


def _display(url: str) -> str:
    """A URL for messages: no user info, no query (either may hold a secret)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{netloc}{parts.path}" if parts.scheme else parts.path


def _display_origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def _reason(exc: BaseException) -> str:
    """The useful end of a requests/urllib3 error chain, e.g. "[Errno 111] Connection refused"."""
    text = str(exc)
    match = re.search(r"\[(?:Errno -?\d+|SSL[^\]]*)\][^'\")]*", text)
    if match:
        return match.group(0).strip()
    return f"{type(exc).__name__}: {text}"[:200]


def _num(value: float) -> str:
    return f"{value:g}"


def _positive(value: object, *, allow_zero: bool = False) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return False
    return value >= 0 if allow_zero else value > 0


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)
