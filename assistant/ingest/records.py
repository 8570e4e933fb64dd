"""Sections -> evaluation records: each lesson, good practice, recommendation
and management response as the report prints it.

Only sections typed lessons_learned, good_practices, recommendations or
management_response (see `sections.py`) are read, so tables of contents,
annex lists and sentences that merely mention a recommendation never become
records. Inside them, decisions so they are not rediscovered:

- A section whose heading (or paragraph label, which `sections.py` turns
  into a heading) is a label ("LL-1", "GP2", "Recommendation 3:",
  "Evaluation recommendation # 2", "Management response") is one record,
  sub-bullets and explanation included. A management response takes the
  number of the recommendation it answers and its status ("Accepted",
  "partially accept") as title. Paragraphs opening on a further label
  ("Sub-recommendation 1.2:") start records of their own.
- Otherwise the items are the paragraphs that open with the first list
  marker seen ("1.", "1)", "(a)", "•", "-", ...); paragraphs with another
  marker are sub-items of the open item. A paragraph without a marker
  continues the open item when it carries on its sentence; an explanatory
  paragraph joins the item above it when the list has explanations between
  its items, and is left out after the last item of a compact list (layouts
  put the next column there).
- Lessons and good practices are often unnumbered: a section of those types
  with no list at all makes one record per paragraph. Recommendations and
  responses must be numbered, bulleted or labelled.
- Paragraphs repeated three times or more in a document's record sections
  are template text (matrix headers, "Do not complete this column ..."),
  as are responsibility/deadline cells ("Lead: PO", "Fourth quarter 2025");
  they are dropped. A running header or footer that a page break set inside
  an item is dropped and the item rejoined.
- `title` is the item's lead: the phrase before a colon or dash that opens
  it, else its first sentence when more follow; `page` is where it starts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.ingest.numbering import (
    INLINE_LABEL,
    MARKER,
    SENTENCE_END,
    STATUS,
    answered_by,
    cell_then_first_sub,
    counted_items,
    follows,
    group_letter,
    label_of,
    marker,
    parent_number,
    path_number,
    stated_status,
    strip_label,
    sub_number,
)
from assistant.ingest.restatements import merge_restatements
from assistant.models import Block, Document, Record, RecordType, Section, page_at

RECORDS_VERSION = 5  # bump when extraction changes: ingest re-extracts older documents (backfill.py)
TYPE_OF: dict[str, RecordType] = {
    "lessons_learned": "lesson",
    "good_practices": "good_practice",
    "recommendations": "recommendation",
    "management_response": "management_response",
}
UNNUMBERED_OK = {"lesson", "good_practice"}

_CELL = re.compile(
    r"^(?:(?:lead|support|responsib\w*(?: unit\(s\)| entit\w+)?|timeline|deadline|time ?frame|due date|priority(?: level)?"
    r"|status)\b[^:]{0,40}:|(?:first|second|third|fourth) quarter\s*\d{4}$|\d{1,3}$)",
    re.I,
)
_TOC = re.compile(r"(?:\.{4,}|…{2,}|_{4,})\s*\d{1,3}$")  # "5. Conclusion ......... 10"
_CONTENTS = re.compile(r"(?i)\bcontents\b|\bsommaire\b|table des mati[eè]res|\.{4,}")
_ASIDE = re.compile(r"\d{1,3}\s+[A-Z(\"“]|(?i:figure|fig\.|table|box|source|note)\s*\d*\s*[.:–-]")  # footnote, caption
_LEAD_SEP = re.compile(r"\s*(?::|\s[–—-])\s+")
_ENDS = (".", "!", "?", ":", ";")
MAX_TITLE = 200


@dataclass
class _Para:
    text: str
    page: int | None
    turns: list[tuple[int, int]] = field(default_factory=list)  # (offset, page) where a joined block's page begins

    def page_at(self, offset: int) -> int | None:
        return page_at(self.turns, offset, self.page)

    def join(self, text: str, page: int | None) -> None:
        self.text += " "
        if page is not None and page != (self.turns[-1][1] if self.turns else self.page):
            self.turns.append((len(self.text), page))
        self.text += text


@dataclass
class _Item:
    type: RecordType
    number: str | None
    page: int | None
    section: str
    parts: list[str] = field(default_factory=list)
    title: str | None = None  # set when the label says it (a response's status)
    group: str | None = None  # the lettered group it is printed in ("Recommendation B")

    @property
    def text(self) -> str:
        return "\n".join(p for p in self.parts if p)


def _norm(text: str) -> str:
    return " ".join(text.split())


def _continues(previous: str, text: str) -> bool:
    head = text.lstrip("\"'“‘([")
    return bool(head) and head[0].islower() and not previous.rstrip("\"'”’)]").endswith(_ENDS)


def paragraphs(blocks: Sequence[Block]) -> list[_Para]:
    """Blocks as paragraphs: page-break cuts rejoined, running headers/footers between them dropped."""
    out: list[_Para] = []
    single: list[bool] = []  # paragraph made of one block (a header/footer candidate)
    for block in blocks:
        text = _norm(block.text)
        if not text:
            continue
        if out and not MARKER.match(text) and not label_of(text):
            if (
                len(out) >= 2 and single[-1] and len(out[-1].text) < 90 and _continues(out[-1].text, text)
                and not out[-2].text.endswith(_ENDS) and not MARKER.match(out[-1].text)
            ):  # "... renforce la cohésion" | footer | "communautaire et ..."
                out.pop(), single.pop()
                out[-1].join(text, block.page)
                single[-1] = False
                continue
            if _continues(out[-1].text, text):
                out[-1].join(text, block.page)
                single[-1] = False
                continue
        out.append(_Para(text, block.page))
        single.append(True)
    return [p for para in out for p in _split_inline(para)]


def _split_inline(para: _Para) -> list[_Para]:
    """'... implementation Sub-recommendation 1.5: WFP's ...': a label a table layout ran into the text."""
    out, start = [], 0
    for m in [*INLINE_LABEL.finditer(para.text), None]:
        end = m.start() if m else len(para.text)
        piece = para.text[start:end]
        if piece.strip():
            begin = start + len(piece) - len(piece.lstrip())
            turns = [(at - begin, page) for at, page in para.turns if begin < at < end]
            out.append(_Para(piece.strip(), para.page_at(begin), turns))
        start = m.end() if m else end
    return out


def _template_keys(sections: Sequence[Section]) -> set[str]:
    counts: Counter[str] = Counter()
    for section in sections:
        for para in paragraphs(section.blocks):
            counts[_key(para.text)] += 1
    return {k for k, n in counts.items() if n >= 3 and len(k) > 3}


def _key(text: str) -> str:
    return re.sub(r"[\d\W_]+", " ", text.lower())[:50].strip()


def _junk(text: str, template: set[str]) -> bool:
    return len(text) < 4 or bool(_CELL.match(text)) or _key(text) in template


def lead(text: str) -> str | None:
    """The item's lead phrase: before an opening colon/dash, else its first sentence when more follow."""
    if MARKER.match(text):
        return None  # a list of actions, not a lead
    first = SENTENCE_END.search(text)
    sep = _LEAD_SEP.search(text, 0, MAX_TITLE)
    if sep and (first is None or sep.start() < first.start()) and len(text[: sep.start()].split()) >= 2:
        return text[: sep.start()].strip(" *")
    if first and first.start() <= MAX_TITLE and len(text) > first.end() + 20:
        return text[: first.start()].strip()
    return None


def stamp(doc: Document, count: int) -> Document:
    """The document as registered once its records are written by this extractor."""
    return doc.model_copy(update={"records": count, "records_version": RECORDS_VERSION})


def extract_records(doc: Document, sections: Sequence[Section]) -> list[Record]:
    """The document's records, in reading order; ids are stable for the same file."""
    typed = [s for s in sections if s.type in TYPE_OF and not any(_CONTENTS.search(h) for h in s.path)]
    template = _template_keys(typed)
    items: list[_Item] = []
    count: dict[str, str | None] = {"last": None}  # a table's item count, carried across its groups
    answered: str | None = None  # the recommendation a response without a number answers
    unanswered: list[str | None] = []  # the recommendations since the last response
    for section in typed:
        for item in _section_items(section, TYPE_OF[section.type], template, count):
            if item.type == "recommendation":
                answered = item.number
                unanswered.append(item.number)
            elif item.type == "management_response":
                item.number = answered_by(item.number or answered, unanswered)
                unanswered = []
            items.append(item)
    _group_numbers(items)
    records: list[Record] = []
    for item in items:
        text = item.text.strip()
        if len(text) < 15 or text.endswith("?") or _TOC.search(text):
            continue
        records.append(Record(
            id="",
            type=item.type,
            number=item.number,
            title=item.title or (item.type == "management_response" and stated_status(text)) \
            or lead(" ".join(text.split())),
            text=text,
            doc_id=doc.doc_id,
            source=doc.source,
            document_title=doc.title,
            organisation=doc.organisation,
            countries=list(doc.countries),
            year=doc.year,
            page=item.page,
            parent=parent_number(item.number),
            section=item.section,
        ))
    ordinals: Counter[str] = Counter()
    out = []
    for record in merge_restatements(records):
        ordinals[record.type] += 1
        out.append(record.model_copy(update={"id": f"{doc.doc_id}:{record.type}:{ordinals[record.type]:03d}"}))
    return out


def _section_items(section: Section, rtype: RecordType, template: set[str],
                   count: dict[str, str | None]) -> list[_Item]:
    paras = paragraphs(section.blocks)
    path = section.path
    head = label_of(path[-1]) if path else None
    items: list[_Item] = []
    if head:  # the whole section is one labelled record
        kind, number, _ = head
        item = _Item(rtype, number if kind != "mr" else path_number(path[:-1]), paras[0].page if paras else None, section.title)
        for para in paras:
            text = para.text
            found = label_of(text)
            mark = marker(text)
            if found and not item.parts and (found[1] == number or found[0] == kind == "mr"):
                text = strip_label(text, found[2])
            elif found and found[0] == "mr" and item.type == "recommendation":
                items.append(item)  # a matrix row: the response to this recommendation follows it
                item = _Item("management_response", item.number, para.page, section.title)
                text = strip_label(text, found[2])
            elif found and found[0] != "mr" and found[1] and found[1] != number:
                items.append(item)  # "Sub-recommendation 1.2: ..." inside "Recommendation 1"
                item = _Item(rtype, found[1], para.page, section.title)
                if rtype == "management_response":  # "Recommendation 2 accepted: ..." in a response matrix
                    item.title = stated_status(text[:found[2]])
                text = strip_label(text, found[2])
            elif mark and mark[0] == "num" and number and item.type == "recommendation" and kind == "word":
                items.append(item)  # "1. To devise ..." inside "Recommendation 5": sub-recommendation 5.1
                item = _Item(rtype, f"{number}.{mark[1]}", para.page, section.title)
                text = text[mark[2]:]
            elif item.type == "recommendation" and kind == "word" and item.number == number \
                    and not sub_number(text, number) and (run_in := cell_then_first_sub(text, number)):
                item.parts.append(run_in[0])
                items.append(item)  # "<cells> 4.1 Développer ..." inside "Recommandation 4": sub-item 4.1
                item = _Item(rtype, f"{number}.1", para.page, section.title)
                text = text[run_in[1]:]
            elif (sub := sub_number(text, number)) and item.type == "recommendation" and kind == "word" \
                    and follows(item.number, sub[0]):
                items.append(item)  # "5.2 Organise ..." inside "Recommendation 5"
                item = _Item(rtype, sub[0], para.page, section.title)
                text = text[sub[1]:]
            if item.type == "management_response" and item.title is None and not item.parts:
                status = STATUS.match(text)  # before the template test: "Accepted" repeats
                if status:
                    item.title = status["status"][:1].upper() + status["status"][1:]
                    rest = text[status.end():].strip()
                    if not rest[:1].islower():  # a label ("Accepted."), not "Partially accepted as some ..."
                        text = rest
            if text and not _junk(text, template):
                item.parts.append(text)
        items.append(item)
        return _grouped([i for i in items if i.parts], path)

    if rtype == "recommendation":  # a table's bare or run-in item numbers, as a list marks them
        pieces, count["last"] = counted_items([p.text for p in paras], count["last"])
        paras = [_Para(text, paras[i].page_at(at)) for i, at, text in pieces]
    style: str | None = None
    current: _Item | None = None
    loose: list[str] = []  # unmarked paragraphs after the open item
    expanded = False  # explanations between items: they belong to the item above
    for para in paras:
        text = para.text
        if _junk(text, template):
            continue
        top = current.number.split(".")[0] if current is not None and current.number else None
        sub = sub_number(text, top) if current is not None and rtype == "recommendation" else None
        if current is not None and sub and follows(current.number, sub[0]):
            current.parts.extend(loose)  # a sub-recommendation ("1.2 ...") under the open item 1
            loose = []
            items.append(current)
            current = _Item(rtype, sub[0], para.page, section.title, [text[sub[1]:]])
            continue
        found = label_of(text)
        mark = marker(text)
        if found and found[0] != "mr" and (style in (None, "label")):
            style = "label"
            mark = ("label", found[1], found[2])
        if mark and (style is None or mark[0] == style):
            style = mark[0]
            if current is not None:
                expanded = expanded or bool(loose)
                current.parts.extend(loose)
                items.append(current)
            loose = []
            body = strip_label(text, mark[2]) if style == "label" else text[mark[2]:]
            current = _Item(rtype, mark[1], para.page, section.title, [body])
            continue
        if current is None:
            continue  # an introduction ("The evaluation makes five recommendations:")
        if mark and not loose:  # a sub-item of the open item
            current.parts.append(text)
        else:
            loose.append(text)
    if current is not None:
        if expanded:
            current.parts.extend(loose)
        items.append(current)
    items = _grouped(items, path)
    if not items and rtype in UNNUMBERED_OK:
        for para in paras:
            if not _junk(para.text, template) and len(para.text) >= 60 and para.text.endswith(_ENDS) \
                    and not _ASIDE.match(para.text):
                items.append(_Item(rtype, None, para.page, section.title, [para.text]))
    return items


def _grouped(items: list[_Item], path: Sequence[str]) -> list[_Item]:
    """Items of a lettered group ("Recommendation B", "A) ...") know their group (see `_group_numbers`)."""
    group = group_letter(path)
    for item in items:
        item.group = group
    return items


def _group_numbers(items: list[_Item]) -> None:
    """Groups whose items count from 1 again ("B" 1, 2, 3 after "A" 1, 2) number them B.1, B.2, as their
    readers cite them; groups that go on counting (A: 1, 1.1; B: 2, 2.1) keep their numbers."""
    seen: dict[tuple[str, str], set[str]] = {}
    for item in items:
        if item.group and item.number and item.number[0].isdigit():
            seen.setdefault((item.type, item.number), set()).add(item.group)
    if any(len(groups) > 1 for groups in seen.values()):
        for item in items:
            if item.group and item.number and item.number[0].isdigit():
                item.number = f"{item.group}.{item.number}"
