"""The web app in a real browser: Debian chromium driven by Playwright.

A server (`python -m assistant serve`) runs in a subprocess on a free port
over its own index of three sample documents. The checks do not trust the
app about what is right: the page a source card names is opened with pypdf
and must contain the sentence the card highlights, and the CSV export is
parsed and compared with the table on screen. Screenshots go to
`artifacts/ui-e2e/` at the repository root (gitignored); the path is
printed.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "ui-e2e"
DOCS = (
    "ilo_responsible_value_chains_asia_final_evaluation_2024_summary.txt",
    "iom_aap_evaluation_brief_2024.pdf",
    "iom_hoa_eu_joint_initiative_learning_brief_2023.pdf",
)
AAP_TITLE = "Evaluation of IOM Accountability to Affected Populations"
ILO_TITLE = "Building Responsible Value Chains in Asia"

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extras")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed (apt-get install chromium; .ci/run does it)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 180, headers: dict | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"server not up after {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def _serving(base: Path, env: dict, common: list[str], headers: dict | None = None):
    """`eval-assistant serve` on a free port until the block ends; yields its base URL."""
    port = _free_port()
    log = base / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", *common, "--port", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(f"{url}/api/documents", proc, log, headers=headers)
        _wait_up(f"{url}/signin" if headers else f"{url}/", proc, log)  # with a key, the app is behind sign-in
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def indexed_site(base: Path, docs: tuple[str, ...]) -> tuple[dict, list[str]]:
    """Sample documents copied to `base/corpus` and ingested into `base/index` by the CLI;
    returns the environment (no keys, nothing phoning home) and the serve arguments."""
    corpus, index = base / "corpus", base / "index"
    corpus.mkdir()
    for name in docs:
        shutil.copy(CORPUS / name, corpus / name)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "ANONYMIZED_TELEMETRY": "False"}
    env.pop("ASSISTANT_API_KEYS", None)
    env.pop("ASSISTANT_API_KEYS_FILE", None)
    common = ["--index", str(index), "--corpus", str(corpus)]
    subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", *common, str(corpus)],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=300,
    )
    return env, common


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real server over a fresh index of three sample documents; yields (base url, index dir)."""
    base = tmp_path_factory.mktemp("ui-e2e")
    env, common = indexed_site(base, DOCS)
    with _serving(base, env, common) as url:
        yield url, base / "index"


@pytest.fixture(scope="module")
def browser():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    print(f"\nUI screenshots: {ARTIFACTS}")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


def new_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    return context, page


@pytest.fixture(scope="module")
def page(server, browser):
    url, _ = server
    context, page = new_page(browser)
    page.goto(url + "/")
    page.wait_for_selector("#ea-question textarea")
    yield page
    context.close()


def shot(page, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def choose(page, elem_id: str, option: str) -> None:
    """Pick an option in a Gradio dropdown, as a user would."""
    page.click(f"#{elem_id} input")
    page.get_by_role("option", name=option, exact=True).first.click()
    page.keyboard.press("Escape")


def ask(page, question: str) -> None:
    """Ask and wait for the reply to be final (sources, not-found or error)."""
    before = page.locator("#ea-chat .ea-answer:not(.ea-pending), #ea-chat .ea-notfound, #ea-chat .ea-error").count()
    page.fill("#ea-question textarea", question)
    page.click("#ea-ask")
    page.wait_for_function(
        "n => document.querySelectorAll('#ea-chat .ea-answer:not(.ea-pending), #ea-chat .ea-notfound, #ea-chat .ea-error').length > n",
        arg=before,
    )


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def test_chat_answer_cites_the_right_document_and_page(page, server):
    url, _ = server
    ask(page, "Were the resources allocated to central AAP functions adequate?")
    cards = page.locator("#ea-chat .ea-source")
    assert cards.count() >= 1
    markers = page.locator("#ea-chat a.ea-cite")
    assert markers.count() >= 1, "the answer shows no [n] markers"
    card = cards.first
    assert AAP_TITLE in card.locator(".ea-title").inner_text()
    meta = card.locator(".ea-meta").inner_text()
    assert "IOM" in meta and "2024" in meta
    page_no = int(re.search(r"\bpp?\. (\d+)", meta).group(1))
    assert page_no == 2, meta
    marked = card.locator("mark").all_inner_texts()
    assert marked, "the cited sentence is not highlighted in its passage"
    # Independent check: the page the card names really holds the highlighted sentence.
    import pypdf

    pdf_text = pypdf.PdfReader(str(CORPUS / "iom_aap_evaluation_brief_2024.pdf")).pages[page_no - 1].extract_text()
    assert " ".join(_words(marked[0])) in " ".join(_words(pdf_text))
    link = card.locator("a.ea-open")
    href = link.get_attribute("href")
    assert link.get_attribute("target") == "_blank"
    assert re.fullmatch(r"/api/documents/[0-9a-f]+/file#page=2", href), href
    resp = page.request.get(url + href.split("#")[0])
    assert resp.ok and resp.body()[:5] == b"%PDF-"
    shot(page, "01-chat-answer")


def test_feedback_is_stored_with_the_answer(page, server):
    _, index = server
    page.locator("#ea-chat button[aria-label='Like']").last.click()
    page.wait_for_function("() => document.querySelector('#ea-feedback-status').innerText.includes('helpful')")
    log = index / "feedback.jsonl"
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert entries[-1]["rating"] == "up"
    assert entries[-1]["question"] == "Were the resources allocated to central AAP functions adequate?"
    assert entries[-1]["citations"] and AAP_TITLE in entries[-1]["citations"][0]["title"]
    with page.expect_download() as info:
        page.click("#ea-feedback-export")
    exported = [json.loads(line) for line in Path(info.value.path()).read_text().splitlines()]
    assert [e["id"] for e in exported] == [e["id"] for e in entries]


def test_organisation_filter_is_respected(page):
    question = "What were the main recommendations of the evaluation?"
    choose(page, "ea-f-org", "ILO")
    ask(page, question)
    last = page.locator("#ea-chat .message-row").last
    metas = last.locator(".ea-source .ea-meta").all_inner_texts()
    assert metas, "no sources under the filtered answer"
    assert all(m.startswith("ILO") for m in metas), metas
    assert "organisation: ILO" in last.inner_text()
    shot(page, "02-chat-filter-ilo")
    page.click("text=Clear filters")
    choose(page, "ea-f-org", "IOM")
    ask(page, question)
    metas = page.locator("#ea-chat .message-row").last.locator(".ea-source .ea-meta").all_inner_texts()
    assert metas and all(m.startswith("IOM") for m in metas), metas
    page.click("text=Clear filters")


def test_not_found_is_marked(page):
    ask(page, "What is the boiling point of liquid nitrogen in Kelvin?")
    last = page.locator("#ea-chat .message-row").last
    assert last.locator(".ea-notfound").count() == 1
    assert "Not found" in last.inner_text()
    assert "closest documents" in last.inner_text()
    shot(page, "03-chat-not-found")


def test_lessons_filter_by_type_and_export_csv(page, tmp_path):
    page.get_by_role("tab", name="Lessons & recommendations").click()
    page.wait_for_function("() => /\\d+ records?/.test(document.querySelector('#ea-l-count').innerText)")
    total = int(re.search(r"(\d+) record", page.locator("#ea-l-count").inner_text()).group(1))
    choose(page, "ea-l-type", "Good practice")
    page.wait_for_function(
        "t => { const m = document.querySelector('#ea-l-count').innerText.match(/(\\d+) record/); return m && +m[1] !== t; }",
        arg=total,
    )
    shown = int(re.search(r"(\d+) record", page.locator("#ea-l-count").inner_text()).group(1))
    assert 0 < shown < total
    rows = page.locator("#ea-l-table .virtual-row")
    types = {rows.nth(i).locator(".body-cell").first.inner_text().strip() for i in range(rows.count())}
    assert types == {"Good practice"}, types
    rows.first.locator(".body-cell").nth(2).click()
    detail = page.locator("#ea-l-detail .ea-record")
    detail.wait_for()
    assert "Good practice" in detail.inner_text()
    assert re.match(r"/api/documents/[0-9a-f]+/file", detail.locator("a.ea-open").get_attribute("href"))
    shot(page, "04-lessons-good-practice")
    with page.expect_download() as info:
        page.click("#ea-l-csv")
    target = tmp_path / "records.csv"
    info.value.save_as(target)
    exported = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert len(exported) == shown
    type_column = next(k for k in exported[0] if k.lower() == "type")
    assert {row[type_column] for row in exported} == {"good_practice"}


def test_library_lists_documents_with_sections(page):
    page.get_by_role("tab", name="Library").click()
    page.wait_for_function("() => document.querySelector('#ea-lib-summary').innerText.includes('3 documents')")
    rows = page.locator("#ea-lib-table .virtual-row")
    assert rows.count() == 3
    titles = [rows.nth(i).locator(".body-cell").first.inner_text() for i in range(3)]
    assert any(ILO_TITLE in t for t in titles)
    rows.nth(titles.index(next(t for t in titles if AAP_TITLE in t))).locator(".body-cell").first.click()
    detail = page.locator("#ea-lib-detail .ea-sections")
    detail.wait_for()
    assert "recommendations" in detail.inner_text()
    # No keys configured: `serve` made a local key, so the buttons are there (no key field to fill),
    # but a browser that has not opened the sign-in link is refused, as a client without the key is over HTTP.
    assert page.locator("#ea-lib-key").count() == 0 or not page.locator("#ea-lib-key").is_visible()
    assert page.locator("#ea-lib-closed").count() == 0
    page.click("#ea-lib-reindex")
    page.get_by_text("open the sign-in link").first.wait_for()
    assert "3 documents" in page.locator("#ea-lib-summary").inner_text()
    shot(page, "05-library")


def test_the_report_card_shows_the_recommendations_and_the_dac_findings(page):
    page.get_by_role("tab", name="Library").click()
    page.wait_for_function("() => document.querySelector('#ea-lib-summary').innerText.includes('3 documents')")
    rows = page.locator("#ea-lib-table .virtual-row")
    titles = [rows.nth(i).locator(".body-cell").first.inner_text() for i in range(rows.count())]
    rows.nth(next(i for i, t in enumerate(titles) if ILO_TITLE in t)).locator(".body-cell").first.click()
    card = page.locator("#ea-lib-detail .ea-card", has_text=ILO_TITLE)
    card.wait_for()  # the card shown before (another row's) is replaced
    assert card.locator(".ea-card-records[data-type=recommendation] li").count() == 10
    criteria = {card.locator(".ea-finding").nth(i).get_attribute("data-criterion")
                for i in range(card.locator(".ea-finding").count())}
    assert {"relevance", "coherence", "effectiveness", "efficiency", "impact", "sustainability"} <= criteria
    rating = card.locator(".ea-finding[data-criterion=effectiveness] .ea-rating").inner_text()
    assert rating == "quite satisfactory"
    shot(page, "05a-report-card")


LOCAL_UPLOAD = "iom_haiti_dr_binational_dialogue_management_response_2025.pdf"


def test_local_user_signs_in_by_link_uploads_a_pdf_and_asks_about_it(server, browser):
    url, index = server
    key_file = index / "local.key"
    assert key_file.stat().st_mode & 0o777 == 0o600, "the local key must be owner-only"
    key = key_file.read_text().strip()
    # Any other client still needs the key: the API refuses a write without it, and with a wrong one.
    import urllib.error
    import urllib.request

    for headers in ({}, {"X-API-Key": "not-the-local-key-0123456789"}):
        request = urllib.request.Request(f"{url}/api/documents/nonexistent", method="DELETE", headers=headers)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 403
    context, page = new_page(browser)
    try:
        page.goto(f"{url}/signin?key={key}")  # the link `serve` printed
        page.wait_for_selector("#ea-question textarea")
        assert "key=" not in page.url, "the key must not stay in the address bar"
        page.get_by_role("tab", name="Library").click()
        page.wait_for_function("() => document.querySelector('#ea-lib-summary').innerText.includes('3 documents')")
        page.locator("#ea-lib-files input[type=file]").set_input_files(str(CORPUS / LOCAL_UPLOAD))
        page.click("#ea-lib-upload")
        page.locator("#ea-lib-status").get_by_text("1 added").wait_for(timeout=180_000)
        page.wait_for_function("() => document.querySelector('#ea-lib-summary').innerText.includes('4 documents')")
        page.get_by_role("tab", name="Chat").click()
        ask(page, "What did the management response of the Haiti binational dialogue evaluation say?")
        titles = page.locator("#ea-chat .ea-source .ea-title").all_inner_texts()
        assert titles and any("Haiti" in t or "binational" in t.lower() for t in titles[:3]), titles
        shot(page, "05b-local-upload-asked")
        # Leave the library as the other tests expect it.
        page.get_by_role("tab", name="Library").click()
        page.click("#ea-lib-remove-pick input")
        page.get_by_role("option").filter(has_text="Ha").first.click()
        page.click("#ea-lib-remove")
        page.locator("#ea-lib-status").get_by_text("Deleted").wait_for()
        page.wait_for_function("() => document.querySelector('#ea-lib-summary').innerText.includes('3 documents')")
    finally:
        context.close()


# --- a server with an API key: sign in, upload, delete ---------------------------

KEY = "e2e-test-key-0123456789"
UPLOAD_MD = """# Final Evaluation of the Water Access Project in Malawi

Independent evaluation, 2022.

## Findings

The project improved access to safe drinking water for twelve thousand households in three districts.

## Lessons learned

1. Community ownership of the water points was the main reason they were kept in working order.
"""


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory):
    """A server with an API key over an empty index."""
    base = tmp_path_factory.mktemp("ui-e2e-keyed")
    (base / "corpus").mkdir()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "ANONYMIZED_TELEMETRY": "False",
           "ASSISTANT_API_KEYS": KEY}
    env.pop("ASSISTANT_API_KEYS_FILE", None)
    common = ["--index", str(base / "index"), "--corpus", str(base / "corpus")]
    with _serving(base, env, common, headers={"X-API-Key": KEY}) as url:
        yield url, base


def test_upload_needs_the_key_then_indexes_and_deletes(keyed_server, browser):
    url, base = keyed_server
    upload = base / "water_malawi_2022.md"
    upload.write_text(UPLOAD_MD)
    context, page = new_page(browser)
    try:
        page.goto(url + "/")
        # The UI sits behind the same key: a sign-in page first, which tells nothing of the library.
        page.wait_for_url("**/signin**")
        assert "Water" not in page.content() and "gradio" not in page.content().lower()
        page.get_by_label("API key").fill("not-the-key-0123456789")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("That key is not valid.").wait_for()
        page.get_by_label("API key").fill(KEY)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("#ea-question textarea")
        page.get_by_role("tab", name="Library").click()
        page.wait_for_function("() => document.querySelector('#ea-lib-summary').innerText.includes('0 documents')")
        page.locator("#ea-lib-files input[type=file]").set_input_files(str(upload))
        # A wrong key typed in the key field is refused, and nothing is indexed ...
        page.fill("#ea-lib-key input", "not-the-key-0123456789")
        page.click("#ea-lib-upload")
        page.get_by_text("type a valid API key").first.wait_for()
        assert "0 documents" in page.locator("#ea-lib-summary").inner_text()
        # ... while with the field empty the signed-in session carries the key: no need to type it again.
        page.fill("#ea-lib-key input", "")
        page.click("#ea-lib-upload")
        page.locator("#ea-lib-status").get_by_text("1 added").wait_for()
        page.wait_for_function("() => document.querySelector('#ea-lib-summary').innerText.includes('1 document ')")
        assert "Water Access Project" in page.locator("#ea-lib-table").inner_text()
        shot(page, "06-library-uploaded")
        # The chat's filters offer what is indexed now, after a reload (not what was there at start-up).
        page.reload()
        page.wait_for_selector("#ea-question textarea")
        page.click("#ea-f-country input")
        page.get_by_role("option", name="Malawi", exact=True).wait_for()
        page.keyboard.press("Escape")
        page.get_by_role("tab", name="Library").click()
        page.wait_for_function("() => document.querySelector('#ea-lib-summary').innerText.includes('1 document ')")
        title = page.locator("#ea-lib-table .virtual-row").first.locator(".body-cell").first.inner_text().strip()
        choose(page, "ea-lib-remove-pick", f"{title} (2022)")
        page.click("#ea-lib-remove")
        page.locator("#ea-lib-status").get_by_text("Deleted").wait_for()
        page.wait_for_function("() => document.querySelector('#ea-lib-summary').innerText.includes('0 documents')")
    finally:
        context.close()
