"""The chat tab: streamed, cited answers with filters, examples and feedback.

The conversation lives in a `gr.State` of turns ({question, answer}); the
chatbot only displays it, so history for follow-ups and the answer a
like/dislike refers to come from our own typed records, not from parsing
rendered HTML back.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import gradio as gr

from assistant.export import export_jsonl
from assistant.models import Answer

from .choices import Choices, build_filters, describe_filters
from .conversations import ConversationPanel
from .evidence import evidence_panel
from .exports import export_folder
from .render import answer_html, error_html, streaming_html

EXAMPLES = [
    "What were the main recommendations of the evaluations?",
    "What lessons were learned about working with partners?",
    "How sustainable were the results after the project ended?",
    "How was gender equality addressed?",
    "What were the main challenges in implementation?",
    "How efficiently were resources used?",
]


def to_messages(turns: list[dict]) -> list[dict]:
    """Turns as chatbot messages (user question, assistant reply HTML)."""
    messages: list[dict] = []
    for turn in turns:
        messages.append({"role": "user", "content": turn["question"]})
        messages.append({"role": "assistant", "content": turn["html"]})
    return messages


def reply_html(answer: Answer, filters: dict, documents, anchor: str, settings=None) -> str:
    scope = describe_filters(filters, documents)
    head = f'<div class="ea-scope">{html.escape(scope)}</div>' if scope else ""
    return head + answer_html(answer, anchor=anchor, settings=settings)


def respond(assistant, question: str, turns: list[dict], *filter_values) -> Iterator[tuple]:
    """Generator behind Send: streams the reply into the last message."""
    question = (question or "").strip()
    if not question:
        gr.Warning("Type a question first.")
        yield gr.skip(), to_messages(turns), turns
        return
    filters = build_filters(*filter_values)
    history = [t["question"] for t in turns]
    turns = turns + [{"question": question, "html": streaming_html(""), "answer": None}]
    yield "", to_messages(turns), turns
    text = ""
    final: Answer | None = None
    try:
        for event in assistant.ask_stream(question, filters=filters or None, history=history or None):
            if event.get("event") == "delta":
                text += event.get("text", "")
                turns[-1] = {**turns[-1], "html": streaming_html(text)}
                yield gr.skip(), to_messages(turns), turns
            elif event.get("event") == "answer":
                final = event["answer"]
                if isinstance(final, dict):
                    final = Answer.model_validate(final)
    except ValueError as exc:  # bad filter, empty or too long question
        turns[-1] = {**turns[-1], "html": error_html(str(exc))}
        yield gr.skip(), to_messages(turns), turns
        return
    if final is None:
        turns[-1] = {**turns[-1], "html": error_html("the answer stream ended without an answer")}
        yield gr.skip(), to_messages(turns), turns
        return
    anchor = f"t{len(turns)}"
    turns[-1] = {
        "question": question,
        "html": reply_html(final, filters, assistant.documents() if filters else [], anchor, assistant.settings),
        "answer": final.model_dump(),
        "filters": filters,  # saved with the turn (ui/conversations.py), to show its scope when reopened
    }
    yield gr.skip(), to_messages(turns), turns


def record_feedback(assistant, turns: list[dict], data: gr.LikeData) -> tuple[str, Any]:
    """A thumbs up/down on an assistant message -> `Assistant.feedback`."""
    index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
    turn_no = int(index) // 2
    if int(index) % 2 == 0 or turn_no >= len(turns) or not turns[turn_no].get("answer"):
        return "Feedback applies to answers only.", gr.skip()
    if data.liked is True or data.liked == "Like":
        rating = "up"
    elif data.liked is False or data.liked == "Dislike":
        rating = "down"
    else:
        return "Feedback withdrawn in the view; the earlier vote stays in the log.", gr.skip()
    turn = turns[turn_no]
    assistant.feedback(turn["question"], turn["answer"], rating)
    label = "helpful" if rating == "up" else "not helpful"
    return f"Thanks: answer {turn_no + 1} recorded as **{label}**.", feedback_file(assistant)


def feedback_file(assistant) -> str | None:
    """The feedback log as a .jsonl file for the download button."""
    entries = assistant.feedback_log()
    folder = export_folder()
    path = folder / "feedback.jsonl"
    path.write_text(export_jsonl(entries), encoding="utf-8")
    return str(path)


def build_chat_tab(assistant, choices: Choices) -> list[tuple[str, gr.Dropdown]]:
    """Lay out the chat tab inside the current `gr.Tab`; returns its filter
    dropdowns with the `Choices` field each offers, for refreshing on load."""
    turns = gr.State([])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=480):
            chatbot = gr.Chatbot(
                label="Conversation",
                show_label=False,
                elem_id="ea-chat",
                height=620,
                layout="panel",
                placeholder=(
                    "**Ask about the evaluation reports.** Every sentence of an answer is cited: "
                    "click a marker like [1] to see the passage and open the page it came from."
                ),
                buttons=["copy"],
                sanitize_html=True,
            )
            with gr.Row():
                question = gr.Textbox(
                    label="Your question",
                    placeholder="e.g. What did the evaluations recommend on sustainability?",
                    lines=1,
                    max_lines=4,
                    scale=5,
                    elem_id="ea-question",
                    autofocus=True,
                )
                send = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="ea-ask")
            gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[question], label="Example questions")
            evidence_panel()  # "View on page" on the source cards opens it
        with gr.Column(scale=1, min_width=260, elem_classes=["ea-side"]):
            gr.Markdown("### Filters\nRestrict answers to part of the library.")
            org = gr.Dropdown(choices.organisations, label="Organisation", multiselect=True, elem_id="ea-f-org")
            country = gr.Dropdown(choices.countries, label="Country", multiselect=True, elem_id="ea-f-country")
            with gr.Row():
                year_from = gr.Dropdown(choices.years, label="Year from", value=None, elem_id="ea-f-yfrom", min_width=100)
                year_to = gr.Dropdown(choices.years, label="Year to", value=None, elem_id="ea-f-yto", min_width=100)
            kind = gr.Dropdown(choices.kinds, label="Document kind", multiselect=True, elem_id="ea-f-kind")
            doc = gr.Dropdown(choices.documents, label="Document", multiselect=True, elem_id="ea-f-doc")
            reset = gr.Button("Clear filters", size="sm")
            gr.Markdown("### Feedback\nRate each answer with the thumbs-up or thumbs-down button under it.")
            status = gr.Markdown("", elem_id="ea-feedback-status")
            export = gr.DownloadButton(
                "Export feedback (JSON Lines)",
                value=lambda: feedback_file(assistant),
                size="sm",
                elem_id="ea-feedback-export",
            )
            conversations = ConversationPanel(assistant, lambda answer, f, anchor: reply_html(
                answer, f, assistant.documents() if f else [], anchor, assistant.settings), to_messages)
            clear = gr.Button("New conversation", size="sm")

    filters = [org, country, year_from, year_to, kind, doc]

    def _respond(q, t, *values):
        yield from respond(assistant, q, t, *values)

    answered = [trigger(_respond, [question, turns, *filters], [question, chatbot, turns])
                for trigger in (send.click, question.submit)]
    reset.click(lambda: [None] * len(filters), None, filters)
    clear.click(lambda: ([], []), None, [chatbot, turns])
    conversations.wire(chatbot, turns, answered, clear)

    def _like(t: list[dict], data: gr.LikeData):
        return record_feedback(assistant, t, data)

    chatbot.like(_like, [turns], [status, export])
    return [("organisations", org), ("countries", country), ("years", year_from), ("years", year_to),
            ("kinds", kind), ("documents", doc)]
