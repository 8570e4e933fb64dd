"""How a report marks and numbers its items: labels ("Recommendation 3:", "LL-2"), list markers,
sub-item numbers, what a management response answers and the status it states."""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["INLINE_LABEL", "MARKER", "SENTENCE_END", "STATUS", "answered_by", "cell_then_first_sub", "follows",
           "label_of", "marker", "parent_number", "path_number", "stated_status", "strip_label", "sub_number"]

SENTENCE_END = re.compile(r"(?<=[a-z0-9)\]»”’'\"])[.!?](?=\s+[A-ZÀ-Ý(«“])")

_SEP = r"\s*(?:\([^)]{1,60}\))?\s*(?:[:.)–—-]\s*|$)"


_LABEL = re.compile(
    r"^(?:\d{1,2}\s+)?(?:"
    r"(?P<code>(?:LL|E?GP|LR)\s?-?\s?\d{1,2}(?:\.\d{1,2})?)"
    r"|(?:(?:sub|key|main|evaluation|specific|strategic|operational)[\s-]*)*"
    r"(?:recomm?[ae]ndations?|lessons?(?:\s+learn(?:ed|t))?|(?:good|best|promising|emerging)\s+practices?"
    r"|le[cç]ons?(?:\s+apprises?)?|enseignements?|bonnes?\s+pratiques?)"
    r"\s*(?:n[°o]\.?\s*|#\s*)?(?P<num>\d{1,2}(?:\.\d{1,2})*[a-z]?)"
    r"(?:\s+(?:(?:partially|fully|not)\s+)?(?:accepted|rejected|noted))?"  # a matrix's "Recommendation 2 accepted:"
    r"|(?P<mr>management(?:'s)?\s+response|r[ée]ponse\s+de\s+la\s+(?:direction|gestion|administration))"
    r")" + _SEP,
    re.I,
)


INLINE_LABEL = re.compile(r"(?<![Ee]valuation)(?<![Kk]ey)(?<![Mm]ain)\s(?=(?:Sub-)?[Rr]ecomm?[ae]ndations?\s+(?:n°\s*|#\s*)?\d{1,2}(?:\.\d{1,2})*\s*:)")


MARKER = re.compile(
    r"^(?:(?P<num>\d{1,2})[.)]\s+(?=\S)"
    r"|\((?P<paren>\d{1,2}|[a-z]|[ivx]{1,4})\)\s+"
    r"|(?P<roman>(?:ii|iii|iv|vi{0,3}|ix|x))[.)]\s+"
    r"|(?P<alpha>[a-z])[.)]\s+"
    r"|(?P<bullet>[•▪●◦‣➢►■□✓✔*·]|[-–—](?=\s)|o(?=\s+[A-Z]))\s*)"
)


STATUS = re.compile(
    r"^[-–:\s]*(?P<status>partially\s+accept(?:ed)?|accept(?:ed)?|not\s+accept(?:ed)?|reject(?:ed)?|noted"
    r"|partiellement\s+accept[ée]e?s?|accept[ée]e?s?|rejet[ée]e?s?|non\s+accept[ée]e?s?)\b\.?\s*(?:\([^)]{1,30}\))?\s*",
    re.I,
)


_SUB_NUMBER = re.compile(r"^(?P<parent>\d{1,2})\.(?P<sub>\d{1,2})\.?\s+(?=\S)")


def label_of(text: str) -> tuple[str | None, str | None, int] | None:
    """(kind, number as printed, end of the label) when `text` opens on a record label, else None.

    kind is "code" (LL-1, GP2: kept whole), "word" (Recommendation 3 -> "3")
    or "mr" (a management response, numbered by what it answers).
    """
    m = _LABEL.match(text.strip())
    if not m:
        return None
    offset = len(text) - len(text.lstrip())
    if m["code"]:
        return "code", re.sub(r"\s+", "", m["code"]).upper(), m.end() + offset
    if m["num"]:
        return "word", m["num"], m.end() + offset
    return "mr", None, m.end() + offset


def marker(text: str) -> tuple[str, str | None, int] | None:
    """(style, number, end) of a list marker opening `text`."""
    m = MARKER.match(text)
    if not m:
        return None
    for style in ("num", "paren", "roman", "alpha"):
        if m[style]:
            return style, m[style], m.end()
    return "bullet", None, m.end()


def sub_number(text: str, parent: str | None) -> tuple[str, int] | None:
    """("1.2", end) when `text` opens on a sub-item number of `parent` ("1.2 ...", "1.2. ...")."""
    if not parent:
        return None
    m = _SUB_NUMBER.match(text)
    if m and m["parent"] == parent:
        return f"{m['parent']}.{m['sub']}", m.end()
    return None


def cell_then_first_sub(text: str, parent: str | None) -> tuple[str, int] | None:
    """(cells, start of "N.1") when a table's cells ran into the line that opens sub-item N.1
    ("Élevé Pendant la phase de formulation 4.1 Développer ..."): the cells stay with item N."""
    if not parent:
        return None
    m = re.search(rf"(?<=\S)\s+{re.escape(parent)}\.1\.?\s+(?=[A-ZÀ-Ý])", text)
    return (text[:m.start()], m.end()) if m else None


def follows(previous: str | None, number: str) -> bool:
    """Sub-items count in order: N.1 opens under item N, N.(k+1) follows N.k; "1.6" out of the blue is text."""
    parent, sub = number.split(".")
    return (previous == parent and sub == "1") or previous == f"{parent}.{int(sub) - 1}"


def strip_label(text: str, end: int) -> str:
    return re.sub(r"^\s*(?:\([^)]{1,30}\)\s*)?[:.–—-]?\s*", "", text[end:])


def answered_by(number: str | None, unanswered: list[str | None]) -> str | None:
    """What a response answers: the recommendation it follows, or that one's parent when the response
    follows several of the parent's sub-recommendations (one response to 5.1 and 5.2 answers 5)."""
    parent = parent_number(number)
    if parent and sum(1 for n in unanswered if parent_number(n) == parent) >= 2:
        return parent
    return number


_STATED = re.compile(r"\b(partially accepted|not accepted|accepted|rejected|partiellement acceptée?s?"
                     r"|acceptée?s?|rejetée?s?)\b", re.I)


def stated_status(text: str) -> str | None:
    """A response's status said in its opening sentence ("This recommendation is rejected because ..."),
    when no label gives it."""
    first = SENTENCE_END.split(text, maxsplit=1)[0][:160]
    found = _STATED.search(first)
    return found.group(1)[:1].upper() + found.group(1)[1:].lower() if found else None


def parent_number(number: str | None) -> str | None:
    """A sub-item's parent: "1" for "1.1", "2.3" for "2.3.1"; None for a top-level or unnumbered item."""
    if number and re.fullmatch(r"\d{1,2}(?:\.\d{1,2})+", number):
        return number.rsplit(".", 1)[0]
    return None


def path_number(path: Sequence[str]) -> str | None:
    """The number of the nearest labelled heading above: what a management response answers."""
    for heading in reversed(path):
        found = label_of(heading)
        if found and found[1]:
            return found[1]
    return None


# A recommendation table's item numbers, printed bare ("1 Enhance ...", a "4" cell above its text) or run
# into the line before ("... of SAP. 1.3. WFP to support ..."): trusted only when they count in order.
_BARE_NUMBER = re.compile(r"^(?P<n>\d{1,2}(?:\.\d{1,2})?)\.?$")
_OPENING_NUMBER = re.compile(r"^(?P<n>\d{1,2}(?:\.\d{1,2})?)\.?\s+(?=[A-ZÀ-Ý])")
_RUN_IN_NUMBER = re.compile(r"(?<=[.;:!?)])\s+(?P<n>\d{1,2}(?:\.\d{1,2})?)\.?\s+(?=[A-ZÀ-Ý])")


def next_numbers(last: str | None) -> set[str]:
    """The item numbers that may come after `last` in a list with sub-items: 1 -> 1.1 or 2; 1.2 -> 1.3 or 2."""
    if last is None:
        return {"1", "1.1"}
    top, _, sub = last.partition(".")
    following = {str(int(top) + 1), f"{int(top) + 1}.1"}
    # one sub-item may be lost to the layout (a cell cut off mid-row): 1.1 may be followed by 1.3
    return following | ({f"{top}.{int(sub) + 1}", f"{top}.{int(sub) + 2}"} if sub else {f"{top}.1"})


def counted_items(texts: list[str], last: str | None = None) -> tuple[list[tuple[int, int, str]], str | None]:
    """The texts re-cut so each numbered item opens its own text as "N. ..." or "N.M ...": (index of the
    text a piece came from, its offset there, the piece), and the last item number met. Numbers out of
    order are left as they are (a year, a paragraph number, a figure); `last` carries the count on from
    a table's previous part (a group "B)" going on from where "A)" ended)."""
    out: list[tuple[int, int, str]] = []
    pending: str | None = None  # a bare number cell, waiting for its text
    for i, text in enumerate(texts):
        bare = _BARE_NUMBER.match(text)
        if bare and bare["n"] in next_numbers(last):
            pending = last = bare["n"]
            continue
        opening = _OPENING_NUMBER.match(text)
        prefix, start = "", 0
        if pending is not None:
            prefix = _canonical(pending) if text[:1].isupper() else ""
            pending = None
        elif opening and opening["n"] in next_numbers(last):
            last = opening["n"]
            prefix, start = _canonical(last), opening.end()
        for m in _RUN_IN_NUMBER.finditer(text, start):
            if m["n"] in next_numbers(last):
                out.append((i, start, prefix + text[start:m.start()].strip()))
                last = m["n"]
                prefix, start = _canonical(last), m.end()
        out.append((i, start, prefix + text[start:].strip()))
    return [(i, at, t) for i, at, t in out if t.strip()], last


def _canonical(number: str) -> str:
    """How the list reader knows an item's number: "4. " for a top item, "4.1 " for a sub-item."""
    return f"{number}. " if "." not in number else f"{number} "


# "EVALUATION RECOMMENDATION B - REINTEGRATION ...", "A) STRATEGIC VISION": a lettered group whose items
# count from 1 again; they are numbered B.1, B.2 as the report's readers cite them.
_GROUP = re.compile(
    r"^(?:(?:evaluation\s+)?recomm?[ae]ndations?\s+(?P<word>(?-i:[A-Z]))|(?P<lettered>(?-i:[A-Z]))\))(?=\s|$)", re.I
)


def group_letter(path: Sequence[str]) -> str | None:
    """The letter of the nearest lettered group heading above, if any."""
    for heading in reversed(path):
        m = _GROUP.match(heading.strip())
        if m:
            return m["word"] or m["lettered"]
    return None
