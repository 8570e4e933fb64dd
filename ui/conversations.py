"""The chat tab's saved conversations: every answer kept, past ones listed, reopened, renamed, deleted, exported.

Conversations live server-side through the `Assistant` (SQLite beside the
index), so they outlive a page reload and a server restart; the chat's
`gr.State` only holds the one on screen. Whose they are comes from the
request, never from the page: "local" when no API key is configured, else
the fingerprint of the key the browser's session cookie was issued for
(checked again here, as the sign-in gate does), the same owner the key has
over `/api/conversations`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from assistant import security, sessions
from assistant.index.conversation_export import export_filename
from assistant.index.conversations import LOCAL_OWNER, Conversation, owner_for
from assistant.models import Answer

from .exports import export_folder

__all__ = ["ConversationPanel", "conversation_choices", "open_turns", "owner_of", "save_last_turn"]

Render = Callable[[Answer, dict, str], str]  # (answer, filters, anchor) -> the reply's HTML
Messages = Callable[[list[dict]], list[dict]]  # turns -> chatbot messages
LABEL_CHARS = 70  # a list line in the side column; the whole title is in the title box
SIGN_IN = "Sign in to keep conversations."


def owner_of(assistant, request: gr.Request | None) -> str | None:
    """The owner this page acts for; None when keys are configured and the request has no valid session."""
    settings = assistant.settings
    if not security.keys_configured(settings):
        return LOCAL_OWNER
    key = sessions.browser_key(settings, request)
    return owner_for(settings, key) if key else None


def conversation_choices(assistant, owner: str | None) -> list[tuple[str, str]]:
    """(label, id) per conversation, newest first: its title and when it last changed."""
    if owner is None:
        return []
    out = []
    for c in assistant.conversations(owner):
        title = c.title or "Untitled conversation"
        short = title if len(title) <= LABEL_CHARS else title[: LABEL_CHARS - 1].rstrip() + "…"
        out.append((f"{short} · {c.updated[:16].replace('T', ' ')}", c.id))
    return out


def save_last_turn(assistant, turns: list[dict], current: str | None,
                   owner: str | None) -> tuple[list[dict], str | None, str]:
    """Save the last turn when it has an answer and is not saved yet: (turns, conversation id, status).

    A conversation deleted meanwhile (another tab) is started again with this turn.
    """
    last = turns[-1] if turns else None
    if last is None or last.get("saved") or not last.get("answer"):
        return turns, current, ""
    if owner is None:
        return turns, current, SIGN_IN
    question, answer, filters = last["question"], last["answer"], last.get("filters") or None
    try:
        summary = assistant.add_turn(current, question, answer, owner=owner, filters=filters) if current else None
        if summary is None:
            current = assistant.start_conversation(question, answer, owner=owner, filters=filters).id
    except ValueError as exc:  # ConversationError: a conversation at its turn limit, say
        return turns, current, f"Not saved: {exc}"
    return turns[:-1] + [{**last, "saved": True}], current, ""


def open_turns(conversation: Conversation, render: Render) -> list[dict]:
    """A saved conversation as the chat's turns, each answer rendered again with its sources."""
    turns = []
    for n, turn in enumerate(conversation.turns, start=1):
        answer = turn.to_answer()
        turns.append({"question": turn.question, "html": render(answer, turn.filters, f"t{n}"),
                      "answer": answer.model_dump(), "filters": turn.filters, "saved": True})
    return turns


def export_file(assistant, conversation_id: str | None, owner: str | None) -> str | None:
    """The conversation as a .md file for the download button; None when there is none to export."""
    conversation = assistant.conversation(conversation_id, owner) if conversation_id and owner else None
    if conversation is None:
        return None
    path = export_folder() / export_filename(conversation)
    path.write_text(assistant.export_markdown(conversation.id, owner) or "", encoding="utf-8")
    return str(path)


class ConversationPanel:
    """The conversation controls, laid out where it is created; `wire` connects them to the chat."""

    def __init__(self, assistant, render: Render, messages: Messages):
        self.assistant, self.render, self.messages = assistant, render, messages
        self.current = gr.State(None)  # the id of the conversation on screen, once its first answer is saved
        gr.Markdown("### Conversations\nEvery answer is saved. Pick a past conversation to reopen it.")
        self.listing = gr.Radio([], label="Past conversations", elem_id="ea-conv-list", show_label=False)
        self.title = gr.Textbox(label="Title of this conversation", max_lines=1, elem_id="ea-conv-title")
        with gr.Row():
            self.rename = gr.Button("Rename", size="sm", elem_id="ea-conv-rename", min_width=60)
            self.delete = gr.Button("Delete", size="sm", variant="stop", elem_id="ea-conv-delete", min_width=60)
        self.export = gr.DownloadButton("Export as Markdown", size="sm", interactive=False, elem_id="ea-conv-export")
        self.status = gr.Markdown("", elem_id="ea-conv-status")

    def wire(self, chatbot: gr.Chatbot, turns: gr.State, answered: list[Any], new: gr.Button) -> None:
        """Save after each answer (`answered`: the ask events), reopen on a pick, and the buttons."""
        a = self.assistant
        panel = [self.listing, self.title, self.export, self.status]

        def view(owner: str | None, current: str | None, status: str = "") -> list[Any]:
            """The panel for this owner with `current` selected: list, title, export button, status."""
            conversation = a.conversation(current, owner) if current and owner else None
            path = export_file(a, current, owner) if conversation else None
            return [gr.update(choices=conversation_choices(a, owner), value=current if conversation else None),
                    conversation.title if conversation else "",
                    gr.update(value=path, interactive=path is not None),
                    status or ("" if owner else SIGN_IN)]

        def on_load(request: gr.Request):
            return view(owner_of(a, request), None)

        def on_answer(t: list[dict], current: str | None, request: gr.Request):
            owner = owner_of(a, request)
            t, current, status = save_last_turn(a, t, current, owner)
            return [t, current, *view(owner, current, status)]

        def on_pick(picked: str | None, request: gr.Request):
            owner = owner_of(a, request)
            conversation = a.conversation(picked, owner) if picked and owner else None
            if conversation is None:
                return [[], [], None, *view(owner, None, "That conversation is no longer there.")]
            t = open_turns(conversation, self.render)
            return [self.messages(t), t, conversation.id, *view(owner, conversation.id)]

        def on_rename(current: str | None, title: str, request: gr.Request):
            owner = owner_of(a, request)
            if not current or owner is None:
                return view(owner, current, "Ask a question or open a conversation first.")
            try:
                done = a.rename_conversation(current, title or "", owner=owner)
            except ValueError as exc:  # an empty title
                return view(owner, current, f"Not renamed: {exc}.")
            return view(owner, current, "Renamed." if done else "That conversation is no longer there.")

        def on_delete(current: str | None, request: gr.Request):
            owner = owner_of(a, request)
            if not current or owner is None:
                return [gr.skip(), gr.skip(), current, *view(owner, current, "Open a conversation to delete it.")]
            a.delete_conversation(current, owner=owner)
            return [[], [], None, *view(owner, None, "Conversation deleted.")]

        def on_new(request: gr.Request):
            return [None, *view(owner_of(a, request), None)]

        gr.on(None, fn=on_load, outputs=panel)  # no trigger and no input: runs when a page loads
        for event in answered:
            event.then(on_answer, [turns, self.current], [turns, self.current, *panel])
        self.listing.input(on_pick, [self.listing], [chatbot, turns, self.current, *panel])
        self.rename.click(on_rename, [self.current, self.title], panel)
        self.title.submit(on_rename, [self.current, self.title], panel)
        self.delete.click(on_delete, [self.current], [chatbot, turns, self.current, *panel])
        new.click(on_new, None, [self.current, *panel])
