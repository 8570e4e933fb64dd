"""Headings -> sections: where a passage sits in a report and what kind of text it is.

Evaluation reports are read by part (findings, recommendations, lessons) and
by DAC criterion, so both are decided once here and every chunk inherits them.

Decisions, so they are not rediscovered:
- The nearest heading that names a type wins; headings naming nothing
  ("Interview list", "Outcome 1") inherit from their ancestors.
- A heading naming several types takes the first one named, since reports put
  their main content first: "MAIN FINDINGS & CONCLUSIONS" is findings,
  "Conclusions and recommendations" is conclusions.
- Under an annex only the evaluative products that reports often park there
  (recommendations, lessons, good practices, management response) escape the
  annex type; the "Background" of an annexed ToR stays annex.
- A heading that only names a DAC criterion or an evaluation question
  ("Effectiveness", "EQ2") means findings when no ancestor says otherwise.
- Labelled items opening a paragraph (LL-1, GP2, Recommendation 3:,
  Management response -) start their own section: summaries and response
  matrices set them in body text, not headings.
- Criteria come from any heading on the path, and from a paragraph only where
  a sentence opens on one ("With respect to Relevance, ...", "Sur
  l'efficacité, ..."): the topic then runs to the next such opening, and on
  into following paragraphs until one opens on a topic of its own (see
  `topic_spans`). A passing "impact" or "relevant" tags nothing, nor does a
  list of four criteria or more ("Evaluation criteria: relevance, ...").
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

from assistant.ingest.loaders.headings import is_known_section
from assistant.ingest.numbering import label_of
from assistant.ingest.outline import Outline, number_of
from assistant.models import DAC_CRITERIA, Block, Section, SectionType

MAX_HEADING_CHARS = 150  # a paragraph mistaken for a heading must not flood the path

_TYPE_PATTERNS: dict[SectionType, str] = {
    "summary": r"executive summary|^summary$|^resume(?: executif| analytique)?$|resume executif"
    r"|resume d.evaluation|^synthese$|^abstract$|\bkey messages?\b|\bmessages? cles\b"
    r"|\bquick facts\b|\bat a glance\b|^(?:in|en) bref$|^evaluation (?:summary|brief)$",
    "background": r"\bintroduction\b|\bbackground\b|\bcontexte?\b|\bpurpose\b|\bhistorique\b"
    r"|\b(?:project|programme|program|intervention|policy) (?:description|overview|summary)\b"
    r"|\bresume du (?:projet|programme)\b"
    r"|\bdescription (?:of (?:the )?|du |de la |de l.|des )(?:project|programme|program|intervention|projet)"
    r"|\bpresentation (?:du|de la|de l.)|\bsubject being evaluated\b|\bobje(?:ct|t) (?:of (?:the )?|de l.)evaluation"
    r"|\bobjectifs? de l.evaluation|\btheor(?:y of change|ie du changement)\b",
    "methodology": r"\bmethodolog|\bmethod(?:s|es?)\b|\bevaluation approach\b|^approach\b|\bapproche\b"
    r"|\blimitations?\b|\blimites\b|\bscope\b|\bportee\b|\bchamp de l.evaluation\b|\bdata collection\b"
    r"|\bcollecte (?:des|de) donnees\b|\bsampling\b|\bechantillon|\bevaluation design\b"
    r"|\bevaluation (?:questions|criteria|matrix)\b|\b(?:questions|criteres|matrice) d.evaluation\b|\bethic|\bethique",
    "findings": r"\bfindings?\b|\bachievements\b|\bconstatations?\b|\bconstats?\b|^(?:key |main |evaluation )?results$"
    r"|\bresults of the evaluation\b|^(?:principaux )?resultats$|\bresultats de l.evaluation\b",
    "conclusions": r"\bconclu(?:sions?|ding)\b|\boverall assessment\b|\bappreciation globale\b",
    "recommendations": r"\brecomm?[ae]ndations?\b|\bway forward\b",
    "lessons_learned": r"\blessons?\b|\bll ?-? ?\d|\blecons?\b|\benseignements?\b",
    "good_practices": r"\b(?:good|best|promising|emerging|innovative) practices?\b|\b(?:e?gp) ?-? ?\d"
    r"|\bbonnes? pratiques?\b|\bpratiques? prometteuses?\b",
    "management_response": r"\bmanagement(?:'s)? response\b|\breponse de la (?:direction|gestion|administration)\b",
    "annex": r"^(?:annex|annexe|annexes|appendix|appendices)\b|\bterms of reference\b|\btermes de reference\b"
    r"|\bbibliograph|\bdocuments (?:consulted|reviewed)\b"
    r"|\blist of (?:documents|people|persons|interviewees|stakeholders)\b|\bliste des (?:personnes|documents)\b",
}
_TYPE_RES = {kind: re.compile(pattern) for kind, pattern in _TYPE_PATTERNS.items()}
_ANNEX_ESCAPES = {"recommendations", "lessons_learned", "good_practices", "management_response"}
_FRONT_MATTER = re.compile(  # lists of headings and terms: "Relevance ____ 16" is not about relevance
    r"\bcontents\b|\bsommaire\b|table des matieres|\blist of (?:figures|tables|acronyms|abbreviations)\b"
    r"|\bacronyms\b|\babbreviations\b|\bsigles\b"
)
_QUESTION = re.compile(r"\b(?:eq|qe) ?\d|\bevaluation question \d|\bquestion d.evaluation \d")
_NUMBERING = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[ivxlc]+[.)]|[a-z][.)])\s+")

_CRITERIA: dict[str, str] = {
    "relevance": r"relevance|pertinence",
    "coherence": r"coherence",
    "effectiveness": r"(?<!cost-)(?<!cost )(?<!cout-)(?:effectiveness|efficacite)",
    "efficiency": r"efficiency|efficience",
    "impact": r"(?<!evaluation d')(?<!etude d')impacts?(?! evaluation| assessment)",
    "sustainability": r"sustainability|durabilite|viabilite|perennite",
    "validity_of_design": r"validity of (?:the )?(?:\w+ )?design|design validity|validite de la conception",
}
_CRITERION = re.compile(
    r"\b(?:" + "|".join(f"(?P<{name}>{pattern})" for name, pattern in _CRITERIA.items()) + r")\b", re.I
)
_CRITERION_STEMS = ("relevan", "pertinen", "coh", "effectiv", "efficac", "efficien", "impact", "sustainab",
                    "durabilit", "viabilit", "rennit", "validit")  # a cheap test before the real one
_OPENER = r"(?:(?:overall|finally|lastly|first(?:ly)?|second(?:ly)?|third(?:ly)?|moreover|in addition|however" \
    r"|in general|globalement|enfin|en outre|de plus|par ailleurs|ensuite|toutefois)\s*,?\s*)?"
# The criterion is what the sentence is about: it opens the sentence ...
_SUBJECT = re.compile(
    _OPENER + r"(?:(?:the|its|la|le|les|l')\s*)?"
    r"(?:(?:project|programme|program|intervention|policy|initiative)(?:'s)?\s+)?(?:overall\s+)?",
    re.I,
)
# ... or follows a topic phrase, possibly after a few words ("the first evaluation criteria, ").
_TOPIC_PHRASES = (
    r"with (?:respect|regard) to|regarding|concerning|as regards|as for|in terms of|in relation to|turning to"
    r"|en ce qui concerne|concernant|quant au?x?|(?:en termes|s'agissant|en matiere) d(?:e|u|es|')"
)
_TOPIC = re.compile(
    _OPENER + r"(?:" + _TOPIC_PHRASES + r"|on|under|pour|sur|(?:au niveau|sur le plan|du point de vue) d(?:e|u|es|'))"
    r"\b[^.;:!?]{0,40}",
    re.I,
)
# A paragraph opening on a topic of its own, criterion or not, ends the one carried from before:
# "With respect to Gender Equality", "Cross-Cutting Issues: ...", "Overall, the Management Arrangements".
_OWN_TOPIC = re.compile(
    r"(?i:" + _OPENER + r"(?:" + _TOPIC_PHRASES + r")\b)|[A-Z][\w'-]*(?:[ /&-]+[\w'-]+){0,3}:\s"
    r"|(?i:" + _OPENER + r"the)\s+[A-Z]|\(?\d{1,2}[.)]\s"
)
_ASIDE = re.compile(  # a note or caption set into the text: "15 IOM (2022). The Impact of ...", "Figure 3. ..."
    r"\d{1,3}\s+[A-Z(\"“]"
    r"|(?i:figure|fig\.|table|box|graph|chart|map|tableau|encadre|graphique|carte)\s*\d+[a-z]?\s*[.:–-]"
)
_CHAIN = re.compile(r"\s*(?:,|&|and|et|, and)\s*", re.I)
_EMPHASIS = re.compile(r"(\*{1,3}|__|<(?:b|strong|i|em)>)([^*<\n]{1,40}?)(?:\*{1,3}|__|</(?:b|strong|i|em)>)")
_MARKUP = re.compile(r"<[^>]+>|\*+|__+|^#+\s*")
_SENTENCE_START = re.compile(r"[.!?…][*_\"'”’»)\]]*\s+(?=\S)")
_ENUMERATION = 4  # "Evaluation criteria: Relevance, coherence, ...": a list, not a topic
_LEAD_WINDOW = 120  # how much of a sentence's opening can name its topic
_CAPITAL_WINDOW = 50  # "Overall, the Effectiveness of": capitalised, near the start ...
_NAME_GOES_ON = re.compile(r"\s+[A-Z]")  # ... but not inside a name ("a Sustainability Workshop") ...
_NAMED_SUBJECT = re.compile(  # ... unless the name opens the sentence ("The Exit or Sustainability Plan")
    r"(?i:" + _OPENER + r"the\s+)?(?:[A-Z][\w'-]*\s+(?:(?:or|and|&)\s+)?)+"
)

_LABEL = re.compile(
    r"(?:\d{1,2}\s+)?(?P<label>(?:LL|E?GP)\s?-?\s?\d{1,2}|management response|r[ée]ponse de la direction"
    r"|(?:evaluation\s+)?(?:lessons?(?: learn(?:ed|t))?|(?:emerging )?good practices?|recommendations?|conclusions?"
    r"|findings?|le[cç]ons?(?: apprises?)?|recommandations?|bonnes? pratiques?|constatations?)"
    r"\s+(?:n[°o]\.?\s*|#\s*)?\d{1,2}(?:\.\d{1,2})*[a-z]?)\s*(?:[:.)–—-]|$)",
    re.I,
)

_FOLD = {
    code: unicodedata.normalize("NFKD", chr(code))[0]
    for code in range(0xC0, 0x250)
    if unicodedata.normalize("NFKD", chr(code))[0].isascii()
}
_FOLD.update({ord("’"): "'", ord("‘"): "'"})


def _fold(text: str) -> str:
    """Strip accents (same length, same case) so one pattern serves English and French."""
    return text.translate(_FOLD)


def clean(text: str) -> str:
    """Text without markdown/HTML emphasis and with single spaces."""
    return " ".join(_MARKUP.sub("", text).split())


def _heading_key(heading: str) -> str:
    return _NUMBERING.sub("", _fold(clean(heading)).lower()).strip(" :.-–")


def _heading_type(heading: str) -> SectionType | None:
    """The type a heading names itself, the first named if several."""
    key = _heading_key(heading)
    found = [(m.start(), i, kind) for i, (kind, rx) in enumerate(_TYPE_RES.items()) if (m := rx.search(key))]
    return min(found)[2] if found else None


def classify_section(path: Sequence[str]) -> SectionType:
    """Section type from its heading path (outermost first); see the module notes."""
    named = [_heading_type(h) for h in path]
    for depth in range(len(named) - 1, -1, -1):
        kind = named[depth]
        if kind is None:
            continue
        if kind not in _ANNEX_ESCAPES and "annex" in named[:depth]:
            return "annex"
        return kind
    if any(_QUESTION.search(_heading_key(h)) or detect_criteria(h, heading=True) for h in path):
        return "findings"
    return "other"


def _ordered(names: Iterable[str]) -> list[str]:
    found = set(names)
    return [c for c in DAC_CRITERIA if c in found]


def _named(match: re.Match[str]) -> str:
    return next(name for name, value in match.groupdict().items() if value)


def _capitalised(window: str, m: re.Match[str]) -> bool:
    """'Overall, the Effectiveness of ...': English capitalises a criterion it treats as a term."""
    if not (0 < m.start() <= _CAPITAL_WINDOW and window[m.start()].isupper()):
        return False
    return not _NAME_GOES_ON.match(window, m.end()) or bool(_NAMED_SUBJECT.fullmatch(window, 0, m.start()))


@lru_cache(maxsize=16384)  # sections are read twice: for their own criteria, then chunk by chunk
def _opening_criteria(raw: str) -> tuple[str, ...]:
    """Criteria a sentence opens on, given its first characters."""
    lowered = raw.lower()
    if not any(stem in lowered for stem in _CRITERION_STEMS):
        return ()
    found = [_named(m) for m in _CRITERION.finditer(_fold(" ".join(m.group(2) for m in _EMPHASIS.finditer(raw))))]
    window = _fold(clean(raw))
    if window[:1].islower():  # a fragment the layout cut off, not the opening of a sentence
        return tuple(_ordered(found))
    accepted_end = -1
    mixed_case = not window.isupper()
    for m in _CRITERION.finditer(window):
        if mixed_case and m.group().isupper():  # "the IMPACT study": a name
            continue
        before = window[: m.start()]
        if (
            _SUBJECT.fullmatch(before)
            or _TOPIC.fullmatch(before)
            or _capitalised(window, m)
            or (accepted_end >= 0 and _CHAIN.fullmatch(window[accepted_end : m.start()]))
        ):
            found.append(_named(m))
            accepted_end = m.end()
    return tuple(_ordered(found))


def criteria_spans(paragraph: str) -> list[tuple[int, list[str]]]:
    """Where a paragraph's topic criteria start: (offset, criteria), in order.

    A sentence that opens on a criterion sets the topic for itself and the
    sentences after it, until another sentence opens on a different one.
    """
    starts = [0, *(m.end() for m in _SENTENCE_START.finditer(paragraph))]
    spans: list[tuple[int, list[str]]] = []
    for start in starts:
        criteria = list(_opening_criteria(paragraph[start : start + _LEAD_WINDOW]))
        if criteria and len(criteria) < _ENUMERATION and (not spans or spans[-1][1] != criteria):
            spans.append((start, criteria))
    return spans


def topic_spans(path: Sequence[str], texts: Sequence[str]) -> list[list[tuple[int, list[str]]]]:
    """`criteria_spans` for each paragraph of the section at `path`, with topics carried over.

    A paragraph that does not open on a topic of its own goes on with the
    criterion of the previous paragraph, when that one was about a single
    criterion throughout: reports announce a criterion once and discuss it
    over several paragraphs, and loaders cut long paragraphs. A paragraph
    walking through several criteria passes none on.
    """
    if path and _FRONT_MATTER.search(_heading_key(path[-1])):
        return [[] for _ in texts]
    out: list[list[tuple[int, list[str]]]] = []
    running: list[str] = []
    for text in texts:
        lead = _fold(clean(text[:_LEAD_WINDOW]))
        if _ASIDE.match(lead):  # notes and captions neither set nor end the topic of the text around them
            out.append([])
            continue
        spans = criteria_spans(text)
        own = bool(spans and spans[0][0] == 0) or bool(_OWN_TOPIC.match(lead))
        if running and not own:
            spans.insert(0, (0, running))
        out.append(spans)
        running = spans[0][1] if len(spans) == 1 and spans[0][0] == 0 else []
    return out


def detect_criteria(text: str, *, heading: bool = False) -> list[str]:
    """DAC criteria a heading mentions, or that a paragraph's sentences open on."""
    if heading:
        return _ordered(_named(m) for m in _CRITERION.finditer(_fold(clean(text))))
    return _ordered(c for _, criteria in criteria_spans(text) for c in criteria)


def path_criteria(path: Sequence[str]) -> list[str]:
    """Criteria named anywhere on a heading path: sub-headings inherit them."""
    return _ordered(c for heading in path for c in detect_criteria(heading, heading=True))


def _is_continuation(previous: str, text: str) -> bool:
    """True when `text` carries on `previous` (a paragraph cut by a page break)."""
    head = clean(text[:20]).lstrip("\"'“‘([")
    tail = clean(previous[-20:]).rstrip("\"'”’)]")
    return bool(head) and head[0].islower() and not tail.endswith((".", "!", "?", ":", ";"))


def paragraphs(blocks: Sequence[Block]) -> list[list[Block]]:
    """Body blocks grouped into paragraphs, rejoining those cut by page breaks."""
    groups: list[list[Block]] = []
    for block in blocks:
        if groups and _is_continuation(groups[-1][-1].text, block.text):
            groups[-1].append(block)
        else:
            groups.append([block])
    return groups


def _paragraph_text(group: Sequence[Block]) -> str:
    return " ".join(" ".join(b.text.split()) for b in group)


def _heading_text(text: str) -> str:
    heading = clean(text)
    if len(heading) > MAX_HEADING_CHARS:
        heading = heading[:MAX_HEADING_CHARS].rsplit(" ", 1)[0] + "…"
    return heading


def _section(path: list[str], blocks: list[Block]) -> Section:
    found = path_criteria(path)
    for spans in topic_spans(path, [_paragraph_text(group) for group in paragraphs(blocks)]):
        found += [c for _, criteria in spans for c in criteria]
    return Section(path=path, type=classify_section(path), criteria=_ordered(found), blocks=blocks)


def build_sections(blocks: Iterable[Block]) -> list[Section]:
    """One `Section` per run of body text, under its heading path.

    Headings nest by numbering, then level, and front matter and the cover
    are never parents (see outline.py).
    """
    blocks = _table_headers_as_text([b for b in blocks if b.text.strip()])
    pages = max((b.page for b in blocks if b.page is not None), default=None)
    sections: list[Section] = []
    outline = Outline(pages)
    label: str | None = None
    body: list[Block] = []

    def flush() -> None:
        if body:
            sections.append(_section(outline.path + ([label] if label else []), list(body)))
            body.clear()

    for block in blocks:
        if block.level > 0:
            flush()
            label = None
            outline.open(block.level, _heading_text(block.text), block.page)
            continue
        match = _LABEL.match(clean(block.text))
        if match and (found := " ".join(match["label"].split())) != (outline.path[-1] if outline.path else None):
            flush()
            outline.label(found)
            label = found
        body.append(block)
    flush()
    return sections


REPEATED_HEADING = 3  # a heading printed this often is a table's column header, not a part of the report


def _table_headers_as_text(blocks: list[Block]) -> list[Block]:
    """Headings a table repeats on every page ("OTHER CONTRIBUTING", "RECOMMENDATION LEAD RESPONSIBILITY")
    close the section they sit in when read as headings; as text, they stay in it. Numbered and labelled
    headings, and a part's bare name, may repeat ("Management response" in each row of a matrix,
    "Recommendations" closing each chapter)."""
    counts = Counter(_heading_key(b.text) for b in blocks if b.level > 0)
    repeated = {key for key, n in counts.items() if n >= REPEATED_HEADING}
    if not repeated:
        return blocks
    return [
        b.model_copy(update={"level": 0})
        if b.level > 0 and _heading_key(b.text) in repeated and number_of(clean(b.text)) is None
        and not label_of(clean(b.text)) and not is_known_section(clean(b.text), max_tail=0)
        else b
        for b in blocks
    ]
