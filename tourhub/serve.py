"""`python build.py serve`: build, serve site/ on 127.0.0.1, rebuild when an editor saves, and
reload the open page. A save that breaks the data prints the problems and keeps serving the last
good site (the build never replaces site/ on failure)."""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tourhub import pipeline
from tourhub.check.problems import format_text
from tourhub.core.lock import RepositoryBusy
from tourhub.editors.admin_config import LOCAL_BACKEND_PORT
from tourhub.editors.local_edit import DECAP_SERVER, decap_server_command

WATCHED = ("datasets", "site_src", "mkdocs.yml")
_RANGE = re.compile(r"bytes=(\d+)-(\d*)")


class RangeFiles(SimpleHTTPRequestHandler):
    """http.server's files, also answering `Range: bytes=a-b` with 206 Partial Content as any
    static host does: the SQL page's engine reads the Parquet counts by range. `ranges`, when a
    list, collects the ranges asked for (tests and benchmarks count them)."""

    ranges: list[str] | None = None

    def send_head(self):
        wanted = _RANGE.fullmatch(self.headers.get("Range", ""))
        path = Path(self.translate_path(self.path))
        if not wanted or not path.is_file():
            return super().send_head()
        if self.ranges is not None:
            self.ranges.append(f"{self.path} {wanted.group(0)}")
        size = path.stat().st_size
        start = int(wanted.group(1))
        end = min(int(wanted.group(2) or size - 1), size - 1)
        with path.open("rb") as handle:
            handle.seek(start)
            body = handle.read(max(0, end + 1 - start))
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def end_headers(self) -> None:
        if not self.headers.get("Range"):
            self.send_header("Accept-Ranges", "bytes")
        super().end_headers()


def snapshot(root: Path) -> dict[str, float]:
    """Modification time of every watched file."""
    found: dict[str, float] = {}
    for name in WATCHED:
        path = root / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for file in files:
            if not file.name.startswith("."):
                found[str(file)] = file.stat().st_mtime_ns
    return found


class Builds:
    """The number of the last good build, which the page's dev-reload script polls."""

    def __init__(self) -> None:
        self.number = 0

    def run(self, root: Path) -> bool:
        try:
            result = pipeline.build(root, dev_reload=True)
        except RepositoryBusy as busy:
            print(busy, file=sys.stderr, flush=True)
            return False
        if result.problems:
            print(format_text(result.problems), file=sys.stderr, flush=True)
        if result.ok:
            self.number += 1
            print(f"已重新构建 / rebuilt (#{self.number})", file=sys.stderr, flush=True)
        else:
            print(result.error or "构建失败，网站保持上一次的版本 / build failed; serving the last good site",
                  file=sys.stderr, flush=True)
        return result.ok


def handler_class(site: Path, builds: Builds):
    class Handler(RangeFiles):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(site), **kwargs)

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/__build":
                body = str(builds.number).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

        def send_head(self):
            """A path the file system cannot take (a NUL byte, a name too long) is the client's
            mistake: 400, not a dropped connection and a traceback."""
            try:
                return super().send_head()
            except (ValueError, OSError):
                self.send_error(400, "Bad request path")
                return None
    return Handler


def serve(root: Path, port: int = 8000, interval: float = 1.0, stop: threading.Event | None = None) -> None:
    builds, stop = Builds(), stop or threading.Event()
    builds.run(root)
    server = ThreadingHTTPServer(("127.0.0.1", port), handler_class(root / "site", builds))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"http://127.0.0.1:{server.server_address[1]}/  (Ctrl-C 停止 / to stop)", file=sys.stderr, flush=True)
    seen = snapshot(root)
    try:
        while not stop.wait(interval):
            now = snapshot(root)
            if now != seen:
                time.sleep(0.2)            # let the editor finish writing
                seen = snapshot(root)
                builds.run(root)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()


def edit(root: Path, port: int = 8000, backend_port: int = LOCAL_BACKEND_PORT, workflow: bool = False) -> int:
    """`make edit`: decap-server against the working copy, and `serve` (build, serve, rebuild on
    every save), so the admin's saves land in datasets/ and show in the preview."""
    if not DECAP_SERVER.is_file() or shutil.which("node") is None:
        print("编辑后台需要 Node.js 和 npm 安装的 decap-server：请运行 make edit（它会先运行 npm ci）\n"
              "The admin needs Node.js and decap-server from npm: run `make edit` (it runs npm ci first).",
              file=sys.stderr)
        return 1
    command, env = decap_server_command(root, backend_port, workflow)
    backend = subprocess.Popen(command, env=os.environ | env)
    query = "" if backend_port == LOCAL_BACKEND_PORT else f"?port={backend_port}"
    print(f"编辑后台 / editors' admin: http://127.0.0.1:{port}/admin/{query}  "
          f"(English: http://127.0.0.1:{port}/en/admin/{query})", file=sys.stderr, flush=True)
    try:
        serve(root, port)
    finally:
        backend.terminate()
        backend.wait(timeout=10)
    return 0
