"""Heading detection from text alone, shared by the loaders.

Formats without reliable styling (plain text, PDF lines at body size) only
offer the words: a numbered title (`3.2 Effectiveness`), a short ALL-CAPS
line, a known evaluation section name (English, French, Spanish), or an
item title such as `Conclusion 2: ...`. The rules lean towards precision: a
table row, a figure label or a wrapped sentence fragment that became a
heading would cut a section in two, which costs more than a missed heading.
"""

from __future__ import annotations

import re

_PREFIX = r"(?:(?:key|main|major|principal(?:e)?s?|overall|general|specific|evaluation|summary\s+of|other|final)\s+)*"
_SECTIONS = (
    r"executive\s+summary|summary|abstract|introduction|background|context|methodology|methods?|approach|"
    r"scope|limitations?|findings|conclusions?|recommendations?|lessons?\s+(?:learned|learnt|identified)|lessons|"
    r"good\s+practices?|best\s+practices?|emerging\s+good\s+practices?|management\s+response|annex(?:es)?|"
    r"appendix|appendices|acknowledg(?:e)?ments?|acronyms|abbreviations|contents|table\s+of\s+contents|"
    r"bibliography|references|terms\s+of\s+reference|evaluation\s+questions?|evaluation\s+criteria|"
    r"evaluation\s+matrix|relevance|coherence|effectiveness|efficiency|impact|sustainability|"
    r"validity\s+of\s+design|cross[-\s]cutting\s+(?:issues|themes)|way\s+forward|next\s+steps|"
    # French
    r"résumé(?:\s+exécutif)?|synthèse|contexte|méthodologie|constatations|recommandations?|"
    r"leçons\s+(?:apprises|tirées)|enseignements(?:\s+tirés)?|bonnes\s+pratiques|réponse\s+de\s+la\s+direction|"
    r"annexes?|pertinence|cohérence|efficacité|efficience|durabilité|viabilité|table\s+des\s+matières|"
    r"sigles|acronymes|bibliographie|termes\s+de\s+référence|portée|limites|"
    # Spanish
    r"resumen\s+ejecutivo|hallazgos|conclusiones|recomendaciones|lecciones\s+aprendidas|buenas\s+prácticas"
)
_KNOWN = re.compile(rf"^{_PREFIX}(?:{_SECTIONS})\b", re.I)
_ITEM = re.compile(
    r"^(?:evaluation\s+)?(?:conclusion|finding|recommendation|lesson(?:\s+learned)?|good\s+practice|"
    r"recommandation|constatation|leçon|enseignement|bonne\s+pratique|hallazgo|recomendación)s?"
    r"\s*(?:n[°o]\.?\s*|#\s*)?\d{1,2}[a-z]?(?:\.\d{1,2})*\b",
    re.I,
)
_NUMBER = re.compile(
    r"^(?:(?i:chapter|section|part|annex|appendix|chapitre|partie|annexe|anexo)\s+)?"
    r"(?P<num>\d{1,2}(?:\.\d{1,2})+\.?|\d{1,2}[.)]|[A-Z](?:\.\d{1,2})+\.?|[A-Z][.)]|"
    r"(?:X{0,2})(?:IX|IV|V?I{1,3}|V)[.)])\s+(?P<title>\S.*)$"
)
_LABEL = re.compile(
    r"^(?:figure|fig\.|table|box|graph|chart|map|diagram|exhibit|photo|image|source|sources|note|notes|"
    r"tableau|graphique|encadré|carte|cuadro|gráfico)\b\s*(?:\d|[A-Z]\b|[IVX]+\b|:|\.)",
    re.I,
)
_LEADERS = re.compile(r"\.{4,}|_{4,}|…{2,}|(?:\. ){4,}")
_BULLET = re.compile(r"^[•▪■□◦○●\-–—*➢►✓✔→»]\s*")
_TERMINAL = re.compile(r"[.;,][\"'”’»)\]]*$")
_INNER_SENTENCE = re.compile(r"[a-zà-ÿ)\]][.!][\"'”’»]?\s+[A-ZÀ-Ý]")
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|janvier|février|mars|avril|mai|juin|juillet|août|septembre|"
    r"octobre|novembre|décembre"
)
_DATE = re.compile(rf"^[\W\d_]*(?:(?:{_MONTHS})\b[\W\d_]*)?$", re.I)
_SMALL_WORDS = frozenset(
    "a an and as at by for from in into of on or the to with vs via & "
    "à au aux de des du en et la le les ou par pour sur un une d l y el los las del con".split()
)


def numbered_depth(text: str) -> int:
    """Depth of a heading number (`2` -> 1, `3.2` -> 2, `A.1` -> 2), 0 if unnumbered."""
    m = _NUMBER.match(text.strip())
    if not m:
        return 0
    num = m.group("num").rstrip(".)")
    return num.count(".") + 1


def is_label(text: str) -> bool:
    """Figure, table, box and source captions: never headings."""
    return bool(_LABEL.match(text.strip()))


def is_toc_line(text: str) -> bool:
    """A table-of-contents entry: leader dots or underscores."""
    return bool(_LEADERS.search(text))


def is_bullet(text: str) -> bool:
    return bool(_BULLET.match(text.strip()))


def is_all_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    visible = [c for c in text if not c.isspace()]
    if len(letters) < 4 or any(c.islower() for c in letters):
        return False
    if len(letters) < 0.6 * len(visible):
        return False
    return len(text.split()) > 1 or len(letters) >= 6


def is_known_section(text: str, max_tail: int = 3) -> bool:
    """An evaluation section name, alone or with a short tail (`Conclusions and recommendations`).

    A tail ending on a small word is a form label (`Recommendation to:`) or
    a wrapped fragment (`Findings and`), not a title.
    """
    core = _strip_number(text).rstrip(" :").strip()
    m = _KNOWN.match(core)
    if not m:
        return False
    tail = core[m.end():].split()
    if tail and tail[-1].lower() in _SMALL_WORDS:
        return False
    return len(tail) <= max_tail and len(core.split()) <= 7


def is_item_title(text: str) -> bool:
    """`Conclusion 2: ...`, `Recommendation 1`, `Evaluation recommendation # 3: (Time 0)`."""
    return bool(_ITEM.match(text.strip())) and len(text.split()) <= 14


def looks_like_heading(text: str, *, max_words: int = 16, allow_period: bool = False) -> bool:
    """Shape test every heading must pass, whatever else says it is one.

    Short, starting with a capital or a number, not a sentence (no inner
    sentence break, no trailing comma or period), not a label, bullet, TOC
    entry or a row of numbers.
    """
    text = text.strip()
    if not text or len(text) > 200 or len(text.split()) > max_words:
        return False
    body = _strip_number(text)
    if not body or is_label(text) or is_bullet(text) or is_toc_line(text):
        return False
    first = body.lstrip("\"'“«( ")[:1]
    if not (first.isupper() or (first.isdigit() and numbered_depth(text))) or _DATE.match(text):
        return False
    if _TERMINAL.search(text) and not (allow_period and text.endswith(".")):
        return False
    if _INNER_SENTENCE.search(body):
        return False
    if _ACRONYMS.fullmatch(body):  # a table's cell ("PPR, STR, CAM", "WFP USA"), not a title
        return False
    letters = sum(c.isalpha() for c in body)
    return letters >= 3 and letters >= 0.55 * sum(not c.isspace() for c in body)


_ACRONYMS = re.compile(r"[A-Z]{2,4}(?:\s*[,/&]\s*[A-Z]{2,4}|\s+[A-Z]{2,4}){1,5}")


def text_heading(text: str) -> str | None:
    """Which text rule makes `text` a heading: 'numbered', 'item', 'known', 'caps' or None."""
    text = text.strip()
    if not looks_like_heading(text):
        return None
    if is_item_title(text):
        return "item"
    if numbered_depth(text) and _titleish(_strip_number(text)):
        return "numbered"
    if is_known_section(text):
        return "known"
    if is_all_caps(text):
        return "caps"
    return None


def _strip_number(text: str) -> str:
    m = _NUMBER.match(text.strip())
    return m.group("title").strip() if m else text.strip()


def _titleish(title: str) -> bool:
    """Title-like wording: short, or mostly capitalised words (not a numbered sentence)."""
    words = [w for w in re.findall(r"[^\W\d_][\w'’-]*", title) if w.lower() not in _SMALL_WORDS]
    if len(words) <= 6:
        return True
    capitalised = sum(w[0].isupper() for w in words)
    return capitalised >= 0.6 * len(words)
