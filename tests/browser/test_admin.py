"""Bureau staff edit in a browser: /admin/ (Decap CMS, self-hosted) on a copy of the project,
saving through the real decap-server (pinned in package.json) into the working copy, exactly
as `make edit` runs it. What the forms write must pass `build.py check` and reach the built site;
a form left invalid cannot be saved and says why, in Chinese."""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, _serve
from tests.conftest import SHIPPED_AT
from tourhub import pipeline
from tourhub.check.load import load_yaml
from tourhub.check.problems import has_errors
from tourhub.editors.local_edit import DECAP_SERVER, decap_server_command

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NOTICE_ID = "huayingshan-admin-test-closure"
ROUTE = "huayingshan-red-hongyan"
ADDED_TO_SUMMARY = "（编辑后台测试：本句由表单加入。）"


def _copy_project(target: Path) -> Path:
    """The shipped project as an editor's working copy: datasets, site sources, configuration."""
    target.mkdir(parents=True)
    shutil.copy(ROOT / "mkdocs.yml", target / "mkdocs.yml")
    for name in ("datasets", "site_src"):
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns(".*"))
    return target


def _build(project: Path, cache: Path) -> pipeline.BuildResult:
    return pipeline.build(project, now=SHIPPED_AT, cache_dir=cache, node_modules=ROOT / "node_modules")


@pytest.fixture(scope="module")
def working_copy(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("admin")
    project = _copy_project(out / "project")
    result = _build(project, out / "cache")
    assert result.ok, result.error or [p.to_text() for p in result.problems]
    assert (project / "site" / "admin" / "index.html").is_file()
    return project


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _decap_server(working_copy: Path, log: Path, workflow: bool = False):
    """decap-server against the working copy, on a free port of 127.0.0.1, as `make edit` starts it."""
    assert DECAP_SERVER.is_file(), "npm ci installs decap-server (package.json devDependencies)"
    port = _free_port()
    command, env = decap_server_command(working_copy, port, workflow)
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=os.environ | env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, log.read_text("utf-8", "replace")
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def backend_port(working_copy: Path, tmp_path_factory):
    """decap-server (file-system mode: saves go straight into the files) against the working copy."""
    with _decap_server(working_copy, tmp_path_factory.mktemp("decap-log") / "decap-server.log") as port:
        yield port


@pytest.fixture(scope="module")
def admin_site(working_copy: Path):
    yield from _serve(working_copy / "site")


def _open_admin(visit, admin_site: str, port: int, path: str = "admin/", login: str = "登录"):
    one = visit(DESKTOP)
    one.page.goto(f"{admin_site}{path}?port={port}")
    one.page.get_by_role("button", name=login).click()
    return one


def _field(page, label: str):
    """The form field labelled `label` (Decap adds " (可选)" / " (optional)" to optional ones)."""
    return page.get_by_label(re.compile("^" + re.escape(label) + r"( \((可选|optional)\))?$"))


def _choose(page, label: str, typed: str) -> None:
    """A select or a relation: type to search, take the first option offered."""
    _field(page, label).fill(typed)
    page.locator("[class*='-option']").first.wait_for()
    page.keyboard.press("Enter")


def _publish(page) -> None:
    page.get_by_role("button", name="发布").first.click()
    page.get_by_text("立即发布").click()


def _text_values(path: Path):
    """The file's values as the strict loader sees them: every scalar as its text."""
    return yaml.load(path.read_text("utf-8"), Loader=yaml.BaseLoader)


NOTICE_FIELDS = {
    "标识": NOTICE_ID, "事件（中文）": "临时封闭", "事件（英文）": "Temporary closure",
    "发布时间": "2026-11-30T09:00:00+08:00", "生效时间": "2026-11-30T09:00:00+08:00", "失效时间": "2026-12-31",
    "发布单位（中文）": "测试发布单位", "发布单位（英文）": "Test issuer",
    "标题（中文）": "华蓥山编辑后台测试提示", "标题（英文）": "Huayingshan admin test notice",
    "详情（中文）": "编辑后台测试：此提示只存在于测试的工作副本中。",
    "详情（英文）": "Admin test: this notice exists only in the test's working copy.",
    "建议（中文）": "无需采取行动。", "建议（英文）": "No action needed.",
    "影响范围（中文）": "华蓥山", "影响范围（英文）": "Huaying Mountain",
    "来源": "https://wlt.sc.gov.cn/", "核实人": "测试 / test",
}
NOTICE_CHOICES = {"状态（CAP）": "Actual", "消息类型（CAP）": "Alert", "类别（CAP）": "Safety",
                  "紧迫程度（CAP）": "Expected", "严重程度（CAP）": "Minor", "确定程度（CAP）": "Likely"}


def test_an_editor_creates_a_notice_and_edits_a_route_and_the_built_site_shows_both(
        visit, admin_site, backend_port, working_copy, tmp_path):
    route_file = working_copy / "datasets" / "routes" / f"{ROUTE}.yaml"
    header = "# Route - format: datasets/README.md\n# (a comment the admin keeps)\n"
    route_file.write_text(header + route_file.read_text("utf-8"), encoding="utf-8")
    route_before = _text_values(route_file)
    one = _open_admin(visit, admin_site, backend_port)
    page = one.page

    page.goto(f"{admin_site}admin/?port={backend_port}#/collections/safety_notices/new")
    for label, value in NOTICE_FIELDS.items():
        _field(page, label).fill(value)
    for label, value in NOTICE_CHOICES.items():
        _choose(page, label, value)
    _field(page, "核实日期").fill("2026-11-30")
    _choose(page, "安全提示涉及景区", "华蓥山")
    _publish(page)
    notice_file = working_copy / "datasets" / "notices" / f"{NOTICE_ID}.yaml"
    page.wait_for_function("() => !location.hash.endsWith('/new')")
    _wait_for(notice_file.is_file, "the notice saved into the working copy")
    one.screenshot("admin-notice-saved")

    page.goto(f"{admin_site}admin/?port={backend_port}#/collections/routes")
    page.get_by_text("伟人故里·华蓥山·红岩").first.click()
    summary = _field(page, "简介（中文）")
    expect(summary).to_have_value(route_before["summary_zh"])     # the entry has loaded into the form
    summary.fill(route_before["summary_zh"] + ADDED_TO_SUMMARY)
    expect(summary).to_have_value(route_before["summary_zh"] + ADDED_TO_SUMMARY)
    _publish(page)
    _wait_for(lambda: ADDED_TO_SUMMARY in route_file.read_text("utf-8"), "the route saved into the working copy")
    assert one.errors == [] and one.csp_violations == []
    assert one.foreign_requests == []

    # the files are in the working copy, in a shape the strict loader accepts
    document, problems = load_yaml(notice_file, f"datasets/notices/{NOTICE_ID}.yaml")
    assert problems == []
    notice = _text_values(notice_file)
    assert notice["id"] == NOTICE_ID and notice["spots"] == ["huayingshan"]
    assert notice["expires"] == "2026-12-31" and notice["illustrative"] == "false"
    assert notice["checked_on"] == "2026-11-30"
    assert "effective" in notice and "admin_codes" not in notice      # empty fields are left out
    route_after = _text_values(route_file)
    assert route_after["summary_zh"] == route_before["summary_zh"] + ADDED_TO_SUMMARY
    assert {k: v for k, v in route_after.items() if k != "summary_zh"} == \
           {k: v for k, v in route_before.items() if k != "summary_zh"}     # nothing else changed
    assert isinstance(route_after["days"][0]["stops"][0]["leg"], dict)      # one way stays one mapping
    assert route_file.read_text("utf-8").startswith(header)                # the file's leading comment
    assert load_yaml(route_file, f"datasets/routes/{ROUTE}.yaml")[1] == []

    # build.py check passes, and the built site shows both changes
    assert not has_errors(pipeline.check(working_copy).problems)
    result = _build(working_copy, tmp_path / "cache")
    assert result.ok, result.error or [p.to_text() for p in result.problems]
    site = working_copy / "site"
    assert "华蓥山编辑后台测试提示" in (site / "notices" / NOTICE_ID / "index.html").read_text("utf-8")
    assert ADDED_TO_SUMMARY in (site / "routes" / ROUTE / "index.html").read_text("utf-8")


def test_a_notice_form_left_invalid_cannot_be_saved_and_says_why_in_chinese(
        visit, admin_site, backend_port, working_copy):
    notices = working_copy / "datasets" / "notices"
    before = sorted(path.name for path in notices.iterdir())
    one = _open_admin(visit, admin_site, backend_port)
    page = one.page
    page.goto(f"{admin_site}admin/?port={backend_port}#/collections/safety_notices/new")
    fields = dict(NOTICE_FIELDS, **{"标识": "expires-before-effective", "生效时间": "2026-12-10",
                                    "失效时间": "2026-12-01T18:00:00+08:00"})
    del fields["标题（中文）"]                                   # the Chinese headline left out
    for label, value in fields.items():
        _field(page, label).fill(value)
    for label, value in NOTICE_CHOICES.items():
        _choose(page, label, value)
    _field(page, "核实日期").fill("2026-11-30")
    _publish(page)
    page.get_by_text("“标题（中文）”是必填项").wait_for()
    order = page.get_by_text("必须晚于生效时间")
    order.wait_for()
    assert "2026-12-01T18:00:00+08:00" in order.inner_text() and "2026-12-10" in order.inner_text()
    one.screenshot("admin-notice-invalid")
    time.sleep(1)
    assert sorted(path.name for path in notices.iterdir()) == before
    assert "/new" in page.url


def test_the_admin_is_in_english_at_en_admin(visit, admin_site, backend_port):
    one = _open_admin(visit, admin_site, backend_port, "en/admin/", "Login")
    page = one.page
    page.get_by_text("Safety notices").first.wait_for()
    assert page.get_by_text("Contents").first.is_visible() and not page.get_by_text("Media").first.is_visible()
    page.goto(f"{admin_site}en/admin/?port={backend_port}#/collections/safety_notices/new")
    chinese, english = _field(page, "Headline (Chinese)"), _field(page, "Headline (English)")
    chinese.wait_for()
    assert page.get_by_text("Short headline").first.is_visible()
    # on a laptop screen each Chinese field and its English twin sit side by side (admin.css)
    left, right = chinese.bounding_box(), english.bounding_box()
    assert left and right and abs(left["y"] - right["y"]) < 2 and right["x"] > left["x"] + left["width"]
    assert one.foreign_requests == []


_NUMBER = re.compile(r"[-+]?[0-9]+(\.[0-9]*)?")


def _values(text: str):
    """A file's values as text, numbers as numbers (a form holds 0.0 as the number 0)."""
    def value(node):
        if isinstance(node, dict):
            return {key: value(item) for key, item in node.items()}
        if isinstance(node, list):
            return [value(item) for item in node]
        return float(node) if _NUMBER.fullmatch(node) else node
    return value(yaml.load(text, Loader=yaml.BaseLoader))


def test_the_admin_format_writes_every_shipped_file_so_that_the_strict_loader_reads_the_same_values(
        visit, admin_site, backend_port, tmp_path):
    """The CMS's YAML format (admin.js) over every file it edits: the strict loader accepts what it
    writes, every value reads back the same (a number may lose a trailing .0), and writing again
    changes nothing."""
    one = visit(DESKTOP)
    one.page.goto(f"{admin_site}admin/?port={backend_port}")
    one.page.wait_for_function("() => window.hubAdminFormat && window.CMS")
    files = sorted(path for folder in ("notices", "routes", "spots", "standards", "certifications", "capacities")
                   for path in (ROOT / "datasets" / folder).glob("*.yaml"))
    tricky = ("- id: tricky\n  code: '0571'\n  answer: 'yes'\n  day: '2024-09-29'\n  admin_code: '510000'\n"
              "  note: 'a: b # c'\n  text: \"line one\\nline two\"\n  checked_on: 2026-11-30\n")
    texts = [path.read_text("utf-8") for path in files] + [tricky]
    written = one.page.evaluate("""texts => texts.map(text => {
        const format = window.hubAdminFormat;
        format.configure({plain_dates: ['checked_on'], one_or_list: ['leg']});
        const once = format.toFile(format.fromFile(text), []);
        return [once, format.toFile(format.fromFile(once), [])];
    })""", texts)
    identical = 0
    for index, (once, twice) in enumerate(written):
        name = files[index].relative_to(ROOT).as_posix() if index < len(files) else "tricky.yaml"
        assert once == twice, name
        target = tmp_path / f"{index}.yaml"
        target.write_text(once, encoding="utf-8")
        assert load_yaml(target, name)[1] == [], name
        assert _values(once) == _values(texts[index]), name
        identical += once == texts[index]
    assert "code: '0571'" in written[-1][0] and "answer: 'yes'" in written[-1][0]
    assert "day: '2024-09-29'" in written[-1][0] and "checked_on: 2026-11-30" in written[-1][0]
    print(f"{identical} of {len(files)} shipped files written byte for byte as they are")


def test_make_edit_serves_the_admin_and_the_working_copy_together(working_copy):
    """`make edit` (build.py edit): the site with its admin, and decap-server answering for the
    working copy; Ctrl-C stops both."""
    import json
    import signal
    import urllib.request
    site_port, backend = _free_port(), _free_port()
    process = subprocess.Popen([str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "build.py"), "--project",
                                str(working_copy), "edit", "--port", str(site_port), "--backend-port", str(backend)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{site_port}/admin/", timeout=2).read().decode()
                request = urllib.request.Request(f"http://127.0.0.1:{backend}/api/v1", data=b'{"action": "info"}',
                                                 headers={"Content-Type": "application/json"})
                info = json.loads(urllib.request.urlopen(request, timeout=2).read())
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.5)
        assert 'id="hub-admin-settings"' in page and "decap-cms.js" in page
        assert info == {"repo": working_copy.name, "publish_modes": ["simple"], "type": "local_fs"}
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0].decode("utf-8", "replace")
    assert f"http://127.0.0.1:{site_port}/admin/?port={backend}" in output
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", backend), timeout=1).close()


def _git(project: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(project), *args], check=True, capture_output=True, text=True).stdout


def _wait_for(condition, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_with_the_editorial_workflow_a_change_is_a_checked_draft_branch_until_it_is_published(
        visit, admin_site, tmp_path):
    """`make edit` with --workflow, as online: a save is a draft on its own branch; main does not
    change until the draft is set ready and published; the check a pull request runs passes on it."""
    project = _copy_project(tmp_path / "project")
    _git(project, "init", "-q", "-b", "main")
    _git(project, "config", "user.email", "editor@example.invalid")
    _git(project, "config", "user.name", "Admin test")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "the shipped data")
    path = f"datasets/routes/{ROUTE}.yaml"
    branch = f"cms/routes/{ROUTE}"
    with _decap_server(project, tmp_path / "decap-server.log", workflow=True) as port:
        one = _open_admin(visit, admin_site, port)
        page = one.page
        page.on("dialog", lambda dialog: dialog.accept())       # "publish now?" asks first
        page.goto(f"{admin_site}admin/?port={port}#/collections/routes")
        page.get_by_text("伟人故里·华蓥山·红岩").first.click()
        summary = _field(page, "简介（中文）")
        before = _text_values(project / path)["summary_zh"]
        expect(summary).to_have_value(before)
        summary.fill(before + ADDED_TO_SUMMARY)
        expect(summary).to_have_value(before + ADDED_TO_SUMMARY)
        page.get_by_role("button", name="保存").first.click()
        _wait_for(lambda: branch in _git(project, "branch", "--list", branch), "a draft branch")
        page.get_by_text("状态: 草稿").wait_for()

        assert ADDED_TO_SUMMARY not in _git(project, "show", f"main:{path}")         # main unchanged
        assert ADDED_TO_SUMMARY in _git(project, "show", f"{branch}:{path}")
        draft = tmp_path / "draft"                   # the check a pull request runs, on the draft
        _git(project, "worktree", "add", "-q", str(draft), branch)
        assert not has_errors(pipeline.check(draft).problems)
        _git(project, "worktree", "remove", "--force", str(draft))

        page.get_by_text("状态: 草稿").click()
        page.get_by_role("menuitem", name="审核中").click()         # in review: a pull request online
        page.get_by_text("状态: 审核中").wait_for()
        page.get_by_text("状态: 审核中").click()
        page.get_by_role("menuitem", name="就绪").click()           # ready to publish
        page.get_by_text("状态: 就绪").wait_for()
        page.get_by_role("button", name="发布").first.click()
        page.get_by_text("立即发布").click()
        _wait_for(lambda: ADDED_TO_SUMMARY in _git(project, "show", f"main:{path}"), "published into main")
        _wait_for(lambda: not _git(project, "branch", "--list", branch), "the draft branch merged and removed")
        one.screenshot("admin-workflow-published")
