"""The Gradio Blocks app mounted at `/` by the API server: chat, lessons, library.

Each tab is its own module; this one puts them together and carries the
style sheet. Gradio 6 takes CSS at launch/mount time, not on `Blocks`, so
the sheet is injected as a `<style>` element in the page itself: the app
looks the same however it is mounted (`gr.mount_gradio_app(..., css=CSS)`
works too).
"""

from __future__ import annotations

import gradio as gr

from assistant import security

from .chat import build_chat_tab
from .choices import choices_from
from .lessons import build_lessons_tab
from .library import build_library_tab

CSS = """
:root, .gradio-container { --font: "DejaVu Sans", "Liberation Sans", ui-sans-serif, system-ui, sans-serif;
  --font-mono: "DejaVu Sans Mono", ui-monospace, monospace; }
.gradio-container, .gradio-container button, .gradio-container input, .gradio-container textarea { font-family: var(--font) !important; }
.ea-answer p { margin: 0 0 6px 0 !important; }
.ea-answer ul { margin: 4px 0 8px 0 !important; padding-left: 1.3em !important; }
.ea-answer li { margin: 2px 0 !important; }
.gradio-container { max-width: 1400px !important; margin: 0 auto; }
.ea-side { background: var(--block-background-fill); border: 1px solid var(--border-color-primary);
  border-radius: 10px; padding: 12px 14px !important; }
#ea-chat .message { font-size: 15px; line-height: 1.55; }
.ea-answer { margin-bottom: 6px; }
.ea-cite { display: inline-block; font-size: 0.78em; font-weight: 600; padding: 0 5px; margin-left: 2px;
  border-radius: 6px; background: #e0ecff; color: #1d4ed8 !important; text-decoration: none !important;
  vertical-align: super; line-height: 1.3; }
.dark .ea-cite { background: #1e3a8a; color: #dbeafe !important; }
.ea-sources { margin-top: 10px; border-top: 1px solid var(--border-color-primary); padding-top: 6px; }
.ea-sources > summary { cursor: pointer; font-weight: 600; font-size: 0.9em; margin-bottom: 6px; }
.ea-source { border: 1px solid var(--border-color-primary); border-left: 4px solid #3b82f6; border-radius: 8px;
  padding: 8px 12px; margin: 8px 0; background: var(--background-fill-primary); font-size: 14px; }
.ea-source:target { box-shadow: 0 0 0 2px #93c5fd; }
.ea-source-head { font-weight: 600; }
.ea-num { color: #1d4ed8; margin-right: 4px; }
.dark .ea-num { color: #93c5fd; }
.ea-meta, .ea-section, .ea-also { color: var(--body-text-color-subdued); font-size: 0.88em; margin-top: 2px; }
.ea-passage { margin: 6px 0 !important; padding: 6px 10px !important; border-left: 3px solid var(--border-color-primary) !important;
  font-size: 0.92em; line-height: 1.5; max-height: 280px; overflow-y: auto; white-space: pre-line; }
.ea-passage mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.dark .ea-passage mark { background: #854d0e; }
.ea-open { font-size: 0.88em; font-weight: 600; }
.ea-notfound { border: 1px solid #f59e0b; background: #fffbeb; border-radius: 8px; padding: 8px 12px; color: #1f2937; }
.dark .ea-notfound { background: #451a03; color: #fef3c7; }
.ea-notfound-label { font-weight: 700; color: #b45309; margin-bottom: 4px; }
.ea-notfound-label::before { content: "⚠ "; }
.ea-error { border: 1px solid #ef4444; background: #fef2f2; color: #7f1d1d; border-radius: 8px; padding: 8px 12px; }
.ea-scope { font-size: 0.85em; color: var(--body-text-color-subdued); margin-bottom: 4px; }
.ea-notice { font-size: 0.85em; color: #b45309; margin-top: 4px; }
.ea-pending { opacity: 0.85; }
.ea-hint { color: var(--body-text-color-subdued); font-size: 0.9em; padding: 6px 2px; }
#ea-conv-list .wrap { max-height: 260px; overflow-y: auto; flex-direction: column; flex-wrap: nowrap; }
#ea-conv-list label { width: 100%; font-size: 0.88em; }
#ea-l-table, #ea-lib-table { --font-mono: var(--font); }
#ea-l-table .body-cell, #ea-lib-table .body-cell, #ea-l-table th, #ea-lib-table th { font-family: var(--font) !important; font-size: 13px; }
.ea-sections { width: 100%; border-collapse: collapse; margin-top: 8px; font-size: 0.9em; }
.ea-sections td:last-child { white-space: nowrap; }
.ea-sections th, .ea-sections td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--border-color-primary); }
.ea-card { border: 1px solid var(--border-color-primary); border-left: 4px solid #10b981; border-radius: 8px;
  padding: 10px 14px; margin: 8px 0; font-size: 14px; line-height: 1.5; }
.ea-card h3 { margin: 0 0 2px 0; font-size: 1.05em; } .ea-card h4 { margin: 10px 0 4px 0; font-size: 0.95em; }
.ea-card-findings { width: 100%; border-collapse: collapse; }
.ea-card-findings th, .ea-card-findings td { text-align: left; vertical-align: top; padding: 3px 6px;
  border-bottom: 1px solid var(--border-color-primary); }
.ea-card-findings th { white-space: nowrap; } .ea-rating { font-style: italic; white-space: nowrap; }
.ea-card-records { margin: 0; padding-left: 1.4em; } .ea-card-cite { font-size: 0.85em; }
"""

HEAD_STYLE = f"<style>{CSS}</style>"


def build_ui(assistant) -> gr.Blocks:
    """The whole web app over one `Assistant`."""
    choices = choices_from(assistant.documents())
    with gr.Blocks(title="Evaluation Assistant") as demo:
        gr.HTML(HEAD_STYLE, elem_id="ea-style", padding=False)
        signed_in = " · [Sign out](/signout)" if security.keys_configured(assistant.settings) else ""
        gr.Markdown(
            "# Evaluation Assistant\n"
            "Cited answers, lessons learned and recommendations from evaluation reports. "
            f"The HTTP API is documented at [/api/docs](/api/docs){signed_in}."
        )
        with gr.Tabs():
            with gr.Tab("Chat", id="chat", elem_id="ea-tab-chat"):
                pickers = build_chat_tab(assistant, choices)
            with gr.Tab("Lessons & recommendations", id="lessons", elem_id="ea-tab-lessons"):
                pickers += build_lessons_tab(demo, assistant, choices)
            with gr.Tab("Library", id="library", elem_id="ea-tab-library"):
                build_library_tab(demo, assistant)

        def fresh_choices():
            """Filter choices as the index is now (documents come and go while the server runs)."""
            now = choices_from(assistant.documents())
            return [gr.update(choices=getattr(now, field)) for field, _ in pickers]

        demo.load(fresh_choices, None, [component for _, component in pickers])
    return demo
