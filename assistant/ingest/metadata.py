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

import csv
import gettext
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pycountry
from langdetect import DetectorFactory, LangDetectException, detect_langs
from pydantic import ValidationError

from assistant.models import DOCUMENT_KINDS, Block, DocumentMetadata, ParsedFile

DetectorFactory.seed = 0  # langdetect is random by default; the same file must give the same answer

FRONT_PAGES = 3
CHARS_PER_PAGE = 3000  # how much of a page-less text counts as "a page"
MAX_PAGE_LINES = 100  # a page of front matter is never longer; bounds the work on one huge text block

# --- reference tables ------------------------------------------------------------

ORGANISATIONS: dict[str, tuple[str, ...]] = {
    # canonical: full names (matched in any case) and acronyms (matched exactly)
    "ILO": ("International Labour Organization", "International Labour Office", "Organisation internationale du Travail",
            "Bureau international du Travail", "Organización Internacional del Trabajo", "ILO", "OIT", "BIT"),
    "IOM": ("International Organization for Migration", "Organisation internationale pour les migrations",
            "Organización Internacional para las Migraciones", "IOM", "OIM"),
    "UNDP": ("United Nations Development Programme", "Programme des Nations Unies pour le développement",
             "Programa de las Naciones Unidas para el Desarrollo", "UNDP", "PNUD"),
    "UNHCR": ("United Nations High Commissioner for Refugees", "UN Refugee Agency",
              "Haut Commissariat des Nations Unies pour les réfugiés", "UNHCR", "HCR", "ACNUR"),
    "UNICEF": ("United Nations Children's Fund", "Fonds des Nations Unies pour l'enfance", "UNICEF"),
    "WFP": ("World Food Programme", "Programme alimentaire mondial", "Programa Mundial de Alimentos", "WFP", "PAM"),
    "FAO": ("Food and Agriculture Organization", "Organisation des Nations Unies pour l'alimentation et l'agriculture",
            "FAO"),
    "UNFPA": ("United Nations Population Fund", "Fonds des Nations Unies pour la population", "UNFPA"),
    "UNESCO": ("United Nations Educational, Scientific and Cultural Organization", "UNESCO"),
    "WHO": ("World Health Organization", "Organisation mondiale de la Santé", "Organización Mundial de la Salud",
            "WHO", "OMS"),
    "UN Women": ("UN Women", "UN-Women", "ONU Femmes", "ONU Mujeres", "United Nations Entity for Gender Equality"),
    "UNEP": ("United Nations Environment Programme", "UN Environment Programme", "UNEP", "PNUE"),
    "OCHA": ("Office for the Coordination of Humanitarian Affairs", "OCHA"),
    "UNODC": ("United Nations Office on Drugs and Crime", "UNODC", "ONUDC"),
    "UN-Habitat": ("United Nations Human Settlements Programme", "UN-Habitat", "ONU-Habitat"),
    "UNAIDS": ("Joint United Nations Programme on HIV/AIDS", "UNAIDS", "ONUSIDA"),
    "UNIDO": ("United Nations Industrial Development Organization", "UNIDO", "ONUDI"),
    "IFAD": ("International Fund for Agricultural Development", "IFAD", "FIDA"),
    "UNRWA": ("United Nations Relief and Works Agency", "UNRWA"),
    "UNOPS": ("United Nations Office for Project Services", "UNOPS"),
    "World Bank": ("World Bank", "Banque mondiale", "Banco Mundial"),
    "Asian Development Bank": ("Asian Development Bank", "ADB"),
    "African Development Bank": ("African Development Bank", "Banque africaine de développement", "AfDB"),
}
ACRONYMS = {name for names in ORGANISATIONS.values() for name in names if " " not in name}
WORD_ACRONYMS = {"WHO", "BIT", "PAM"}  # also ordinary words: not trusted in ALL-CAPS lines

COUNTRY_ALIASES = {  # common and UN spellings pycountry does not have -> alpha-3
    "Vietnam": "VNM", "Turkey": "TUR", "Turkiye": "TUR", "Ivory Coast": "CIV", "Cote d'Ivoire": "CIV",
    "DRC": "COD", "DR Congo": "COD", "Democratic Republic of the Congo": "COD", "Democratic Republic of Congo": "COD",
    "Republic of the Congo": "COG", "Republic of Korea": "KOR", "Korea": "KOR", "Laos": "LAO", "Lao PDR": "LAO",
    "Syria": "SYR", "Russia": "RUS", "Burma": "MMR", "Cape Verde": "CPV", "Swaziland": "SWZ", "East Timor": "TLS",
    "Czech Republic": "CZE", "The Gambia": "GMB", "Kyrgyz Republic": "KGZ", "Macedonia": "MKD", "Palestine": "PSE",
    "Occupied Palestinian Territory": "PSE", "UK": "GBR", "United States of America": "USA", "USA": "USA",
    "Moldova": "MDA", "Tanzania": "TZA", "Iran": "IRN", "Bolivia": "BOL", "Venezuela": "VEN", "Kosovo": "XKX",
}
UN_NAMES = {  # UN spellings where pycountry's name is inverted ("Korea, Republic of") or missing
    "KOR": "Republic of Korea", "PRK": "Democratic People's Republic of Korea", "COD": "Democratic Republic of the Congo",
    "BOL": "Bolivia (Plurinational State of)", "TZA": "United Republic of Tanzania", "IRN": "Iran (Islamic Republic of)",
    "VEN": "Venezuela (Bolivarian Republic of)", "MDA": "Republic of Moldova", "PSE": "State of Palestine",
    "FSM": "Micronesia (Federated States of)", "VGB": "British Virgin Islands", "VIR": "United States Virgin Islands",
    "TWN": "Taiwan", "XKX": "Kosovo",
}
REGIONS = {  # canonical: spellings; where names overlap the longest wins ("Horn of Africa" over "Africa")
    "Horn of Africa": ("Horn of Africa", "East and Horn of Africa", "Corne de l'Afrique"),
    "Asia-Pacific": ("Asia-Pacific", "Asia Pacific", "Asia and the Pacific", "Asie-Pacifique"),
    "Latin America and the Caribbean": ("Latin America and the Caribbean", "Amérique latine et Caraïbes",
                                        "América Latina y el Caribe"),
    "Middle East and North Africa": ("Middle East and North Africa", "MENA"),
    "West and Central Africa": ("West and Central Africa", "Afrique de l'Ouest et du Centre"),
    "East Africa": ("East Africa", "Eastern Africa"), "West Africa": ("West Africa", "Afrique de l'Ouest"),
    "Southern Africa": ("Southern Africa", "Afrique australe"), "North Africa": ("North Africa", "Afrique du Nord"),
    "Central Africa": ("Central Africa", "Afrique centrale"), "Sahel": ("Sahel",), "Great Lakes": ("Great Lakes", "Grands Lacs"),
    "Middle East": ("Middle East", "Moyen-Orient"), "Central America": ("Central America", "Amérique centrale"),
    "South America": ("South America", "Amérique du Sud"), "Caribbean": ("Caribbean", "Caraïbes"),
    "Western Balkans": ("Western Balkans",), "Central Asia": ("Central Asia", "Asie centrale"),
    "South Asia": ("South Asia",), "South-East Asia": ("South-East Asia", "Southeast Asia", "Asie du Sud-Est"),
    "Asia": ("Asia", "Asie"), "Africa": ("Africa", "Afrique"), "Europe": ("Europe",), "Pacific": ("Pacific", "Pacifique"),
}

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
    "bureau division unit series terms reference termes référence términos referencia".split()
)
FIELD_WORDS_RE = re.compile(  # what the label of a cover or fact-sheet field talks about
    r"type|date|year|année|fecha|evaluat|évaluat|author|auteur|commission|command|managed|géré|manager|countr|pays|"
    r"país|geograph|géograph|budget|donor|donat|donante|period|périod|code|version|title|titre|título|visit|name|"
    r"\bnom\b|contact|office|bureau|symbol|timing|key ?words|address|adresse|coordinator|responsible|project|projet|"
    r"proyecto|gender|marker|criteria|critères|objective|purpose|\bbut\b|methodolog|méthodolog|scope|location|"
    r"publication|consultant",
    re.I,
)
SMALL_WORDS = set("a an and as at but by for from in into of on or the to with vs via".split())
TOKEN_RE = re.compile(r"[^\W\d_](?:[\w'-]*\w)?")

KIND_RULES: tuple[tuple[str, str], ...] = (  # first match wins, on the title, cover and "type/timing" fields
    ("management response", r"management response|réponse de la direction|respuesta de la (administración|gerencia)"),
    ("terms of reference", r"terms of reference|termes de référence|términos de referencia"),
    ("brief", r"(evaluation|learning) brief|résumé d['’]évaluation|note d['’]évaluation|resumen de (la )?evaluación"),
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


def load_sidecar_overrides(path: str | Path, corpus_root: str | Path | None = None) -> dict[str, Any]:
    """The hand-written metadata of one file: its `catalog.csv` row, updated by its `.meta.json` sidecar.

    The sidecar is `<file>.meta.json` (`report.pdf.meta.json`) or `<stem>.meta.json` next to the file.
    The catalog is `<corpus_root>/catalog.csv`, its `file` (or `filename`) column holding the path
    relative to the root or the bare file name; countries are separated by `;`. Keys that are not
    DocumentMetadata fields are kept and end up in `extra`. Raises ValueError naming the file when
    either is malformed.
    """
    path = Path(path)
    overrides: dict[str, Any] = {}
    if corpus_root is not None and (Path(corpus_root) / "catalog.csv").is_file():
        overrides.update(_catalog_row(Path(corpus_root) / "catalog.csv", path, Path(corpus_root)))
    for sidecar in (path.with_name(path.name + ".meta.json"), path.with_suffix(".meta.json")):
        if sidecar.is_file():
            try:
                data = json.loads(sidecar.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ValueError(f"{sidecar}: not valid JSON metadata ({exc})") from exc
            if not isinstance(data, dict):
                raise ValueError(f"{sidecar}: expected a JSON object of metadata fields")
            overrides.update(_normalise(data, sidecar))
            break
    return overrides


def apply_overrides(meta: DocumentMetadata, overrides: dict[str, Any]) -> DocumentMetadata:
    """`meta` with the overridden fields replaced; keys that are not fields go to `extra`."""
    known = DocumentMetadata.model_fields
    fields = {k: v for k, v in overrides.items() if k in known and k != "extra"}
    extra = {**meta.extra, **overrides.get("extra", {}), **{k: v for k, v in overrides.items() if k not in known}}
    return meta.model_copy(update={**fields, "extra": extra})


def _detect(parsed: ParsedFile) -> DocumentMetadata:
    """Metadata from the document alone: its text, its PDF properties and, weakly, its file name."""
    doc = _prepare(parsed)
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


# --- the document as the rules see it --------------------------------------------


@dataclass
class _Doc:
    path: Path
    blocks: list[Block]
    pages: list[str]  # text per page (per CHARS_PER_PAGE for page-less formats)
    cover: list[str]  # lines of the first page, headers and footers left out
    front: list[str]  # lines of the first FRONT_PAGES pages
    fields: list[tuple[str, str]]  # (label, value) from the front
    page_count: int | None
    pdf_metadata: dict[str, str]

    @property
    def text(self) -> str:
        return "\n".join(self.pages)


def _prepare(parsed: ParsedFile) -> _Doc:
    blocks = [Block(text=_clean(b.text), page=b.page, level=b.level) for b in parsed.blocks]
    blocks = [b for b in blocks if b.text.strip()]
    running: set[str] = set()
    if any(b.page for b in blocks):
        first = min(b.page for b in blocks if b.page)
        by_page: dict[int, list[str]] = {}
        for b in blocks:
            by_page.setdefault(b.page or first, []).append(b.text)
        pages = ["\n".join(by_page[p]) for p in sorted(by_page)]
        running = _running_lines(pages)
    else:
        pages, current = [], ""
        for b in blocks:
            current += b.text + "\n"
            if len(current) >= CHARS_PER_PAGE:
                pages.append(current)
                current = ""
        pages += [current] if current else []
    cover = [line.strip() for line in pages[0].splitlines()[:MAX_PAGE_LINES] if line.strip() not in running] if pages else []
    front = [line.strip() for page in pages[:FRONT_PAGES] for line in page.splitlines()[:MAX_PAGE_LINES]]
    metadata = {k.lstrip("/"): str(v) for k, v in parsed.pdf_metadata.items()}
    return _Doc(Path(parsed.path), blocks, pages, cover, front, _fields(front), parsed.page_count, metadata)


def _clean(text: str) -> str:
    """Normalise what loaders leave behind: decomposed accents, markup, odd spaces."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"<!--.*?-->|<[^>]+>", " ", text, flags=re.S)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # markdown links
    text = re.sub(r"[*_`]{1,3}|^\s*#+\s*", "", text, flags=re.M)
    return re.sub(r"[ \t\u00a0\u2000-\u200b]+", " ", text)


def _running_lines(pages: list[str]) -> set[str]:
    """Headers and footers: lines repeated on most pages are never the title."""
    seen = Counter(line.strip() for page in pages for line in set(page.splitlines()) if line.strip())
    return {line for line, n in seen.items() if len(pages) >= 3 and n >= len(pages) / 2}


def _fields(lines: list[str]) -> list[tuple[str, str]]:
    """Labelled fields ("Countries: Bangladesh, ..."), several to a line when a loader joined them."""
    out = []
    for i, line in enumerate(lines):
        labels = _labels(line)
        for j, (_, end, name) in enumerate(labels):
            last = j + 1 == len(labels)
            value = line[end : len(line) if last else labels[j + 1][0]].strip()
            for nxt in lines[i + 1 : i + 4] if last else ():  # a value wrapped onto the next lines
                open_ended = value.count("(") > value.count(")") or value.endswith((",", " and", " et", " of", " de"))
                if not value or not (nxt[:1].islower() or open_ended) or _labels(nxt):
                    break
                value += " " + nxt
            out.append((name.lower(), value))
    return out


def _labels(line: str) -> list[tuple[int, int, str]]:
    """(start, end, label) of each field label in a line: the shortest capitalised run of up to
    eight words before a colon that names a field ("Date du rapport final", "Commissioned by")."""
    found = []
    for colon in re.finditer(r"\s?:(?=\s|$)", line):
        for start in [m.start() for m in re.finditer(r"\S+", line[: colon.start()])][::-1][:8]:
            label = line[start : colon.start()].strip()
            if label[:1].isupper() and FIELD_WORDS_RE.search(label):
                found.append((start, colon.end(), label))
                break
    return found


def _is_field(line: str) -> bool:
    return any(start == 0 for start, _, _ in _labels(line))


def _field_values(doc: _Doc, label_pattern: str) -> list[str]:
    return [v for label, v in doc.fields if v and re.search(label_pattern, label, re.I)]


def _is_caps(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 3 and sum(c.isupper() for c in letters) / len(letters) > 0.8


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_][\w’'-]*", text)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --- title -------------------------------------------------------------------------


def _title(doc: _Doc, language: str | None) -> str:
    """A "Title:" field on the cover, else the cover's first run of title-like lines (plus a subtitle),
    else a PDF title the text confirms, else the first heading, else the file name."""
    for label, value in _fields(doc.cover):
        if value and re.search(r"\btit(le|re)\b|título", label):
            return _finish_title(re.sub(r"[,;/\s]+(19|20)\d\d$", "", value), doc, language)  # "..., 2023"
    run, subtitle = _cover_title(doc.cover)
    if run:
        parts = [_finish_title(_join(part), doc, language) for part in (run, subtitle) if part]
        return _finish_title(" – ".join(parts), doc, language)
    meta_title = doc.pdf_metadata.get("Title", "").strip()
    if _good_meta_title(meta_title, doc.text):
        return meta_title
    headings = [b.text for b in doc.blocks[:40] if b.level and not _generic(b.text) and not _noise(b.text)]
    return _finish_title(headings[0], doc, language) if headings else re.sub(r"[_-]+", " ", doc.path.stem).strip()


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
        if not line or _noise(line) or _generic(line) or line.endswith((",", ".")):
            break
        if len(_join(run + subtitle + [line])) > 300:
            break
        part = subtitle or run
        if _is_caps(line) == _is_caps(part[-1]):
            part.append(line)
        elif subtitle:
            break
        else:
            subtitle.append(line)
    return run, subtitle


def _noise(line: str) -> bool:
    """Cover lines that are never part of a title: dates, numbers, codes, fields, addresses, credits."""
    if re.search(r"©|https?://|www\.|@|\bP\.?O\.? Box\b", line, re.I) or _is_field(line):
        return True
    rest = DATE_RE.sub(" ", line)
    if rest != line and (_generic(rest) or len(_words(rest)) < 3):
        return True
    if not re.search(r"[^\W\d_]{3}", rest) or all(re.search(r"[\d/]", token) for token in rest.split()):
        return True
    return bool(_org_index()[0].match(line))  # "International Organization for Migration (IOM), Headquarters"


def _generic(line: str) -> bool:
    """A document-type label ("EVALUATION BRIEF", "IOM CENTRAL EVALUATION"), or nothing at all."""
    return all(w.lower() in GENERIC_WORDS or w in ACRONYMS for w in _words(line))


def _good_meta_title(title: str, text: str) -> bool:
    """PDF titles are often "Microsoft Word - x.docx" or a stale template's: trust one the text confirms."""
    junk = re.search(r"^microsoft|powerpoint|\.(docx?|pdf|pptx?)$|^untitled|template", title, re.I)
    if len(_words(title)) < 3 or _generic(title) or junk:
        return False
    body = {w.lower() for w in _words(text[:20000])}
    words = [w.lower() for w in _words(title)]
    return sum(w in body for w in words) >= 0.8 * len(words)


def _join(lines: list[str]) -> str:
    text = ""
    for line in lines:
        text += line if text.endswith("-") and not text.endswith(" -") else (" " + line if text else line)
    return re.sub(r"\s+", " ", text).strip()


def _finish_title(title: str, doc: _Doc, language: str | None) -> str:
    """Trim descriptive tails off long headings and re-case titles set in capitals."""
    title = title.strip(" .,;:–-")
    if len(title) > 150:
        title = re.split(r" [—–] |: ", title)[0]
    return _recase(title, doc.text, language) if _is_caps(title) else title


def _recase(title: str, text: str, language: str | None) -> str:
    """Each word cased as the body writes it mid-sentence (acronyms, proper nouns), the rest by the
    language's convention: title case in English, sentence case otherwise."""
    forms: dict[str, Counter[str]] = {}
    prose = " ".join(line for line in text.splitlines() if not _is_caps(line))
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


def _organisation(doc: _Doc, title: str) -> str | None:
    """The author or commissioner: named in the title, the commissioning fields and on the cover;
    partners met in the body only add a little."""
    score: Counter[str] = Counter()

    def add(lines: Iterable[str], weight: float, cap: int) -> None:
        for org, n in _org_hits(lines).items():
            score[org] += weight * min(n, cap)

    add([title], 10, 1)
    add(_field_values(doc, r"commission|command|managed|géré|client|administrative office|on behalf"), 8, 1)
    add(doc.cover, 3, 5)
    add(doc.front, 1, 10)
    add(doc.pages, 0.05, 50)
    add([doc.pdf_metadata.get(k, "") for k in ("Title", "Subject", "Author")], 3, 1)
    add([re.sub(r"[_\W]+", " ", doc.path.stem).upper()], 2, 1)  # the file name: a weak hint
    return score.most_common(1)[0][0] if score else None


@lru_cache(maxsize=1)
def _org_index() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, str]]:
    """Full names (any case) and acronyms (exact case) of every organisation, each spelling -> canonical."""
    canon = {n.lower() if " " in n else n: c for c, names in ORGANISATIONS.items() for n in names}
    full = "|".join(re.escape(n).replace("'", "['’]") for n in sorted((n for n in canon if " " in n), key=len, reverse=True))
    short = "|".join(map(re.escape, sorted(ACRONYMS, key=len, reverse=True)))
    return re.compile(rf"\b(?:{full})\b", re.I), re.compile(rf"(?<!\w)(?:{short})(?!\w)"), canon


def _org_hits(lines: Iterable[str]) -> Counter[str]:
    """Mentions per organisation; a full name counts double, as authors spell out their own name."""
    full_re, short_re, canon = _org_index()
    hits: Counter[str] = Counter()
    for line in lines:
        for m in full_re.finditer(line):
            hits[canon[m.group().lower().replace("’", "'")]] += 2
        for m in short_re.finditer(line):
            if m.group() not in WORD_ACRONYMS or not _is_caps(line):
                hits[canon[m.group()]] += 1
    return hits


# --- countries and regions ---------------------------------------------------------


def _countries(doc: _Doc, title: str) -> tuple[list[str], list[str]]:
    """Main countries (UN names) and regions: from a "Countries:"-like field, else the title and the
    countries that run through the report; one met on a few pages is an example, a donor, an address."""
    labelled = " ; ".join(_field_values(
        doc,
        r"^(\w+ )?(countr(y|ies)|country\(ies\)|countr(y|ies)/ies|pays|pa[ií]s(es)?|locations?|regions?)"
        r"( covered| concerned)?$|geogra|géogra",
    ))
    regions = _unique(_find_regions(title + " ; " + labelled))
    if _find_countries(labelled):
        return [_country_name(c) for c in _unique(_find_countries(labelled))], regions
    counts: Counter[str] = Counter()
    spread: Counter[str] = Counter()
    for page in doc.pages:
        found = _find_countries(page)
        counts.update(found)
        spread.update(set(found))
    top = max(counts.values(), default=0)
    frequent = [c for c, n in counts.most_common()
                if n >= max(10, top / 4) and spread[c] >= max(3, len(doc.pages) / 10)]
    regions = regions or _unique(_find_regions("\n".join(doc.cover)))
    return [_country_name(c) for c in _unique(_find_countries(title) + frequent)], regions


@lru_cache(maxsize=1)
def _place_index() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[int, ...]]]:
    """Every English, French and Spanish spelling of a country ("country", alpha-3) or a region
    ("region", name), as spelled, in capitals and in title case: lower case is a word ("turkey",
    "chad"), not a place. Also, for each first word of a name, the lengths in words of the
    names it starts, longest first: most capitalised words start none, and cost one lookup."""
    names: dict[str, tuple[str, str]] = {}
    translations = [gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang]) for lang in ("fr", "es")]
    for c in pycountry.countries:
        spellings = {c.name, getattr(c, "official_name", c.name), getattr(c, "common_name", c.name)}
        for spelling in spellings | {t.gettext(c.name) for t in translations}:
            if "," not in spelling:  # inverted forms ("Corée, République de") never occur in running text
                names.setdefault(spelling, ("country", c.alpha_3))
    names.update({alias: ("country", code) for alias, code in COUNTRY_ALIASES.items()})
    names.update({s: ("region", canon) for canon, spellings in REGIONS.items() for s in spellings})
    index = {
        " ".join(TOKEN_RE.findall(variant.replace("’", "'"))): place
        for name, place in names.items()
        for variant in (name, name.upper(), name.title())
    }
    lengths: dict[str, set[int]] = {}
    for key in index:
        words = key.split()
        lengths.setdefault(words[0], set()).add(len(words))
    return index, {first: tuple(sorted(n, reverse=True)) for first, n in lengths.items()}


def _find_places(text: str) -> list[tuple[str, str]]:
    """Countries and regions in order of mention, the longest name first ("South Sudan", "Horn of Africa")."""
    index, starts = _place_index()
    tokens = TOKEN_RE.findall(text.replace("’", "'"))
    found, i = [], 0
    while i < len(tokens):
        for n in starts.get(tokens[i], ()) if tokens[i][0].isupper() else ():
            place = index.get(" ".join(tokens[i : i + n])) if i + n <= len(tokens) else None
            if place:
                found.append(place)
                i += n
                break
        else:
            i += 1
    return found


def _find_countries(text: str) -> list[str]:
    return [code for kind, code in _find_places(text) if kind == "country"]


def _find_regions(text: str) -> list[str]:
    return [name for kind, name in _find_places(text) if kind == "region"]


def _country_name(alpha_3: str) -> str:
    """The UN spelling: "Viet Nam", "Türkiye", "Republic of Korea"."""
    return UN_NAMES.get(alpha_3) or pycountry.countries.get(alpha_3=alpha_3).name


# --- year, kind, language ----------------------------------------------------------


def _year(doc: _Doc, title: str) -> int | None:
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


def _kind(doc: _Doc, title: str) -> str:
    """One of DOCUMENT_KINDS, by KIND_RULES on the title, the cover's short lines and the
    "Evaluation type/timing" fields; a document that is not about an evaluation is "other"."""
    short = [line for line in doc.cover if len(line) <= 120 and not _is_field(line)]
    head = "\n".join([title, *short, *_field_values(doc, r"type|timing|tipo")])
    evaluation = re.compile(r"evaluat|évaluat|evaluac", re.I)
    if not evaluation.search(head) and len(evaluation.findall(doc.text)) < max(1, len(doc.pages)):
        return "other"
    for kind, pattern in KIND_RULES:
        if kind == "brief" and (doc.page_count or 0) > BRIEF_MAX_PAGES:
            continue
        if re.search(pattern, head, re.I | re.M):
            return kind
    return "final"  # an evaluation report with no other cue is most often an end-of-project one


def _language(doc: _Doc) -> str | None:
    """The language of the body text, sampled across the document so template labels do not decide it.

    12 pieces of 200 characters: langdetect's time grows faster than its
    input (6,000 characters: 381 ms for the 11 sample files; 2,400: 58 ms),
    and every sample file kept its language at probability 1.00.
    """
    body = [b.text for b in doc.blocks if b.level == 0 and len(b.text) >= 200] or [b.text for b in doc.blocks]
    sample = "\n".join(text[:200] for text in body[:: max(1, len(body) // 12)])[:2400]
    sample = re.sub(r"https?://\S+|\S+@\S+|\d+", " ", sample)
    if len(_words(sample)) < 5:
        return None
    try:
        return detect_langs(sample)[0].lang
    except LangDetectException:
        return None


# --- overrides ---------------------------------------------------------------------


def _catalog_row(catalog: Path, path: Path, root: Path) -> dict[str, Any]:
    try:
        with catalog.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ValueError(f"{catalog}: unreadable catalog ({exc})") from exc
    try:
        relative = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        relative = path.name
    for row in rows:
        key = (row.get("file") or row.get("filename") or "").strip().replace("\\", "/")
        if key and key in (relative, path.name):
            values = {k.strip(): v.strip() for k, v in row.items() if k and k not in ("file", "filename") and v and v.strip()}
            return _normalise(values, catalog)
    return {}


def _normalise(data: dict[str, Any], source: Path) -> dict[str, Any]:
    """Override values checked and typed like the automatic ones: countries a UN-spelled list, year an int."""
    out = dict(data)
    if "organization" in out:
        out["organisation"] = out.pop("organization")
    if "countries" in out:
        items = out["countries"].split(";") if isinstance(out["countries"], str) else out["countries"]
        if not isinstance(items, list):
            raise ValueError(f"{source}: countries must be a list or a ';'-separated string")
        out["countries"] = [_canonical_country(str(c).strip()) for c in items if str(c).strip()]
    if "kind" in out and out["kind"] not in DOCUMENT_KINDS:
        raise ValueError(f"{source}: kind must be one of {', '.join(DOCUMENT_KINDS)}, not {out['kind']!r}")
    fields = {k: v for k, v in out.items() if k in DocumentMetadata.model_fields}
    try:
        checked = DocumentMetadata(**fields)
    except ValidationError as exc:
        raise ValueError(f"{source}: bad metadata value ({exc})") from None
    return {**out, **{k: getattr(checked, k) for k in fields}}


def _canonical_country(name: str) -> str:
    found = _find_countries(name)
    return _country_name(found[0]) if found else name
