#!/usr/bin/env python3
"""Command line of the hub: `check` the datasets, `build` the site, `fetch` partner feeds.

    python build.py [--project DIR] [--demo] check [--format text|json]
    python build.py [--project DIR] [--demo] build [--full] [--publish]
    python build.py [--project DIR] fetch [--sources PATH]
    python build.py [--project DIR] new route|notice|area ID
    python build.py [--project DIR] schemas
    python build.py [--project DIR] serve [--port 8000]
    python build.py [--project DIR] edit [--port 8000] [--backend-port 8081] [--workflow]
    python build.py [--project DIR] deploy s3://BUCKET[/PREFIX] [--endpoint URL] [--dry-run]
    python build.py [--project DIR] [--demo] live [--sources PATH] [--no-fetch]
"""
from __future__ import annotations

import argparse
import sys
from datetime import UTC
from pathlib import Path

from tourhub import pipeline
from tourhub.check.problems import format_github, format_json, format_summary, format_text, has_errors
from tourhub.core.lock import RepositoryBusy

ROOT = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description="巴蜀文旅开放数据 · Bashu Travel Open Data Hub")
    parser.add_argument("--project", type=Path, default=ROOT,
                        help="project folder (datasets/, site_src/, mkdocs.yml); default: this one")
    parser.add_argument("--demo", action="store_true",
                        help="lay the invented demo/ records over the data (check, build into build/demo-site/) "
                             "/ 叠加 demo/ 演示数据")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate the datasets / 校验数据")
    check.add_argument("--format", choices=("text", "json", "github"), default="text",
                       help="github: annotations on each file and line (in GitHub Actions)")
    check.add_argument("--summary", type=Path, help="append a Markdown table of the problems to this file "
                                                   "(e.g. $GITHUB_STEP_SUMMARY)")
    build = commands.add_parser("build", help="validate, then build site/ (only what changed) / 校验并构建网站")
    build.add_argument("--full", action="store_true",
                       help="render every page, not only those whose data changed (same bytes) / 全部重新构建")
    build.add_argument("--publish", action="store_true",
                       help="a build to publish: refuse a local site URL (set HUB_SITE_URL) / 用于发布的构建")
    fetch = commands.add_parser("fetch", help="pull partner feeds into the observations / 抓取合作方数据")
    fetch.add_argument("--sources", type=Path, help="a sources file other than datasets/sources.yaml")
    new = commands.add_parser("new", help="start a new route, notice or area file / 新建线路、安全提示或景区")
    new.add_argument("kind", choices=("route", "notice", "area"))
    new.add_argument("id", help="lowercase id, also the file name / 小写 id，即文件名")
    serve = commands.add_parser("serve", help="build, serve on 127.0.0.1, rebuild on save / 本地预览")
    serve.add_argument("--port", type=int, default=8000)
    edit = commands.add_parser("edit", help="the editors' admin on this computer: forms at "
                                            "http://127.0.0.1:8000/admin/ saving into datasets/ / 本地编辑后台")
    edit.add_argument("--port", type=int, default=8000)
    edit.add_argument("--backend-port", type=int, default=8081, help="decap-server's port / decap-server 端口")
    edit.add_argument("--workflow", action="store_true", help="each change a draft branch (cms/…) merged into main "
                                                             "when published, as online / 草稿分支，发布时合并")
    commands.add_parser("schemas", help="regenerate the editors' JSON Schemas, VS Code settings and the admin's "
                                        "forms / 生成编辑器提示与编辑后台表单")
    live = commands.add_parser("live", help="fetch the partner feeds and rewrite only the live files of the built "
                                             "site (crowd levels, CAP, feeds), no MkDocs / 实时更新")
    live.add_argument("--sources", type=Path, help="the partner sources file (default datasets/sources.yaml)")
    live.add_argument("--no-fetch", action="store_true", help="rewrite the live files from the data as it is")
    deploy = commands.add_parser("deploy", help="upload site/ to S3-compatible storage, only what changed "
                                                "/ 发布到对象存储")
    deploy.add_argument("target", help="s3://BUCKET[/PREFIX]")
    deploy.add_argument("--endpoint", help="the provider's S3 endpoint, e.g. https://oss-cn-chengdu.aliyuncs.com "
                                           "(default: AWS, or $HUB_S3_ENDPOINT)")
    deploy.add_argument("--addressing", choices=("auto", "virtual", "path"), default="auto",
                        help="bucket in the host name (virtual; Aliyun OSS needs it) or in the path")
    deploy.add_argument("--site", type=Path, help="the built site to upload (default: site/)")
    deploy.add_argument("--dry-run", action="store_true", help="say what would change, change nothing / 只列出变化")
    deploy.add_argument("--allow-local-url", action="store_true",
                        help="upload a site built for 127.0.0.1 (a local test bucket) / 允许本机网址")
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except RepositoryBusy as busy:
        print(busy, file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    root = args.project.resolve()
    if args.command == "fetch":
        return _fetch(root, args.sources)
    if args.command == "serve":
        from tourhub.serve import serve as serve_site
        serve_site(root, args.port)
        return 0
    if args.command == "edit":
        from tourhub.serve import edit
        return edit(root, args.port, args.backend_port, args.workflow)
    if args.command == "new":
        return _new(root, args.kind, args.id)
    if args.command == "deploy":
        return _deploy(root, args)
    if args.command == "live":
        return _live(root, args)
    if args.command == "schemas":
        from tourhub.check.descriptor import load_package
        from tourhub.editors.admin_config import write_admin_configs
        from tourhub.editors.json_schemas import write_editor_files
        package, problems = load_package(root / "datasets")
        if package is None:
            print(format_text(problems))
            return 1
        for path in write_editor_files(root, package) + write_admin_configs(root, package):
            print(path.relative_to(root), file=sys.stderr)
        return 0

    if args.command == "check":
        problems = pipeline.check(root, demo=args.demo).problems
        output = {"json": format_json, "github": format_github, "text": format_text}[args.format](problems)
        if args.summary:
            with args.summary.open("a", encoding="utf-8") as summary:
                summary.write(format_summary(problems))
        if output:
            print(output)
        if args.format != "json":
            print(_summary(problems), file=sys.stderr)
        return 1 if has_errors(problems) else 0

    url, origin = pipeline.site_url_and_origin(root)
    if args.publish and pipeline.local_url(url):
        print(_LOCAL_URL.format(url=url), file=sys.stderr)
        return 1
    print(f"网址 / site URL: {url} ({origin})", file=sys.stderr)
    result = pipeline.build(root, demo=args.demo, incremental=not args.full)
    stages = _reported(result, "构建失败，site/ 保持不变 / Build failed; site/ is unchanged.")
    if stages is None:
        return 1
    where = "build/demo-site/（演示 / demo）" if args.demo else "site/"
    print(f"{where} 已更新 / updated: {result.plan} ({stages})", file=sys.stderr)
    return 0


def _new(root: Path, kind: str, record_id: str) -> int:
    from datetime import datetime

    from tourhub.editors.scaffold import new_file
    validated = pipeline.check(root)
    areas = [a for a in validated.typed.get("scenic_areas", []) if a.get("id") and a.get("admin_code")
             and a.get("lon") is not None and a.get("lat") is not None]
    if len(areas) < 2:
        print("景区数据无法读取，请先修正 / the scenic areas cannot be read: fix them first (make check)",
              file=sys.stderr)
        return 1
    try:
        path = new_file(root, kind, record_id, areas, datetime.now(UTC))
    except (ValueError, FileExistsError) as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{path.relative_to(root)}：按注释修改 TODO 项后运行 make check / edit the TODOs, then run make check",
          file=sys.stderr)
    return 0


def _fetch(root: Path, sources: Path | None) -> int:
    from datetime import datetime

    from tourhub.partners.fetch import fetch_all
    outcomes, stopped = fetch_all(root, datetime.now(UTC), sources_file=sources)
    problems = stopped + [p for outcome in outcomes for p in outcome.problems]
    if problems:
        print(format_text(problems))
    for o in outcomes:
        print(f"{o.source_id}: {o.status} · {o.accepted} 行收到 / rows received · {o.added} 新增 / added · "
              f"{o.unchanged} 已有 / unchanged · {o.conflicts} 冲突 / conflicts", file=sys.stderr)
    failed = has_errors(stopped) or any(not o.ok for o in outcomes)
    print("有数据源失败，已保留全部有效数据 / Some feeds failed; everything good was kept." if failed
          else f"{len(outcomes)} 个数据源全部成功 / all {len(outcomes)} feeds succeeded.", file=sys.stderr)
    return 1 if failed else 0


def _live(root: Path, args: argparse.Namespace) -> int:
    """Readings to the visitor's screen in seconds: fetch (every good row kept, as `fetch`), then
    rewrite the live files only. Fails (1) when a feed failed or the data has an error."""
    fetched = 0 if args.no_fetch else _fetch(root, args.sources)
    result = pipeline.live(root, demo=args.demo)
    stages = _reported(result, "实时文件未改动 / The live files are unchanged.")
    if stages is None:
        return 1
    print(f"实时文件：{len(result.written)} 个已更新，{result.unchanged} 个不变 / live files: "
          f"{len(result.written)} rewritten, {result.unchanged} unchanged ({stages})", file=sys.stderr)
    for path in result.written:
        print(f"  {path}", file=sys.stderr)
    return fetched


_LOCAL_URL = ("网址 {url} 只在本机可用：发布前请设置 HUB_SITE_URL（访客使用的网址，例如 https://travel.example.gov.cn/）"
              "或 mkdocs.yml 的 site_url，然后重新构建。\n"
              "The site URL {url} only works on this machine: set HUB_SITE_URL (the address visitors use, e.g. "
              "https://travel.example.gov.cn/) or site_url in mkdocs.yml, and build again before publishing.")


def _built_url(site: Path) -> str | None:
    """The site URL a built site was made with (its sitemap's first address), if it says."""
    import re
    try:
        found = re.search(r"<loc>([^<]+)</loc>", (site / "sitemap.xml").read_text("utf-8"))
    except OSError:
        return None
    return found.group(1) if found else None


def _deploy(root: Path, args: argparse.Namespace) -> int:
    import os

    from tourhub.core.lock import repository_lock
    from tourhub.deploy.s3 import DeployFailed, run
    site = (args.site or root / "site").resolve()
    built_url = _built_url(site)
    if built_url and pipeline.local_url(built_url) and not args.allow_local_url:
        print(_LOCAL_URL.format(url=built_url), file=sys.stderr)
        return 1
    try:
        with repository_lock(root, f"deploy {args.target}"):     # no build swaps site/ while it is read
            run(site, args.target, endpoint=args.endpoint or os.environ.get("HUB_S3_ENDPOINT"),
                dry_run=args.dry_run, addressing=args.addressing,
                say=lambda line: print(line, file=sys.stderr, flush=True))
    except DeployFailed as failed:
        print(f"发布失败 / deploy failed: {failed}", file=sys.stderr)
        return 1
    return 0


def _reported(result: pipeline.BuildResult | pipeline.LiveResult, unchanged: str) -> str | None:
    """Print a build's or live run's problems; if it failed, say why and what stayed unchanged
    (None), else give its stage timings."""
    if result.problems:
        print(format_text(result.problems))
    if not result.ok:
        print(result.error or _summary(result.problems), file=sys.stderr)
        print(unchanged, file=sys.stderr)
        return None
    return ", ".join(f"{name} {seconds:.2f}s" for name, seconds in result.timings.items())


def _summary(problems) -> str:
    if not problems:
        return "没有发现问题 / No problems found."
    return f"发现 {len(problems)} 个问题 / {len(problems)} problem(s) found."


if __name__ == "__main__":
    sys.exit(main())
