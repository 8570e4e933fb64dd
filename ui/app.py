"""The Gradio Blocks app mounted at `/` by the API server.

Placeholder until the chat, lessons and library tabs exist: it shows what is
indexed so the server has a page to serve.
"""

from __future__ import annotations

import gradio as gr


def build_ui(assistant) -> gr.Blocks:
    docs = assistant.documents()
    with gr.Blocks(title="Evaluation Assistant") as demo:
        gr.Markdown(
            f"# Evaluation Assistant\n{len(docs)} documents indexed. "
            "The chat is on its way; the retrieval API is at [/api/docs](/api/docs)."
        )
    return demo
