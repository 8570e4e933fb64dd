"""Document-level metadata: title, organisation, countries, year, kind, language.

Evaluation reports say what they are on the cover and in a few labelled fields
("Countries:", "Commissioned by:", "Final report date:"), and mention many more
organisations, countries and years in passing. So the rules read the way a person
skims: labelled fields first, then the title and cover, then the first pages, and
whole-document frequency only as a last resort. Whatever the rules get wrong is
fixed without code: a `<file>.meta.json` sidecar beats a `catalog.csv` row at the
corpus root, which beats the automatic guess.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from langdetect import DetectorFactory, LangDetectException, detect_langs

from assistant.ingest.entities import (
    ACRONYMS,
    country_name,
    find_countries,
    find_regions,
    is_caps,
    names_organisation,
    org_hits,
)
from assistant.ingest.front import Front, field_values, fields, is_field, read_front, unique, words
from assistant.ingest.overrides import apply_overrides, load_sidecar_overrides
from assistant.models import DocumentMetadata, ParsedFile

DetectorFactory.seed = 0  # langdetect is random by default; the same file must give the same answer


# --- reference tables ------------------------------------------------------------


MONTHS = (
    r"jan(?:uary|vier)?|feb(?:ruary)?|févr(?:ier)?|fevrier|mar(?:ch|s)?|apr(?:il)?|avr(?:il)?|may|mai|june?|juin|july?|"
    r"juil(?:let)?|aug(?:ust)?|août|aout|sep(?:t(?:ember)?)?|septembre|oct(?:ober|obre)?|nov(?:ember|embre)?|dec(?:ember)?|"
    r"déc(?:embre)?|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
)
YEAR = r"(?<![\d/-])(19[5-9]\d|20\d\d)(?!\d)"
DATE_RE = re.compile(  # "July 2024", "1 juin 2025", "9th July 2025", "Diciembre de 2019", "19-04-2023"
    rf"\b(?:{MONTHS})\.?,?\s+(?:de\s+|\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?{YEAR}|\b\d{{1,2}}[./-]\d{{1,2}}[./-](19\d\d|20\d\d)\b",
    re.I,
)
YEAR_RE = re.compile(YEAR)
RANGE_RE = re.compile(r"(?:19|20)\d\d\s*[-–—/]\s*(?:19|20)?\d\d\b|(?:19|20)\d\d\s*(?:to|until|à|au|a)\s*(?:19|20)\d\d", re.I)

# Words of document-type labels ("EVALUATION BRIEF", "Management Response Matrix"), which are not titles.
GENERIC_WORDS = set(
    "evaluation évaluation evaluación d’évaluation d'évaluation brief learning report rapport informe final finale "
    "management response matrix action plan and et y & summary résumé resumen executive exécutif note independent "
    "indépendante independiente external central centralized centralised decentralized decentralised mid-term midterm "
    "review template version quick facts key table of contents acknowledgements foreword preface draft annex office "
    "bureau division unit series terms reference termes référence términos referencia internal interne interna brève "
    "breve".split()
)
SMALL_WORDS = set("a an and as at but by for from in into of on or the to with vs via".split())

KIND_RULES: tuple[tuple[str, str], ...] = (  # first match wins, on the title, cover and "type/timing" fields
    ("management response", r"management (?:[\w-]+ ){0,2}response|réponse de la direction|respuesta de la (administración|gerencia)"),
    ("terms of reference", r"terms of reference|termes de référence|términos de referencia"),
    ("brief", r"(evaluation|learning) brief|résumé d['’]évaluation|note d['’]évaluation|brève d['’]évaluation|resumen de (la )?evaluación"),
    ("meta-evaluation", r"meta-?evaluation|méta-?évaluation|synthesis of evaluations|evaluation synthesis"),
    ("country programme", r"country (programme|program|strategic plan|portfolio) evaluation|"
                          r"évaluation (du|de) (programme|portefeuille) (de |du )?pays"),
    ("mid-term", r"mid[- ]?term|mi-parcours|medio término|intermédiaire"),
    ("final", r"final (independent |external |project |programme )*evaluation|évaluation finale|evaluación final|"
              r"^final$|terminal evaluation|ex-?post|end[- ]of[- ](project|programme)"),
    ("thematic", r"\b(policy|strategy|strategic|thematic|framework|case study|politique|stratégie|thématique|"
                 r"central(ized|ised)? evaluation)\b"),
)
BRIEF_MAX_PAGES = 6

# --- public API ------------------------------------------------------------------


def extract_metadata(parsed: ParsedFile, corpus_root: str | Path | None = None) -> DocumentMetadata:
    """Automatic metadata, corrected by the file's sidecar and the corpus catalog where they say so."""
    return apply_overrides(_detect(parsed), load_sidecar_overrides(parsed.path, corpus_root))


def _detect(parsed: ParsedFile) -> DocumentMetadata:
    """Metadata from the document alone: its text, its PDF properties and, weakly, its file name."""
    doc = read_front(parsed)
    language = _language(doc)
    title = _title(doc, language)
    countries, regions = _countries(doc, title)
    return DocumentMetadata(
        title=title,
        organisation=_organisation(doc, title),
        countries=countries,
        year=_year(doc, title),
        kind=_kind(doc, title),
        language=language,
        extra={"regions": regions} if regions else {},
    )


# --- title -------------------------------------------------------------------------


def _title(doc: Front, language: str | None) -> str:
    """A "Title:" field on the cover, else the cover's first run of title-like lines (plus a subtitle),
    else a PDF title the text confirms, else the first heading, else the file name."""
    for label, value in fields(doc.cover):
        if value and re.search(r"\btit(le|re)\b|título", label):
            return _finish_title(re.sub(r"[,;/\s]+(19|20)\d\d$", "", value), doc, language)  # "..., 2023"
    for line in doc.cover:  # the same field without its colon: "PROJECT TITLE FINAL EVALUATION MIRAA-III ..."
        labelled = _TITLE_LABEL.match(line)
        value = _NEXT_FIELD.sub("", labelled["value"]) if labelled else ""
        if len(words(value)) >= 3:
            return _finish_title(value, doc, language)
    run, subtitle = _cover_title(doc.cover)
    if run:
        parts = [_finish_title(_join(part), doc, language) for part in (run, subtitle) if part]
        return _finish_title(" – ".join(parts), doc, language)
    meta_title = doc.pdf_metadata.get("Title", "").strip()
    if _good_meta_title(meta_title, doc.text):
        return meta_title
    headings = [b.text for b in doc.blocks[:40] if b.level and not _generic(b.text) and not _noise(b.text)]
    return _finish_title(headings[0], doc, language) if headings else re.sub(r"[_-]+", " ", doc.path.stem).strip()


_TITLE_LABEL = re.compile(r"^(?:project title|title of the (?:project|evaluation)|titre du projet|título del proyecto)\s+"
                          r"(?P<value>.+)$", re.I)
# A line of contact details ends a block of credits ("Name / Regional M&E Officer, IOM / name@iom.int"),
# which is no title even when it stands first on the cover.
_CONTACT = re.compile(r"@|\b(?:tel|phone|tél)\b\.?\s*[:+(\d]", re.I)
_ROLE = re.compile(r"\b(?:officer|consultant|evaluator|team leader|specialist|adviser|advisor|chargée? de|consultante?"
                   r"|évaluat(?:eur|rice)|oficial|evaluador(?:a)?)\b", re.I)
# The next field of a cover whose fields run together: "... IN NIGER PROJECT No NER/2022-01 DEADLINE ...".
_NEXT_FIELD = re.compile(r"\s+(?:project\s+)?(?:no\.?|n°|number|deadline|date|budget|duration)\s.*$", re.I)


def _cover_title(lines: list[str]) -> tuple[list[str], list[str]]:
    """The title's lines and a subtitle's: document-type labels skipped, stopped by dates, fields, addresses,
    sentences; a change between CAPITALS and mixed case starts the subtitle ("Case Study: ...")."""
    run: list[str] = []
    subtitle: list[str] = []
    for line in lines + [""]:
        if not run:
            if line and not _noise(line) and not _generic(line) and len(line) <= 200 and not line.endswith("."):
                run.append(line)
            continue
        if _CONTACT.search(line):
            if not _ROLE.search(_join(run + subtitle)):
                break
            run, subtitle = [], []
            continue
        if not line or _noise(line) or _generic(line) or line.endswith((",", ".")):
            break
        if len(_join(run + subtitle + [line])) > 300:
            break
        part = subtitle or run
        if is_caps(line) == is_caps(part[-1]):
            part.append(line)
        elif subtitle:
            break
        else:
            subtitle.append(line)
    return run, subtitle


def _noise(line: str) -> bool:
    """Cover lines that are never part of a title: dates, numbers, codes, fields, addresses, credits."""
    if re.search(r"©|https?://|www\.|@|\bP\.?O\.? Box\b", line, re.I) or is_field(line):
        return True
    rest = DATE_RE.sub(" ", line)
    if rest != line and (_generic(rest) or len(words(rest)) < 3):
        return True
    if not re.search(r"[^\W\d_]{3}", rest) or all(re.search(r"[\d/]", token) for token in rest.split()):
        return True
    return names_organisation(line)  # "International Organization for Migration (IOM), Headquarters"


def _generic(line: str) -> bool:
    """A document-type label ("EVALUATION BRIEF", "IOM CENTRAL EVALUATION"), or nothing at all."""
    return all(w.lower() in GENERIC_WORDS or w in ACRONYMS for w in words(line))


def _good_meta_title(title: str, text: str) -> bool:
    """PDF titles are often "Microsoft Word - x.docx" or a stale template's: trust one the text confirms."""
    junk = re.search(r"^microsoft|powerpoint|\.(docx?|pdf|pptx?)$|^untitled|template", title, re.I)
    if len(words(title)) < 3 or _generic(title) or junk:
        return False
    body = {w.lower() for w in words(text[:20000])}
    title_words = [w.lower() for w in words(title)]
    return sum(w in body for w in title_words) >= 0.8 * len(title_words)


def _join(lines: list[str]) -> str:
    text = ""
    for line in lines:
        text += line if text.endswith("-") and not text.endswith(" -") else (" " + line if text else line)
    return re.sub(r"\s+", " ", text).strip()


def _finish_title(title: str, doc: Front, language: str | None) -> str:
    """Trim descriptive tails off long headings and re-case titles set in capitals."""
    title = title.strip(" .,;:–-")
    if len(title) > 150:
        title = re.split(r" [—–] |: ", title)[0]
    return _recase(title, doc.text, language) if is_caps(title) else title


def _recase(title: str, text: str, language: str | None) -> str:
    """Each word cased as the body writes it mid-sentence (acronyms, proper nouns), the rest by the
    language's convention: title case in English, sentence case otherwise."""
    forms: dict[str, Counter[str]] = {}
    prose = " ".join(line for line in text.splitlines() if not is_caps(line))
    for w in re.findall(r"(?<=[^\W\d_] |[,;] )[^\W\d_][\w’']*", prose):
        forms.setdefault(w.lower(), Counter())[w] += 1
    out = []
    for word in re.split(r"(\s+|[-«»\"“”(/])", title):
        seen = forms.get(word.lower(), Counter())
        usual = max(seen, key=lambda form: (seen[form], form.islower()), default="")  # ties: a common word
        if not re.match(r"[^\W\d_]", word) or word in ACRONYMS:
            out.append(word)
        elif language == "en" and word.lower() in SMALL_WORDS:
            out.append(word.lower())
        elif usual and not usual.islower():
            out.append(usual)
        else:
            out.append(word.capitalize() if language == "en" else word.lower())
    return re.sub(r"(^\W*|[«:]\s*)(\w)", lambda m: m.group(1) + m.group(2).upper(), "".join(out))


# --- organisation ------------------------------------------------------------------


def _organisation(doc: Front, title: str) -> str | None:
    """The author or commissioner: named in the title, the commissioning fields and on the cover;
    partners met in the body only add a little."""
    score: dict[str, float] = {}

    def add(lines: Iterable[str], weight: float, cap: int) -> None:
        for org, n in org_hits(lines).items():
            score[org] = score.get(org, 0.0) + weight * min(n, cap)

    add([title], 10, 1)
    add(field_values(doc, r"commission|command|managed|géré|client|administrative office|on behalf"), 8, 1)
    add(doc.cover, 3, 5)
    add(doc.front, 1, 10)
    add(doc.pages, 0.05, 50)
    add([doc.pdf_metadata.get(k, "") for k in ("Title", "Subject", "Author")], 3, 1)
    add([re.sub(r"[_\W]+", " ", doc.path.stem).upper()], 2, 1)  # the file name: a weak hint
    return max(score, key=score.__getitem__) if score else None  # ties: the first one met


# --- countries and regions ---------------------------------------------------------


def _countries(doc: Front, title: str) -> tuple[list[str], list[str]]:
    """Main countries (UN names) and regions: from a "Countries:"-like field, else the title and the
    countries that run through the report; one met on a few pages is an example, a donor, an address."""
    labelled = " ; ".join(field_values(
        doc,
        r"^(\w+ )?(countr(y|ies)|country\(ies\)|countr(y|ies)/ies|pays|pa[ií]s(es)?|locations?|regions?)"
        r"( covered| concerned)?$|geogra|géogra",
    ))
    regions = unique(find_regions(title + " ; " + labelled))
    if find_countries(labelled):
        return [country_name(c) for c in unique(find_countries(labelled))], regions
    counts: Counter[str] = Counter()
    spread: Counter[str] = Counter()
    for page in doc.pages:
        found = find_countries(page)
        counts.update(found)
        spread.update(set(found))
    top = max(counts.values(), default=0)
    frequent = [c for c, n in counts.most_common()
                if n >= max(10, top / 4) and spread[c] >= max(3, len(doc.pages) / 10)]
    regions = regions or unique(find_regions("\n".join(doc.cover)))
    return [country_name(c) for c in unique(find_countries(title) + frequent)], regions


# --- year, kind, language ----------------------------------------------------------


def _year(doc: Front, title: str) -> int | None:
    """The publication year: labelled report dates, then dates on the cover, the title, the first pages;
    never after the PDF was made. Years of the evaluated period ("2017-2022") do not count."""
    created = re.search(r"(19|20)\d\d", doc.pdf_metadata.get("CreationDate", ""))
    latest = int(created.group()) if created else date.today().year + 1

    def best(years: Iterable[str]) -> int | None:
        return max((int(y) for y in years if 1950 <= int(y) <= latest), default=None)

    def dates(lines: Iterable[str]) -> list[str]:
        return [m.group(1) or m.group(2) for line in lines for m in DATE_RE.finditer(line)]

    def years(lines: Iterable[str]) -> list[str]:
        return [y for line in lines for y in YEAR_RE.findall(RANGE_RE.sub(" ", line))]

    labelled = [value for label, value in doc.fields if re.search(r"date|year|année|fecha|año", label)
                and not re.search(r"visit|terrain|field|period|périod|target|due|échéance", label)]
    for found in (years(labelled), dates(doc.cover), years([title]), dates(doc.front), years(doc.cover)):
        if best(found):
            return best(found)
    return int(created.group()) if created else best(years([doc.path.stem.replace("_", " ")]))


def _kind(doc: Front, title: str) -> str:
    """One of DOCUMENT_KINDS, by KIND_RULES on the title, the cover's short lines and the
    "Evaluation type/timing" fields; a document that is not about an evaluation is "other"."""
    short = [line for line in doc.cover if len(line) <= 120 and not is_field(line)]
    head = "\n".join([title, *short, *field_values(doc, r"type|timing|tipo")])
    evaluation = re.compile(r"evaluat|évaluat|evaluac", re.I)
    if not evaluation.search(head) and len(evaluation.findall(doc.text)) < max(1, len(doc.pages)):
        return "other"
    for kind, pattern in KIND_RULES:
        if kind == "brief" and (doc.page_count or 0) > BRIEF_MAX_PAGES:
            continue
        if re.search(pattern, head, re.I | re.M):
            return kind
    return "final"  # an evaluation report with no other cue is most often an end-of-project one


def _language(doc: Front) -> str | None:
    """The language of the body text, sampled across the document so template labels do not decide it.

    12 pieces of 200 characters: langdetect's time grows faster than its
    input, and a sample this size keeps every sample file's language (docs/experiments.md).
    """
    body = [b.text for b in doc.blocks if b.level == 0 and len(b.text) >= 200] or [b.text for b in doc.blocks]
    sample = "\n".join(text[:200] for text in body[:: max(1, len(body) // 12)])[:2400]
    sample = re.sub(r"https?://\S+|\S+@\S+|\d+", " ", sample)
    if len(words(sample)) < 5:
        return None
    try:
        return detect_langs(sample)[0].lang
    except LangDetectException:
        return None


# --- overrides ---------------------------------------------------------------------


