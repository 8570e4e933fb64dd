"""A report at a glance: its facts, the opening of its summary, what it found per DAC criterion
(each a cited sentence of its own, with the rating it gives), its records, and its kin in the library.

Everything on the card is the report's own text with a citation to its
page: a reader checks the card as an answer, not as a paraphrase.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.answer.base import Citations, cited_at, sentence
from assistant.answer.lists import record_passage
from assistant.index.snapshot import Snapshot
from assistant.models import (
    DAC_CRITERIA,
    RECORD_HEADINGS,
    RECORD_TYPES,
    Answer,
    Document,
    Finding,
    Passage,
    Record,
    RelatedDocument,
    ReportCard,
)
from assistant.search.candidates import Candidate, to_passage
from assistant.search.ranking import kin_titles

__all__ = ["SUMMARY_CHARS", "build_card", "card_answer", "summary_request"]

SUMMARY_CHARS = 600  # the opening of an executive summary: two or three sentences
MAX_RECORDS_SHOWN = 12  # per type, in a chat answer; the card itself has them all

# How each criterion is named in a report's sentence, in the corpus's languages.
# How each criterion is named as a noun (the subject of a verdict) and as the adjective a verdict uses.
_NOUNS = {
    "relevance": r"relevance|pertinence|pertinencia",
    "coherence": r"coherence|cohérence|coherencia",
    "effectiveness": r"effectiveness|efficacité|eficacia",
    "efficiency": r"efficiency|efficience|eficiencia",
    "impact": r"impacts?|impacto",
    "sustainability": r"sustainability|durabilité|viabilité|sostenibilidad",
    "validity_of_design": r"validity of (?:the )?design|design validity",
}
_ADJECTIVES = {
    "relevance": r"relevant|pertinente?s?",
    "coherence": r"coherent|cohérente?s?|coherentes?",
    "effectiveness": r"effective|efficaces?|eficaz",
    "efficiency": r"efficient|efficiente?s?|eficientes?",
    "sustainability": r"sustainable|durables?|sostenibles?",
}
_NOUN = {c: re.compile(rf"\b(?:{p})\b", re.I) for c, p in _NOUNS.items()}
_ADVERB = r"(?:(?:highly|moderately|quite|relatively|very|largely|partially|partly|fully|generally|mostly|rather|not|" \
          r"très|assez|plutôt|peu|muy|bastante|poco)\s+)?"
_COPULA = r"\b(?:is|was|were|are|be|been|remains?|remained|rated(?: as)?|est|était|sont|fue|es|son)\s+" \
          r"(?:found to be\s+|considered\s+|assessed as\s+|deemed\s+|jugée?s?\s+|considérée?s?\s+)?"
# "is highly relevant", and "is highly relevant, generally coherent": a list of grades after one verb.
_OWN = {c: re.compile(rf"{_COPULA}(?:[^.;:]{{0,60}}?,\s*(?:and\s+|et\s+|y\s+)?)?({_ADVERB}(?:{p}))\b", re.I)
        for c, p in _ADJECTIVES.items()}
_GRADE = re.compile(
    rf"{_COPULA}({_ADVERB}(?:satisfactory|unsatisfactory|high|low|likely|unlikely|strong|weak|good|poor|limited|"
    r"modest|satisfaisante?s?|élevée?s?|faibles?|limitée?s?|satisfactori[oa]s?|alt[oa]s?|baj[oa]s?))\b"
    r"|\b(?:score|rating|rated|note)\b[^.;]{0,40}?(\d(?:[.,]\d)?\s*(?:/|out of|sur)\s*\d+)"
    r"|^\s*\((\d{1,3}(?:[.,]\d)?\s*%)\)|^\s*:\s*(\d(?:[.,]\d)?\s*(?:/|out of|sur)\s*\d+|\d{1,3}(?:[.,]\d)?\s*%)",
    re.I,
)
_VERDICT = re.compile(r"\b(?:found|concluded|assessed|rated|judged|considered|constat|conclu|jug|consid)\w*", re.I)
# Where an evaluation states its verdicts: its summary and conclusions first, then its findings.
_SECTION_WEIGHT = {"conclusions": 3.0, "summary": 2.5, "findings": 2.0}
# Not the summary's opening: a fact sheet's "label: value", an address, the acknowledgements.
_FRONT_SECTION = re.compile(r"acknowledg|remerciement|agradecimiento|foreword|préface|prólogo|abbreviation|acronym|"
                            r"sigles|siglas|contents|sommaire|table des matières|índice|disclaimer|photo", re.I)
# A criterion's definition ("Relevance is the extent to which ...") is no verdict on it.
_DEFINITION = re.compile(r"\b(?:the extent to which|the degree to which|la mesure dans laquelle|dans quelle mesure|"
                         r"el grado en que|la medida en que|refers to|se réfère à|se refiere a)\b"
                         r"|\bconsid(?:ers|ère) (?:the|l[ae’'])", re.I)
# A document describing itself ("This evaluation brief presents a summary of ...") says nothing of the evaluation.
_ABOUT_ITSELF = re.compile(r"^(?:this|the present|cette|ce|la présente|le présent|este|esta)\s+(?:\w+\s+){0,2}?"
                           r"(?:brief|report|document|note|summary|rapport|résumé|brève|informe)\b"
                           r"|\b(?:full (?:evaluation )?report|rapport (?:d.évaluation )?complet|informe completo)\b"
                           r"|\b(?:(?:views|opinions) expressed|opinions exprimées|opiniones expresadas|designations employed|"
                           r"appellations employées|denominaciones empleadas)\b"  # the UN disclaimers
                           r"|\b(?:(?:would like|wish(?:es)?) to thank|(?:is|are) grateful|tien(?:t|nent) à remercier|"
                           r"agradece\w*)\b", re.I)  # acknowledgements under a heading not named so
_LABEL = re.compile(r"^[^.:]{1,100}:\s")
_SUMMARY = re.compile(r"\b(?:executive summary|summary|résumé|resumen|synthèse|key messages|overview)\b", re.I)
_SUMMARIZE = re.compile(
    r"^\s*(?:please\s+)?(?:summari[sz]e|give me (?:the gist|an overview|a summary) of|what is the gist of|"
    r"(?:an? )?(?:overview|summary|gist) of|résume[rz]?|fais un résumé de|resume|resumir)\b\s*(?P<rest>.*)$",
    re.I,
)


_REPORT_WORD = re.compile(r"\b(?:evaluations?|reports?|reviews?|study|brief|évaluation|rapport|note|evaluación|informe|"
                          r"programme|program|project|projet|proyecto|initiative|strategy|policy)\b", re.I)
_PART_WORD = re.compile(r"\b(?:recommend\w*|lessons?|findings?|practices?|conclusions?|responses?|recomenda\w*|"
                        r"leçons?|constatations?)\b", re.I)


def summary_request(question: str) -> str | None:
    """The report a "summarise the X evaluation" question names (its words), else None."""
    m = _SUMMARIZE.match(question)
    if not m:
        return None
    rest = m.group("rest").strip(" ?.!")
    if not _REPORT_WORD.search(rest) or _PART_WORD.search(rest):  # "summarise the lessons on gender": a list question
        return None
    return rest


def build_card(doc: Document, snapshot: Snapshot, records: Iterable[Record], library: Iterable[Document]) -> ReportCard:
    chunk_ids = snapshot.chunks_of(doc.doc_id)
    rows = snapshot.rows(chunk_ids)
    passages = [to_passage(Candidate(c, rows[c][0], rows[c][1])) for c in chunk_ids if c in rows]
    spans = snapshot.sentences([p.chunk_id for p in passages])
    # A management response has no summary of its own: its records are its content.
    summary, summary_citation = _summary(passages, spans, doc.title) if doc.kind != "management response" else ("", None)
    grouped: dict[str, list[Record]] = {}
    for record in records:
        grouped.setdefault(record.type, []).append(record)
    related = [
        RelatedDocument(doc_id=d.doc_id, title=d.title, kind=d.kind, year=d.year)
        for d in library
        if d.doc_id != doc.doc_id and kin_titles(d.title, doc.title)
    ]
    return ReportCard(
        document=doc,
        summary=summary,
        summary_citation=summary_citation,
        findings=_findings(passages, spans),
        records={t: grouped[t] for t in RECORD_TYPES if t in grouped},
        related=related,
    )


def _summary(passages: list[Passage], spans, title: str) -> tuple[str, Passage | None]:
    """The opening sentences of the summary (or of the body, when the summary has no prose)."""
    body = [p for p in passages if p.section_type not in ("annex",) and len(p.text) > 200]
    summary = [p for p in body if p.section_type == "summary" or _SUMMARY.search(p.section)]
    heading = _words(title)[:6]
    for p in summary + [p for p in body if p not in summary]:
        picked: list[str] = []
        start: int | None = None
        if _FRONT_SECTION.search(p.section):
            continue
        for s, e, _ in spans.get(p.chunk_id, []):
            text = " ".join(p.text[s:e].split())
            if not _prose(text) or _ABOUT_ITSELF.search(text) or (heading and _words(text)[:6] == heading):
                if picked:  # the opening ends where the prose does
                    break
                continue
            start = s if start is None else start
            picked.append(text)
            if sum(map(len, picked)) >= SUMMARY_CHARS * 0.6:
                break
        if picked:
            return " ".join(picked)[: SUMMARY_CHARS + 200], cited_at(p, start or 0)
    return "", None


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _prose(text: str, labelled: bool = False, min_words: int = 8) -> bool:
    """A sentence that reads as prose: not an address, a title in capitals or (unless `labelled`) a
    "label: value" line of a fact sheet."""
    words = text.split()
    if len(words) < min_words or text.endswith(":") or not text[0].isalnum():
        return False
    if not labelled and (_LABEL.match(text) or text.count(":") > 1):
        return False
    capitals = sum(1 for w in words if w[:1].isupper())
    figures = sum(1 for w in words if any(c.isdigit() for c in w))  # a table row: "30 (30 Adult (25 to 59 ..."
    return capitals <= 0.4 * len(words) and figures <= 0.3 * len(words)


def _findings(passages: list[Passage], spans) -> list[Finding]:
    """Per criterion, the report's sentence that states its verdict on it, best placed first.

    A sentence counts when it names the criterion as a noun ("the Coherence of
    the programme") or grades it ("is highly relevant"); an adjective in
    passing ("effective education systems") does not.
    """
    best: dict[str, tuple[float, Finding]] = {}
    n = max(1, len(passages))
    for position, p in enumerate(passages):
        if p.section_type in ("annex", "methodology", "recommendations", "lessons_learned", "management_response"):
            continue
        tagged = set(p.metadata.get("criteria") or [])
        for s, e, _ in spans.get(p.chunk_id, []):
            text = " ".join(p.text[s:e].split())
            if not 30 <= len(text) <= 700 or not _prose(text, True, 5) or text[0].isdigit() or text.endswith("?"):
                continue
            if sum(1 for noun in _NOUN.values() if noun.search(text)) >= 3 or _DEFINITION.search(text):
                continue  # "Evaluation criteria: relevance, ...", "Relevance is the extent to which ..."
            for criterion in DAC_CRITERIA:
                noun = _NOUN[criterion].search(text)
                rating = _rating(criterion, text, noun)
                if not rating and (not noun or _named_before(criterion, text, noun.start())):
                    continue  # no grade, and the sentence is about another criterion first
                early = noun is not None and noun.start() < 80
                score = (_SECTION_WEIGHT.get(p.section_type, 1.0) + (2.0 if rating else 0.0)
                         + (1.0 if _VERDICT.search(text) else 0.0) + (1.0 if early else 0.0)
                         + (0.5 if criterion in tagged else 0.0) - position / n)
                if criterion not in best or score > best[criterion][0]:
                    finding = Finding(criterion=criterion, sentence=sentence(text), rating=rating, citation=cited_at(p, s))
                    best[criterion] = (score, finding)
    return [best[c][1] for c in DAC_CRITERIA if c in best]


def _named_before(criterion: str, text: str, at: int) -> bool:
    return any((m := noun.search(text)) is not None and m.start() < at for c, noun in _NOUN.items() if c != criterion)


def _rating(criterion: str, text: str, noun: re.Match[str] | None) -> str | None:
    """The grade the sentence gives this criterion: its own adjective graded ("highly relevant"), or a grade,
    score or share within the clause that names it ("Coherence ... is relatively high", "pertinence (75 %)")."""
    own = _OWN.get(criterion)
    found = own.search(text) if own else None
    if found:
        return " ".join(found.group(1).split())
    if noun is None:
        return None
    clause = re.split(r";|, (?:while|but|whereas|although)\b", text[noun.end():], maxsplit=1)[0][:120]
    if any(other.search(clause) for c, other in _NOUN.items() if c != criterion):
        clause = clause[: min(m.start() for c, o in _NOUN.items() if c != criterion for m in [o.search(clause)] if m)]
    grade = _GRADE.search(clause)
    if not grade:
        return None
    return " ".join(next(g for g in grade.groups() if g).split())


def card_answer(question: str, card: ReportCard, snapshot: Snapshot) -> Answer:
    """The card as a chat answer: every line the report's own words with its `[n]`."""
    cites = Citations()

    def cite_record(r: Record) -> str:
        passage = record_passage(snapshot, r)  # cited at the record's page: one citation per page of a passage
        return "" if passage is None else " " + cites.mark(passage, 0)

    doc = card.document
    facts = ", ".join(str(x) for x in (doc.organisation, ", ".join(doc.countries) or None, doc.year) if x)
    lines = [f"**{doc.title}**" + (f" ({facts})" if facts else "")]
    if card.summary and card.summary_citation:
        lines += ["", f"{card.summary} {cites.mark(card.summary_citation)}"]
    if card.findings:
        lines += ["", "**Findings by criterion**"]
        for f in card.findings:
            rating = f" — *{f.rating}*" if f.rating else ""
            lines.append(f"- {f.criterion.replace('_', ' ').capitalize()}{rating}: {f.sentence} {cites.mark(f.citation)}")
    for type_, items in card.records.items():
        lines += ["", f"**{RECORD_HEADINGS[type_]}** ({len(items)})"]
        for r in items[:MAX_RECORDS_SHOWN]:
            label = f"**{r.number}** " if r.number else ""
            text = r.title or r.text
            lines.append(f"- {label}{' '.join(text.split())[:300]}{cite_record(r)}")
        if len(items) > MAX_RECORDS_SHOWN:
            lines.append(f"- … and {len(items) - MAX_RECORDS_SHOWN} more (Lessons & recommendations tab)")
    if card.related:
        lines += ["", "Also in the library: " + "; ".join(f"{r.title} ({r.kind}, {r.year})" for r in card.related)]
    return Answer(question=question, text="\n".join(lines), citations=cites.passages, found=True)

