"""The evidence panel: "View on page" on a source card opens a side panel in the app.

For a PDF it shows the cited page as an image with the cited sentences
marked (`GET /api/documents/{doc}/pages/{n}.png`), with previous and next
page; for other formats, the passage within its section's text with the
sentences marked (`GET /api/documents/{doc}/passages/{chunk}`). The cards
are chatbot HTML, where Gradio strips scripts and handlers, so one script,
run once when the panel's component loads, listens for clicks on
`a.ea-view` links anywhere on the page. Text from documents reaches the
page only through `textContent`, never as markup. Without the script the
link still opens the image or JSON in a new tab.
"""

from __future__ import annotations

import gradio as gr

__all__ = ["EVIDENCE_CSS", "EVIDENCE_JS", "evidence_panel"]

EVIDENCE_CSS = """
.ea-view { margin-left: 14px; font-size: 0.88em; font-weight: 600; }
.ea-ev { position: fixed; top: 0; right: 0; bottom: 0; width: min(780px, 96vw); z-index: 1000;
  display: flex; flex-direction: column; background: var(--background-fill-primary, #fff);
  color: var(--body-text-color, #111827); border-left: 1px solid var(--border-color-primary, #d1d5db);
  box-shadow: -8px 0 28px rgba(0, 0, 0, 0.18); font-family: var(--font); }
.ea-ev[hidden], .ea-ev [hidden] { display: none !important; }
.ea-ev-head { display: flex; align-items: center; justify-content: space-between; gap: 10px;
  padding: 10px 14px; border-bottom: 1px solid var(--border-color-primary, #d1d5db); }
.ea-ev-title { font-size: 0.95em; }
.ea-ev-close { flex: none; white-space: nowrap; }
.ea-ev-nav { display: flex; align-items: center; gap: 10px; padding: 8px 14px; font-size: 0.9em; }
.ea-ev button { padding: 2px 10px; border: 1px solid var(--border-color-primary, #d1d5db); border-radius: 6px;
  background: var(--button-secondary-background-fill, #f3f4f6); color: inherit; cursor: pointer; }
.ea-ev button:disabled { opacity: 0.4; cursor: default; }
.ea-ev-raw { margin-left: auto; }
.ea-ev-status { padding: 0 14px; font-size: 0.88em; color: #b45309; min-height: 1.3em; }
.ea-ev-body { flex: 1; overflow: auto; padding: 6px 14px 16px; }
.ea-ev-img { display: block; width: 100%; height: auto; background: #fff;
  border: 1px solid var(--border-color-primary, #d1d5db); }
.ea-ev-text { white-space: pre-wrap; line-height: 1.6; font-size: 0.95em; }
.ea-ev-text .ea-ev-passage { background: rgba(59, 130, 246, 0.09); }
.ea-ev-text mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.dark .ea-ev-text mark { background: #854d0e; }
"""

# Run once by the panel's component (Gradio's `js_on_load`); plain DOM, no template literals.
EVIDENCE_JS = r"""
(() => {
  if (window.eaEvidence) return;
  const panel = document.createElement('aside');
  panel.id = 'ea-evidence';
  panel.className = 'ea-ev';
  panel.hidden = true;
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', 'Evidence');
  panel.innerHTML = '<div class="ea-ev-head"><strong class="ea-ev-title"></strong>' +
    '<button type="button" class="ea-ev-close" aria-label="Close">Close ✕</button></div>' +
    '<div class="ea-ev-nav"><button type="button" class="ea-ev-prev">‹ Previous</button>' +
    '<span class="ea-ev-where"></span><button type="button" class="ea-ev-next">Next ›</button>' +
    '<a class="ea-ev-raw" target="_blank" rel="noopener">Open in a tab ↗</a></div>' +
    '<div class="ea-ev-status" role="status"></div>' +
    '<div class="ea-ev-body"><img class="ea-ev-img" alt=""><div class="ea-ev-text"></div></div>';
  document.body.appendChild(panel);
  const $ = (s) => panel.querySelector(s);
  const img = $('.ea-ev-img'), text = $('.ea-ev-text'), status = $('.ea-ev-status'), where = $('.ea-ev-where');
  const prev = $('.ea-ev-prev'), next = $('.ea-ev-next'), raw = $('.ea-ev-raw');
  let view = null;  // a page view: {url, page, pages, cited}
  let token = 0;  // the latest request; an older one that answers late is dropped

  const detail = async (resp) => {
    try { const body = await resp.json(); if (typeof body.detail === 'string') return body.detail; } catch (e) {}
    return 'Could not load the evidence (HTTP ' + resp.status + ').';
  };
  const state = (s, message) => { panel.dataset.state = s; status.textContent = message || ''; };

  async function showPage(n) {
    const mine = ++token;
    const url = new URL(view.url);
    url.pathname = url.pathname.replace(/\/pages\/\d+\.png$/, '/pages/' + n + '.png');
    state('loading', 'Loading page ' + n + '…');
    const resp = await fetch(url.href, {credentials: 'same-origin'});
    if (mine !== token) return;
    if (!resp.ok) { state('error', await detail(resp)); return; }
    const blob = await resp.blob();
    if (mine !== token) return;
    if (img.src) URL.revokeObjectURL(img.src);
    const hits = Number(resp.headers.get('X-Highlights') || 0);
    view.page = n;
    view.pages = Number(resp.headers.get('X-Page-Count') || n);
    img.alt = 'Page ' + n + (hits ? ', with the cited text marked' : '');
    img.src = URL.createObjectURL(blob);
    img.hidden = false;
    text.hidden = true;
    where.textContent = 'Page ' + n + ' of ' + view.pages;
    prev.disabled = n <= 1;
    next.disabled = n >= view.pages;
    raw.href = url.pathname + url.search;
    panel.dataset.page = String(n);
    panel.dataset.highlights = String(hits);
    state('ready', hits ? '' : (n === view.cited ? 'The cited text could not be located on this page.' : ''));
    const top = Number(resp.headers.get('X-Highlight-Top'));
    const body = $('.ea-ev-body');
    const scroll = () => { body.scrollTop = hits ? Math.max(0, top * img.clientHeight - 80) : 0; };
    if (img.complete) scroll(); else img.addEventListener('load', scroll, {once: true});
  }

  async function showPassage(url) {
    const mine = ++token;
    state('loading', 'Loading the passage…');
    const resp = await fetch(url.href, {credentials: 'same-origin'});
    if (mine !== token) return;
    if (!resp.ok) { state('error', await detail(resp)); return; }
    const v = await resp.json();
    if (mine !== token) return;
    const cuts = new Set([0, v.text.length, v.passage[0], v.passage[1]]);
    v.highlights.forEach(([a, b]) => { cuts.add(a); cuts.add(b); });
    const points = [...cuts].sort((a, b) => a - b);
    const nodes = [];
    if (v.more_before) nodes.push(document.createTextNode('… '));
    for (let i = 0; i + 1 < points.length; i++) {
      const [x, y] = [points[i], points[i + 1]];
      if (y <= x) continue;
      const piece = v.text.slice(x, y);
      const marked = v.highlights.some(([a, b]) => a <= x && y <= b);
      const inside = v.passage[0] <= x && y <= v.passage[1];
      if (!marked && !inside) { nodes.push(document.createTextNode(piece)); continue; }
      const el = document.createElement(marked ? 'mark' : 'span');
      if (!marked) el.className = 'ea-ev-passage';
      el.textContent = piece;
      nodes.push(el);
    }
    if (v.more_after) nodes.push(document.createTextNode(' …'));
    text.replaceChildren(...nodes);
    text.hidden = false;
    img.hidden = true;
    where.textContent = v.section ? 'Section: ' + v.section : '';
    raw.href = url.pathname + url.search;
    state('ready', '');
    const first = text.querySelector('mark');
    if (first) first.scrollIntoView({block: 'center'});
  }

  function open(link) {
    const card = link.closest('.ea-source');
    const title = card && card.querySelector('.ea-title');
    $('.ea-ev-title').textContent = title ? title.textContent : '';
    panel.hidden = false;
    const url = new URL(link.getAttribute('href'), window.location.href);
    const m = url.pathname.match(/\/pages\/(\d+)\.png$/);
    prev.hidden = next.hidden = !m;
    panel.dataset.kind = m ? 'page' : 'passage';
    if (m) {
      view = {url: url.href, page: Number(m[1]), pages: Number(m[1]), cited: Number(m[1])};
      showPage(view.page);
    } else {
      view = null;
      showPassage(url);
    }
  }

  const close = () => { panel.hidden = true; token++; };
  prev.addEventListener('click', () => { if (view && view.page > 1) showPage(view.page - 1); });
  next.addEventListener('click', () => { if (view && view.page < view.pages) showPage(view.page + 1); });
  $('.ea-ev-close').addEventListener('click', close);
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && !panel.hidden) close(); });
  document.addEventListener('click', (e) => {
    const link = e.target instanceof Element ? e.target.closest('a.ea-view') : null;
    if (!link || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) return;  // a modified click opens a tab
    e.preventDefault();
    e.stopPropagation();
    open(link);
  }, true);
  window.eaEvidence = {open, close};
})();
"""


def evidence_panel() -> gr.HTML:
    """The panel's style and script, as an invisible component of the chat tab."""
    return gr.HTML(f"<style>{EVIDENCE_CSS}</style>", js_on_load=EVIDENCE_JS, elem_id="ea-evidence-init",
                   padding=False, container=False)
