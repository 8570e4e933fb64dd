"""Saved conversations in a real browser: they outlive a page reload and a server restart.

Servers are started as tests/test_ui_e2e.py starts them (`python -m
assistant serve` in a subprocess, its helpers reused), over one index of two
sample documents: first without keys (everyone is "local"), then with two
keys, where each key sees only its own conversations, in the web app and
over `/api/conversations` alike.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from test_ui_e2e import ARTIFACTS, CHROMIUM, _serving, ask, indexed_site, new_page, playwright_api, shot

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed (apt-get install chromium; .ci/run does it)"),
]

DOCS = ("iom_aap_evaluation_brief_2024.pdf", "ilo_responsible_value_chains_asia_final_evaluation_2024_summary.txt")
AAP_TITLE = "Evaluation of IOM Accountability to Affected Populations"
QUESTION = "Were the resources allocated to central AAP functions adequate?"
FOLLOW_UP = "What did the evaluation recommend on complaints and feedback mechanisms?"
KEY_A = "e2e-conversations-key-a-0123"
KEY_B = "e2e-conversations-key-b-0123"
LIST = "#ea-conv-list label"
FINAL = "#ea-chat .ea-answer:not(.ea-pending), #ea-chat .ea-notfound"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """An index of two sample documents; yields (folder, environment without keys, common serve arguments)."""
    base = tmp_path_factory.mktemp("conversations-e2e")
    env, common = indexed_site(base, DOCS)
    return base, env, common


@pytest.fixture(scope="module")
def chromium():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


def open_app(browser, url: str):
    context, page = new_page(browser)
    page.goto(url + "/")
    page.wait_for_selector("#ea-question textarea")
    return context, page


def listed(page, text: str):
    return page.locator(LIST).filter(has_text=text)


def api(url: str, path: str, key: str | None = None) -> list | dict:
    request = urllib.request.Request(url + path, headers={"X-API-Key": key} if key else {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def test_a_conversation_survives_a_reload_and_a_restart(site, chromium):
    base, env, common = site
    with _serving(base, env, common) as url:
        context, page = open_app(chromium, url)
        try:
            ask(page, QUESTION)
            answer = page.locator(FINAL).last.inner_text()
            assert page.locator("#ea-chat .ea-source").count() >= 1
            listed(page, QUESTION).wait_for()  # saved as soon as it is answered, titled by the question
            ask(page, FOLLOW_UP)  # a follow-up goes into the same conversation
            page.wait_for_function("n => document.querySelectorAll('#ea-conv-list label').length === n", arg=1)

            page.reload()
            page.wait_for_selector("#ea-question textarea")
            listed(page, QUESTION).wait_for()
            assert page.locator(FINAL).count() == 0  # a fresh page: nothing open until one is picked
            listed(page, QUESTION).click()
            page.locator("#ea-chat .ea-source").first.wait_for()
            assert page.locator(FINAL).first.inner_text() == answer
            assert page.locator(FINAL).count() == 2
            assert AAP_TITLE in page.locator("#ea-chat .ea-source .ea-title").first.inner_text()
            assert page.locator("#ea-conv-title input, #ea-conv-title textarea").first.input_value() == QUESTION
            shot(page, "10-conversation-reopened")
            with page.expect_download() as info:
                page.click("#ea-conv-export")
            markdown = Path(info.value.path()).read_text(encoding="utf-8")
            assert markdown.startswith(f"# {QUESTION}\n")
            assert f"## 1. {QUESTION}" in markdown and f"## 2. {FOLLOW_UP}" in markdown
            assert f"- [1] **{AAP_TITLE}" in markdown and "IOM" in markdown and "p. " in markdown
        finally:
            context.close()
        saved = api(url, "/api/conversations")
        assert [c["title"] for c in saved] == [QUESTION]

    with _serving(base, env, common) as url:  # a new server process over the same index
        context, page = open_app(chromium, url)
        try:
            listed(page, QUESTION).click()
            page.locator("#ea-chat .ea-source").first.wait_for()
            assert page.locator(FINAL).first.inner_text() == answer
            # Rename, then delete: the list follows, and so does the API.
            title = page.locator("#ea-conv-title input, #ea-conv-title textarea").first
            renamed = '<img src=x onerror="window.__owned=1">AAP resources'  # a title is text, never markup
            title.fill(renamed)
            page.click("#ea-conv-rename")
            listed(page, "AAP resources").wait_for()
            assert listed(page, QUESTION).count() == 0
            assert page.locator("#ea-conv-list img").count() == 0 and page.evaluate("() => window.__owned") is None
            assert [c["title"] for c in api(url, "/api/conversations")] == [renamed]
            page.click("#ea-conv-delete")
            page.wait_for_function("() => document.querySelectorAll('#ea-conv-list label').length === 0")
            assert page.locator(FINAL).count() == 0
            assert api(url, "/api/conversations") == []
        finally:
            context.close()


def sign_in(browser, url: str, key: str):
    context, page = new_page(browser)
    page.goto(url + "/")
    page.wait_for_url("**/signin**")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#ea-question textarea")
    return context, page


def test_each_key_sees_its_own_conversations(site, chromium):
    base, env, common = site
    keyed = {**env, "ASSISTANT_API_KEYS": f"{KEY_A},{KEY_B}"}
    with _serving(base, keyed, common, headers={"X-API-Key": KEY_A}) as url:
        context, page = sign_in(chromium, url, KEY_A)
        try:
            ask(page, QUESTION)
            listed(page, QUESTION).wait_for()
        finally:
            context.close()
        # Over the API the same key finds what its browser session saved; the other key finds nothing.
        assert [c["title"] for c in api(url, "/api/conversations", KEY_A)] == [QUESTION]
        assert api(url, "/api/conversations", KEY_B) == []
        context, page = sign_in(chromium, url, KEY_B)
        try:
            ask(page, FOLLOW_UP)
            listed(page, FOLLOW_UP[:50]).wait_for()  # B's list, loaded and refreshed (a long title is cut): its own only
            assert page.locator(LIST).count() == 1 and listed(page, QUESTION).count() == 0
            shot(page, "11-conversations-other-key")
        finally:
            context.close()
