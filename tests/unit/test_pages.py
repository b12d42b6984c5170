"""Helpers that turn the model into pages: links that survive MkDocs' directory URLs, text that
cannot become markup, colours that stay readable, charts that stay small."""
from __future__ import annotations

import pytest

from tourhub.site.pages import html_link, md, text_colour_on, thinned, url_of


@pytest.mark.parametrize("source, url", [
    ("index.md", ""), ("routes/index.md", "routes/"), ("routes/red.md", "routes/red/"),
    ("en/areas/dazu.md", "en/areas/dazu/"), ("assets/js/hub.js", "assets/js/hub.js")])
def test_pages_get_the_directory_urls_mkdocs_gives_them(source, url):
    assert url_of(source) == url


@pytest.mark.parametrize("source, target, href", [
    ("routes/red.md", "areas/dazu.md", "../../areas/dazu/"),
    ("crowds/index.md", "areas/dazu.md", "../areas/dazu/"),
    ("index.md", "areas/dazu.md", "areas/dazu/"),
    ("en/routes/red.md", "pagefind/pagefind-ui.js", "../../../pagefind/pagefind-ui.js"),
    ("routes/red.md", "index.md", "../../"),
])
def test_raw_html_links_resolve_from_the_built_page(source, target, href):
    assert html_link(source, target) == href


def test_text_from_data_cannot_become_html_or_markdown():
    out = str(md("<script>alert(1)</script> [x](javascript:y) **b**"))
    assert "<script" not in out and "](" not in out and "**" not in out
    assert "&lt;script&gt;" in out


def test_quotes_stay_readable_in_headings():
    assert str(md("Deng Xiaoping's Hometown")) == "Deng Xiaoping's Hometown"


@pytest.mark.parametrize("background, text", [("#f9a825", "#000"), ("#c62828", "#fff"),
                                              ("#2e7d32", "#fff"), ("#ef6c00", "#000")])
def test_badge_text_is_black_or_white_whichever_reads_better(background, text):
    assert text_colour_on(background) == text


def test_a_long_series_is_thinned_but_keeps_its_latest_point():
    series = list(range(168))
    kept = thinned(series, 84)
    assert len(kept) <= 84 and kept[-1] == 167 and list(kept) == sorted(kept)
    assert thinned([1, 2, 3], 84) == (1, 2, 3)


def test_both_languages_render_alike_in_a_forked_process_and_in_this_one(project):
    from tests.conftest import NOW
    from tourhub.check.validate import validate_datasets
    from tourhub.model.build import build_model
    from tourhub.publish.history import dataset_history
    from tourhub.publish.publication import build_publication
    from tourhub.site.pages import render_language, render_pages
    validated = validate_datasets(project / "datasets", NOW)
    model = build_model(validated.rows, NOW)
    base = "https://example.invalid/"
    catalog = build_publication(validated, model, dataset_history(project, validated.package), base).datasets
    pages = render_pages(model, catalog, base)
    alone = [page for lang in ("zh", "en") for page in render_language(model, catalog, base, lang)]
    assert pages == alone and len(pages) > 20
    assert {page.path.startswith("en/") for page in pages} == {True, False}
