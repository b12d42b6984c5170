"""The editors' admin in the built site: /admin/ (Chinese) and /en/admin/ (English).

Decap CMS and js-yaml come from npm (`decap-cms`, `js-yaml`, pinned in package.json) and are
published under admin/decap/<version>/ and admin/js-yaml/<version>/; nothing loads from another
host. A build without them (`make site` needs Python only) still has the page, which then says
the admin is not in this build and how to edit instead. The demo site has no admin: it would
edit the real datasets from a site that says everything on it is invented.

Online, the CMS opens pull requests on the GitHub repository named by $HUB_REPOSITORY, else
$GITHUB_REPOSITORY (set in GitHub Actions); $HUB_CMS_AUTH_URL is the OAuth service that signs
editors in to GitHub (Decap's `base_url`). On 127.0.0.1 it talks to decap-server against the
working copy instead (`make edit`).
"""
from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from tourhub.check.descriptor import PackageSpec
from tourhub.core.npm import package_version
from tourhub.core.page import Page
from tourhub.editors.admin_config import FORMAT, MOMENT_WIDGET, admin_config, admin_settings

DECAP_PACKAGE = "decap-cms"
DECAP_SCRIPT = "decap-cms.js"
YAML_PACKAGE = "js-yaml"
YAML_SCRIPT = "js-yaml.min.js"
PAGE_DIR = {"zh": "admin/", "en": "en/admin/"}
TEXT = {
    "zh": {"title": "编辑后台 · 巴蜀文旅开放数据", "lang": "zh-Hans",
           "missing": "此构建未包含编辑后台，或尚未设置代码仓库。可在本机运行 <code>make edit</code> 用浏览器编辑，"
                      "或按<a href=\"{guide}\">编辑指南</a>直接修改 YAML 文件。",
           "noscript": "编辑后台需要启用 JavaScript。"},
    "en": {"title": "Editors' admin · Bashu Travel Open Data", "lang": "en",
           "missing": "This build has no editors' admin, or no repository is set for it. Run <code>make edit</code> "
                      "to edit in a browser on your computer, or edit the YAML files as the "
                      "<a href=\"{guide}\">editors' guide</a> explains.",
           "noscript": "The editors' admin needs JavaScript."},
}


def admin_scripts(node_modules: Path) -> tuple[dict[str, str], list[Page]] | None:
    """The scripts' site paths ({"decap": …, "yaml": …}) and the files to publish, or None when
    npm has not installed them. Decap's bundle loads its chunks from beside itself."""
    decap, yaml_dist = node_modules / DECAP_PACKAGE / "dist", node_modules / YAML_PACKAGE / "dist"
    if not (decap / DECAP_SCRIPT).is_file() or not (yaml_dist / YAML_SCRIPT).is_file():
        return None
    decap_dir = f"admin/decap/{package_version(node_modules, DECAP_PACKAGE)}/"
    yaml_dir = f"admin/js-yaml/{package_version(node_modules, YAML_PACKAGE)}/"
    published = [path for path in sorted(decap.iterdir())
                 if path.is_file() and (path.name.endswith("decap-cms.js") or path.suffix == ".wasm"
                                        or path.name == "decap-cms.js.LICENSE.txt")]
    files = [Page(decap_dir + path.name, path) for path in published]
    files.append(Page(yaml_dir + YAML_SCRIPT, yaml_dist / YAML_SCRIPT))
    return {"decap": decap_dir + DECAP_SCRIPT, "yaml": yaml_dir + YAML_SCRIPT}, files


def repository() -> str | None:
    return os.environ.get("HUB_REPOSITORY") or os.environ.get("GITHUB_REPOSITORY") or None


SITE_NAME = {"zh": "巴蜀文旅开放数据", "en": "Bashu Travel Open Data"}


def served_config(package: PackageSpec, lang: str, base_url: str) -> dict:
    """The generated configuration with where this site's pull requests go and its home page."""
    config = admin_config(package, lang)
    config["site_url"] = base_url if lang == "zh" else base_url + "en/"
    config["display_url"] = SITE_NAME[lang]
    if repository():
        config["backend"]["repo"] = repository()
    if os.environ.get("HUB_CMS_AUTH_URL"):
        config["backend"]["base_url"] = os.environ["HUB_CMS_AUTH_URL"]
    return config


MISSING_STYLE = "font:16px/1.6 sans-serif;margin:2rem;max-width:40rem"


def content_policy(auth_url: str | None) -> str:
    """The admin's Content-Security-Policy: its scripts from this site only; it talks to this
    site, GitHub's API (and the sign-in service) online, and decap-server on this computer.
    'unsafe-eval' is for Decap alone: it checks its configuration with Ajv, which compiles each
    JSON Schema into a function (tried without: "Evaluating a string as JavaScript violates the
    following Content Security Policy directive"). Visitors' pages never allow it."""
    connect = ["'self'", "https://api.github.com", "http://127.0.0.1:*", "http://localhost:*"]
    parts = urlsplit(auth_url or "")
    if parts.scheme in ("https", "http") and re.fullmatch(r"[A-Za-z0-9.-]+(:[0-9]+)?", parts.netloc):
        connect.append(f"{parts.scheme}://{parts.netloc}")    # only a plain host: nothing can break out
    return "; ".join([
        "default-src 'self'", "script-src 'self' 'unsafe-eval'", "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob: https://avatars.githubusercontent.com",
        f"connect-src {' '.join(connect)}", "font-src 'self' data:", "object-src 'none'",
        "base-uri 'self'", "form-action 'self'", "worker-src 'self' blob:"])


def admin_page(lang: str, scripts: dict[str, str] | None, settings: dict,
               auth_url: str | None = None) -> str:
    text = TEXT[lang]
    up = "../" * PAGE_DIR[lang].count("/")
    guide = up + ("guide/" if lang == "zh" else "en/guide/")
    missing = text["missing"].format(guide=guide)
    data = json.dumps(settings, ensure_ascii=False).replace("</", "<\\/")
    loaders = "" if scripts is None else "\n".join(
        f'<script src="{up}{path}"></script>' for path in
        ("assets/js/admin.js", scripts["yaml"], scripts["decap"]))
    policy = content_policy(auth_url)            # fixed words and a checked host name: no quotes
    return f"""<!doctype html>
<html lang="{text['lang']}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<meta name="robots" content="noindex, nofollow">
<title>{html.escape(text['title'])}</title>
<link rel="stylesheet" href="{up}assets/css/admin.css">
</head>
<body>
<noscript><p>{text['noscript']}</p></noscript>
<p id="hub-admin-missing" style="{MISSING_STYLE}"{'' if scripts is None else ' hidden'}>{missing}</p>
<script type="application/json" id="hub-admin-settings">{data}</script>
{loaders}
</body>
</html>
"""


def admin_files(package: PackageSpec, node_modules: Path, base_url: str) -> list[Page]:
    """The admin's pages, configurations and scripts; none in a demo build."""
    if package.overlay is not None:
        return []
    found = admin_scripts(node_modules)
    scripts, files = found if found else (None, [])
    settings = admin_settings(package) | {"format": FORMAT, "moment_widget": MOMENT_WIDGET,
                                          "repository": repository()}
    pages = []
    for lang, folder in PAGE_DIR.items():
        pages.append(Page(folder + "index.html", admin_page(lang, scripts, settings,
                                                            os.environ.get("HUB_CMS_AUTH_URL"))))
        config = served_config(package, lang, base_url)
        text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False, width=100)
        pages.append(Page(folder + "config.yml", text))
    return pages + files
