"""Follow-up questions without an LLM: carry forward what the last turn was about.

"And what about Cambodia?" after a question on the ILO programme means the
ILO programme in Cambodia. A short question, or one that leans on the last
turn ("and ...", "what about ...", "it", "they", "there"), is searched
together with the previous question, so its subject comes along.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_LEANS_ON_CONTEXT = re.compile(
    r"^(?:and|also|but|so|what about|how about|et|mais|aussi|what else|anything else|same for)\b"
    r"|\b(?:it|its|they|them|their|this|that|these|those|there|the same|he|she|ils|elles|cela|ce projet)\b",
    re.I,
)
SHORT_WORDS = 6


def previous_questions(history: Sequence[Any] | None) -> list[str]:
    """User turns from a history in any of the usual shapes.

    Accepts a list of question strings, of (question, answer) pairs, or of
    chat messages `{"role": "user" | "assistant", "content": ...}`.
    """
    out: list[str] = []
    for turn in history or []:
        if isinstance(turn, str):
            out.append(turn)
        elif isinstance(turn, dict):
            if turn.get("role", "user") == "user" and isinstance(turn.get("content"), str):
                out.append(turn["content"])
        elif isinstance(turn, (list, tuple)) and turn and isinstance(turn[0], str):
            out.append(turn[0])
    return [q for q in out if q.strip()]


def is_follow_up(question: str) -> bool:
    return len(question.split()) <= SHORT_WORDS or bool(_LEANS_ON_CONTEXT.search(question))


def contextualize(question: str, history: Sequence[Any] | None) -> str:
    """The text to search for: the question, with the last topic when it needs one."""
    previous = previous_questions(history)
    if not previous or not is_follow_up(question):
        return question
    # The subject is set by the last question that stood on its own:
    # "and Cambodia?" then "and Viet Nam?" both refer back to it.
    anchor = next((q for q in reversed(previous) if not is_follow_up(q)), previous[0])
    return f"{anchor} {question}"
