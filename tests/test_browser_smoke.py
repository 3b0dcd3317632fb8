"""The browser harness itself: a real `rapidreview serve` subprocess and Debian's Chromium."""

import pytest

pytestmark = pytest.mark.browser


def test_summary_page_in_chromium(run, review_path, live_server, page):
    assert run("import", review_path, "corpora/healthwatch-sample/survey-2025-q2.csv",
               "--mapping", "corpora/healthwatch-sample/survey-mapping.yaml").exit_code == 0
    server = live_server(review_path)
    page.goto(server.url + "/-/rapidreview")
    assert page.locator("h1").inner_text() == "Review summary"
    # The sources table lists the imported file, linked to its documents.
    link = page.locator("table.rr-table a", has_text="survey-2025-q2.csv")
    link.click()
    page.wait_for_url("**/documents?source_id=*")
    assert "survey-2025-q2.csv" in page.content() or page.locator("table.rows-and-columns").count() == 1
