"""The organisations, countries and regions a text names, in their canonical spellings.

Reference tables (UN agencies and banks in English, French and Spanish;
every country pycountry knows in the three languages, plus common and UN
spellings; regions) and the look-ups over them that metadata.py uses.
"""

from __future__ import annotations

import gettext
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import pycountry

__all__ = [
    "ACRONYMS",
    "ORGANISATIONS",
    "canonical_country",
    "country_name",
    "find_countries",
    "find_places",
    "find_regions",
    "is_caps",
    "names_organisation",
    "org_hits",
]


def is_caps(line: str) -> bool:
    """Mostly capital letters: an ALL-CAPS line, where "WHO" is a word, not the agency."""
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 3 and sum(c.isupper() for c in letters) / len(letters) > 0.8


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


TOKEN_RE = re.compile(r"[^\W\d_](?:[\w'-]*\w)?")


@lru_cache(maxsize=1)
def _org_index() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, str]]:
    """Full names (any case) and acronyms (exact case) of every organisation, each spelling -> canonical."""
    canon = {n.lower() if " " in n else n: c for c, names in ORGANISATIONS.items() for n in names}
    full = "|".join(re.escape(n).replace("'", "['’]") for n in sorted((n for n in canon if " " in n), key=len, reverse=True))
    short = "|".join(map(re.escape, sorted(ACRONYMS, key=len, reverse=True)))
    return re.compile(rf"\b(?:{full})\b", re.I), re.compile(rf"(?<!\w)(?:{short})(?!\w)"), canon


def org_hits(lines: Iterable[str]) -> Counter[str]:
    """Mentions per organisation; a full name counts double, as authors spell out their own name."""
    full_re, short_re, canon = _org_index()
    hits: Counter[str] = Counter()
    for line in lines:
        for m in full_re.finditer(line):
            hits[canon[m.group().lower().replace("’", "'")]] += 2
        for m in short_re.finditer(line):
            if m.group() not in WORD_ACRONYMS or not is_caps(line):
                hits[canon[m.group()]] += 1
    return hits


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


def find_places(text: str) -> list[tuple[str, str]]:
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


def find_countries(text: str) -> list[str]:
    return [code for kind, code in find_places(text) if kind == "country"]


def find_regions(text: str) -> list[str]:
    return [name for kind, name in find_places(text) if kind == "region"]


def country_name(alpha_3: str) -> str:
    """The UN spelling: "Viet Nam", "Türkiye", "Republic of Korea"."""
    country = pycountry.countries.get(alpha_3=alpha_3)
    return UN_NAMES.get(alpha_3) or (country.name if country is not None else alpha_3)


def canonical_country(name: str) -> str:
    found = find_countries(name)
    return country_name(found[0]) if found else name


def names_organisation(line: str) -> bool:
    """Does the line open with an organisation's full name ("International Organization for Migration (IOM)")?"""
    return bool(_org_index()[0].match(line))
