"""The site deployed to a real S3-compatible bucket (SeaweedFS on 127.0.0.1) and served from it
as a CDN would, in Chromium on a phone: pages, styles and scripts all arrive."""
from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer

import pytest

from tests.browser.conftest import PHONE
from tests.integration.test_deploy_s3 import BucketSite, bucket, s3, seaweed, site  # noqa: F401 - fixtures
from tourhub.deploy.s3 import Target, deploy


@pytest.mark.browser
def test_the_site_served_from_the_bucket_works_in_a_browser(seaweed, bucket, site, browser):  # noqa: F811
    deploy(site, Target(bucket, ""), s3(seaweed), say=lambda line: None)
    handler = type("Handler", (BucketSite,), {"client": s3(seaweed), "bucket": bucket})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    route = next(p for p in sorted((site / "routes").iterdir()) if (p / "index.html").is_file())
    context = browser.new_context(viewport=PHONE)
    try:
        for path in ("", "en/", f"routes/{route.name}/"):
            page = context.new_page()
            failed: list[str] = []
            page.on("requestfailed", lambda request, failed=failed: failed.append(request.url))
            page.on("response", lambda response, failed=failed: response.status >= 400 and failed.append(response.url))
            page.goto(base + path, wait_until="networkidle")
            assert page.locator("h1").first.is_visible() and failed == [], (path, failed)
            styled = page.evaluate("getComputedStyle(document.querySelector('.md-header')).position")
            assert styled in ("sticky", "fixed", "relative")              # Material's stylesheet applied
            page.close()
    finally:
        context.close()
        server.shutdown()
        server.server_close()
