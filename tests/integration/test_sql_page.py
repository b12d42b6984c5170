"""The SQL page's engine is copied from npm's node_modules at build time: a build without it
(`make site` needs Python only) still succeeds and its SQL page says so and links the downloads;
with it, the engine sits under a versioned path and never in the service worker's precache."""
from __future__ import annotations

import html
import json
import re

import pytest

from tests.conftest import NOW
from tourhub import pipeline
from tourhub.site.offline import precache_list
from tourhub.site.sql_console import ARROW_IMPORT, READY_QUERIES, EngineChanged, module_text


def test_a_build_without_the_engine_succeeds_and_offers_the_downloads(project, tmp_path):
    result = pipeline.build(project, NOW, node_modules=tmp_path / "no-node-modules")
    assert result.ok, result.error
    site = project / "site"
    for page, text in (("data/sql/index.html", "本次构建未包含 SQL 查询引擎"),
                       ("en/data/sql/index.html", "SQL is not available in this build")):
        html = (site / page).read_text("utf-8")
        assert text in html
        assert 'capacities.csv">' in html and "sql.js" not in html
    assert not (site / "assets" / "duckdb").exists()
    assert 'href="sql/"' in (site / "data" / "index.html").read_text("utf-8")


def test_the_engine_is_published_by_version_and_never_precached(production_site):
    site = production_site.folder
    engines = list((site / "assets" / "duckdb").iterdir())
    assert len(engines) == 1
    version = json.loads((pipeline.NODE_MODULES / "@duckdb" / "duckdb-wasm" / "package.json").read_text())["version"]
    assert engines[0].name == version
    module = (engines[0] / "duckdb-browser.mjs").read_text("utf-8")
    assert ARROW_IMPORT not in module and module.count('from"./arrow.mjs"') == 2
    assert not [path for path in precache_list(site) if "duckdb" in path or path.endswith(".wasm")]
    sql_page = (site / "data" / "sql" / "index.html").read_text("utf-8")
    assert f"assets/duckdb/{version}/" in sql_page and "sql.js" in sql_page
    home = (site / "index.html").read_text("utf-8")
    assert "duckdb" not in home and "sql.js" not in home


def test_the_webassembly_is_published_gzipped_and_unzips_to_the_npm_file(production_site):
    """18 MB become about 4 MB on disk and on the wire, whatever the host compresses."""
    import gzip
    (engine,) = (production_site.folder / "assets" / "duckdb").iterdir()
    published = engine / "duckdb-eh.wasm.gz"
    original = pipeline.NODE_MODULES / "@duckdb" / "duckdb-wasm" / "dist" / "duckdb-eh.wasm"
    assert not (engine / "duckdb-eh.wasm").exists()
    assert gzip.decompress(published.read_bytes()) == original.read_bytes()
    assert published.stat().st_size < original.stat().st_size / 3


def test_a_changed_upstream_module_fails_the_build_loudly():
    with pytest.raises(EngineChanged):
        module_text(f"import*as u {ARROW_IMPORT};")


def page_queries(page: str) -> dict[str, str]:
    """The ready queries as the built page hands them to sql.js (its data-config)."""
    config = re.search(r'data-config="([^"]*)"', page)
    assert config, "no data-config on the SQL page"
    return json.loads(html.unescape(config.group(1)))["queries"]


def test_ready_queries_explain_themselves_in_the_page_language_over_one_sql_text(production_site):
    """A partner reading the Chinese page reads Chinese comments above a ready query, the English
    page English ones; below them is the same SQL on both, the text the tests run in DuckDB."""
    site = production_site.folder
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for lang, page in (("zh", "data/sql/index.html"), ("en", "en/data/sql/index.html")):
        queries = page_queries((site / page).read_text("utf-8"))
        assert set(queries) == set(READY_QUERIES)
        for name, text in queries.items():
            comments = [line for line in text.splitlines() if line.startswith("--")]
            body = "".join(line + "\n" for line in text.splitlines() if not line.startswith("--"))
            assert comments, (lang, name)
            assert all(bool(cjk.search(line)) == (lang == "zh") for line in comments), (lang, name, comments)
            assert body == READY_QUERIES[name], (lang, name)
            assert not cjk.search(body), (lang, name)       # identifiers and values stay one text
