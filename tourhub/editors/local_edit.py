"""The editors' admin on this computer, without GitHub (`make edit`, tourhub/serve.py `edit`):
decap-server (npm `decap-server`, pinned in package.json) on 127.0.0.1 against the working copy.
The admin at http://127.0.0.1:8000/admin/ then reads and writes the files in datasets/ directly;
the editor reviews them with `git diff` and commits as usual (online, the same forms open a pull
request).
"""
from __future__ import annotations

import shutil
from pathlib import Path

from tourhub.core.npm import NODE_MODULES
from tourhub.editors.admin_config import LOCAL_BACKEND_PORT

DECAP_SERVER = NODE_MODULES / "decap-server" / "dist" / "index.js"


def decap_server_command(working_copy: Path, port: int = LOCAL_BACKEND_PORT,
                         workflow: bool = False) -> tuple[list[str], dict[str, str]]:
    """The command and environment that serve `working_copy` to the admin, bound to 127.0.0.1;
    decap-server answers only pages served from 127.0.0.1 or localhost (its default CORS
    origins). Saves go straight into the files, or with `workflow` (the working copy must be a
    git repository on `main`) each change is a draft on its own branch, cms/<collection>/<id>,
    merged into main when published: the editorial workflow online, without GitHub."""
    node = shutil.which("node") or "node"
    return [node, str(DECAP_SERVER)], {"PORT": str(port), "BIND_HOST": "127.0.0.1",
                                       "MODE": "git" if workflow else "fs",
                                       "GIT_REPO_DIRECTORY": str(working_copy.resolve()), "LOG_LEVEL": "warn"}
