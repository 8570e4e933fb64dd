""""View on page" in a real browser: Debian chromium driven by Playwright.

The server runs as in test_ui_e2e.py (its helpers are reused) over its own
index of three sample documents. The checks do not trust the panel: the
image on screen is read back pixel by pixel and must carry the highlight
tint, and the passage view's marked text must be what the source card
highlights. Screenshots go to `artifacts/ui-e2e/`.
"""

from __future__ import annotations

import re

import pytest
from test_ui_e2e import ARTIFACTS, CHROMIUM, _serving, ask, choose, indexed_site, new_page, shot

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extras")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed (apt-get install chromium; .ci/run does it)"),
]

DOCS = (
    "iom_aap_evaluation_brief_2024.pdf",
    "iom_hoa_eu_joint_initiative_management_response_2023.pdf",
    "ilo_responsible_value_chains_asia_final_evaluation_2024_summary.txt",
)
PANEL = "#ea-evidence"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("evidence-e2e")
    env, common = indexed_site(base, DOCS)
    with _serving(base, env, common) as url:
        yield url


@pytest.fixture(scope="module")
def page(server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context, page = new_page(browser)
        page.goto(server + "/")
        page.wait_for_selector("#ea-question textarea")
        yield page
        context.close()
        browser.close()


def shown_tint(page) -> int:
    """Pixels of the image on screen that are paper under a highlight: amber (white tinted to about 255, 214, 56)."""
    return page.evaluate("""() => {
        const img = document.querySelector('#ea-evidence .ea-ev-img');
        const canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
        const ctx = canvas.getContext('2d');
        ctx.drawImage(img, 0, 0);
        const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) {
            if (d[i] > 230 && d[i + 1] > 190 && d[i + 1] < 235 && d[i + 2] < 90) n++;
        }
        return n;
    }""")


def wait_ready(page, n: int) -> None:
    page.wait_for_function(
        "n => { const p = document.querySelector('#ea-evidence'); const i = p && p.querySelector('.ea-ev-img');"
        " return p && !p.hidden && p.dataset.state === 'ready' && p.dataset.page === String(n)"
        " && i && !i.hidden && i.complete && i.naturalWidth > 0; }",
        arg=n,
    )


def test_view_on_page_shows_the_page_with_the_sentence_marked_and_pages_through(page):
    ask(page, "Were the resources allocated to central AAP functions adequate?")
    card = page.locator("#ea-chat .message-row").last.locator(".ea-source").first
    link = card.locator("a.ea-view")
    assert link.inner_text() == "View on page"
    cited = int(re.search(r"/pages/(\d+)\.png\?", link.get_attribute("href")).group(1))
    with page.expect_response(lambda r: re.search(r"/pages/\d+\.png\?highlight=", r.url) is not None) as info:
        link.click()
    response = info.value
    assert response.status == 200 and response.headers["content-type"] == "image/png"
    assert int(response.headers["x-highlights"]) >= 1
    wait_ready(page, cited)
    assert shown_tint(page) > 1000, "the page shown carries no highlight"
    pages = int(response.headers["x-page-count"])
    panel = page.locator(PANEL)
    assert panel.locator(".ea-ev-where").inner_text() == f"Page {cited} of {pages}"
    assert card.locator(".ea-title").inner_text() in panel.locator(".ea-ev-title").inner_text()
    shot(page, "07-evidence-page")
    # Page through: next (or, on the last page, back first), each page loaded and numbered.
    if cited == pages:
        panel.locator(".ea-ev-prev").click()
        wait_ready(page, cited - 1)
        cited -= 1
    with page.expect_response(lambda r: f"/pages/{cited + 1}.png" in r.url) as info:
        panel.locator(".ea-ev-next").click()
    assert info.value.status == 200 and info.value.headers["x-page-count"] == str(pages)
    wait_ready(page, cited + 1)
    assert panel.locator(".ea-ev-where").inner_text() == f"Page {cited + 1} of {pages}"
    assert panel.locator(".ea-ev-next").is_disabled() == (cited + 1 == pages)
    assert not panel.locator(".ea-ev-prev").is_disabled()
    page.keyboard.press("Escape")
    assert panel.is_hidden()


def test_view_on_page_of_a_text_file_shows_the_passage_in_its_section(page):
    choose(page, "ea-f-org", "ILO")
    ask(page, "Was the efficiency of resource usage satisfactory?")
    card = page.locator("#ea-chat .message-row").last.locator(".ea-source").first
    assert card.locator(".ea-file").inner_text().endswith(".txt")
    card_marks = card.locator("mark").all_inner_texts()
    assert card_marks, "the card highlights nothing to compare with"
    with page.expect_response(lambda r: "/passages/" in r.url) as info:
        card.locator("a.ea-view").click()
    assert info.value.status == 200
    page.wait_for_function("() => { const p = document.querySelector('#ea-evidence');"
                           " return !p.hidden && p.dataset.kind === 'passage' && p.dataset.state === 'ready'; }")
    panel = page.locator(PANEL)
    marks = panel.locator(".ea-ev-text mark").all_inner_texts()
    words = lambda s: " ".join(re.findall(r"\w+", s.lower()))  # noqa: E731
    assert marks and words(card_marks[0]) in words(" ".join(marks))
    # The section around the passage is shown too, as text: only our own marks and spans are elements.
    shown, passage = panel.locator(".ea-ev-text").inner_text(), card.locator(".ea-passage").inner_text()
    assert words(passage) in words(shown) and len(shown) > len(passage)
    tags = panel.locator(".ea-ev-text *").evaluate_all("els => [...new Set(els.map(e => e.tagName))]")
    assert set(tags) <= {"MARK", "SPAN"}, tags
    assert panel.locator(".ea-ev-prev").is_hidden() and panel.locator(".ea-ev-img").is_hidden()
    shot(page, "08-evidence-passage")
    panel.locator(".ea-ev-close").click()
    assert panel.is_hidden()
    page.click("text=Clear filters")
