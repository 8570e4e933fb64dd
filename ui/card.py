"""A report's card in the Library: its facts, summary opening, findings per DAC criterion and records.

Each line is the report's own words with a link to its page, so the card
can be checked as any answer can (`Assistant.card` builds it).
"""

from __future__ import annotations

import html

from assistant.models import RECORD_HEADINGS, Passage, Record, ReportCard

from .render import file_url

__all__ = ["card_html"]

CRITERION_LABELS = {"validity_of_design": "Validity of design"}


def card_html(card: ReportCard, settings=None) -> str:
    doc = card.document
    facts = [x for x in (doc.organisation, ", ".join(doc.countries), doc.year, doc.kind, doc.language,
                         f"{doc.pages} pages" if doc.pages else None) if x]
    parts = [
        f'<div class="ea-card" data-doc="{html.escape(doc.doc_id)}">',
        f'<h3 class="ea-card-title">{html.escape(doc.title or doc.source)}</h3>',
        f'<div class="ea-meta">{html.escape(" · ".join(str(f) for f in facts))}</div>',
    ]
    if card.summary:
        parts.append(f'<p class="ea-card-summary">{html.escape(card.summary)} {_cite(card.summary_citation, settings)}</p>')
    if card.findings:
        rows = "".join(
            f'<tr class="ea-finding" data-criterion="{f.criterion}">'
            f'<th>{html.escape(CRITERION_LABELS.get(f.criterion, f.criterion.capitalize()))}</th>'
            f'<td class="ea-rating">{html.escape(f.rating or "")}</td>'
            f"<td>{html.escape(f.sentence)} {_cite(f.citation, settings)}</td></tr>"
            for f in card.findings
        )
        parts.append(f'<h4>Findings by criterion</h4><table class="ea-card-findings"><tbody>{rows}</tbody></table>')
    for type_, records in card.records.items():
        items = "".join(f"<li>{_record(r, settings)}</li>" for r in records)
        parts.append(f'<h4>{RECORD_HEADINGS[type_]} ({len(records)})</h4>'
                     f'<ol class="ea-card-records" data-type="{type_}">{items}</ol>')
    if card.related:
        kin = "; ".join(f"{html.escape(r.title)} ({html.escape(r.kind)}{f', {r.year}' if r.year else ''})"
                        for r in card.related)
        parts.append(f'<div class="ea-meta ea-card-related">Also in the library: {kin}</div>')
    parts.append("</div>")
    return "".join(parts)


def _record(r: Record, settings) -> str:
    number = f"<b>{html.escape(r.number)}</b> " if r.number else ""
    text = html.escape(" ".join((r.title or r.text).split())[:400])
    page = f' <a href="{file_url(r.doc_id, r.page, settings)}" target="_blank" rel="noopener">p. {r.page}</a>' \
        if r.page else ""
    return f"{number}{text}{page}"


def _cite(p: Passage | None, settings) -> str:
    if p is None:
        return ""
    where = f"p. {p.page}" if p.page else (p.section.split(" > ")[-1] if p.section else "source")
    return (f'<a class="ea-card-cite" href="{file_url(p.doc_id, p.page, settings)}" target="_blank" '
            f'rel="noopener">({html.escape(where)})</a>')
