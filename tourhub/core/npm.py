"""Packages from the npm registry (package.json, pinned in package-lock.json; `npm ci` installs
them into node_modules/ beside the code): the SQL page's engine and the editors' admin, which
the build copies into the site, and decap-server, which `make edit` runs."""
from __future__ import annotations

import json
from pathlib import Path

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"


def package_version(node_modules: Path, package: str) -> str:
    """The installed version of `package` (the lock's, after `npm ci`)."""
    return str(json.loads((node_modules / package / "package.json").read_text("utf-8"))["version"])
