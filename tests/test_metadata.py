"""Metadata extraction on the sample corpus, and the sidecar/catalog overrides.

The files are parsed the simple way (pypdf, one block per page; text and
markdown, one block per paragraph) so these tests do not depend on the loaders.
The rules read the cover and the first pages, so the fast tests parse four pages
of each PDF (pypdf needs ~0.1 s a page); the whole-document country frequency is
tested on a synthetic report, on a 12-page case study and, marked slow, on the
two long reports.
"""

from __future__ import annotations

import json
import re
import shutil
from functools import cache
from pathlib import Path

import pytest
from pypdf import PdfReader

from assistant.ingest.metadata import apply_overrides, extract_metadata, load_sidecar_overrides
from assistant.models import Block, DocumentMetadata, ParsedFile

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
ILO = "ilo_responsible_value_chains_asia_final_evaluation_2024_summary.txt"
HAITI_PROJECT = (
    "« Renforcement du dialogue binational entre Haïti et la République dominicaine pour promouvoir"
    " la cohésion sociale dans la zone frontalière »"
)
HOA = "Final Evaluation of the EU-IOM Joint Initiative for migrant protection and reintegration in the Horn of Africa"
AAP = "Evaluation of IOM Accountability to Affected Populations"

# file: (title, organisation, countries (None: only the slow test reads enough pages), year, kind, language)
EXPECTED = {
    ILO: (
        "Building Responsible Value Chains in Asia through the Promotion of Decent Work in Business Operations",
        "ILO", ["Bangladesh", "Cambodia", "Viet Nam", "Japan"], 2024, "final", "en",
    ),
    "iom_aap_evaluation_brief_2024.pdf": (AAP, "IOM", ["Ethiopia", "Türkiye"], 2024, "brief", "en"),
    "iom_aap_evaluation_report_2024.pdf": (AAP, "IOM", None, 2024, "thematic", "en"),
    "iom_haiti_dr_binational_dialogue_final_eval_brief_fr_2025.pdf": (
        f"Évaluation finale du projet {HAITI_PROJECT}", "IOM", ["Haiti", "Dominican Republic"], 2025, "brief", "fr",
    ),
    "iom_haiti_dr_binational_dialogue_management_response_2025.pdf": (
        f"Evaluation finale indépendante du projet {HAITI_PROJECT}", "IOM", ["Haiti", "Dominican Republic"], 2025,
        "management response", "fr",
    ),
    "iom_hoa_eu_joint_initiative_final_evaluation_2023.pdf": (HOA, "IOM", None, 2023, "final", "en"),
    "iom_hoa_eu_joint_initiative_learning_brief_2023.pdf": (
        "Final Evaluation for EU-IOM Joint Initiative for Migrant Protection and Reintegration in the Horn of Africa",
        "IOM", ["Ethiopia", "Somalia", "Sudan", "Djibouti"], 2023, "brief", "en",
    ),
    "iom_hoa_eu_joint_initiative_management_response_2023.pdf": (HOA, "IOM", [], 2023, "management response", "en"),
    "iom_migration_data_strategy_eval_case_study_asia_pacific_2025.pdf": (
        "Evaluation of the IOM Migration Data Strategy 2020-2025 – Case Study: IOM Asia-Pacific Regional Data Hub 2020–2025",
        "IOM", [], 2025, "thematic", "en",
    ),
    "unicef_global_education_thematic_fund_spotlight_2024.pdf": (
        "Spotlight on the Global Education Thematic Fund 2024", "UNICEF", [], 2024, "other", "en",
    ),
    "wfp_environmental_policy_evaluation_2024_summary.md": (
        "Evaluation of WFP's Environmental Policy", "WFP", [], 2024, "thematic", "en",
    ),
}


def parse(path: Path, max_pages: int | None = 4) -> ParsedFile:
    """A stand-in for the loaders: pages for PDFs, paragraphs (and # headings) for text."""
    if path.suffix == ".pdf":
        reader = PdfReader(path)
        meta = {k.lstrip("/"): str(v) for k, v in (reader.metadata or {}).items()}
        blocks = [Block(text=p.extract_text() or "", page=i + 1) for i, p in enumerate(reader.pages[:max_pages])]
        return ParsedFile(path=str(path), format="pdf", blocks=blocks, page_count=len(reader.pages), pdf_metadata=meta)
    blocks = []
    for para in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        heading = re.match(r"(#+)\s+(.*)", para.strip())
        if heading:
            blocks.append(Block(text=heading.group(2), level=len(heading.group(1))))
        elif para.strip():
            blocks.append(Block(text=para.strip()))
    return ParsedFile(path=str(path), format="markdown" if path.suffix == ".md" else "text", blocks=blocks)


@cache
def meta_of(name: str) -> DocumentMetadata:
    return extract_metadata(parse(CORPUS / name))


def test_every_sample_file_is_expected():
    assert sorted(EXPECTED) == sorted(p.name for p in CORPUS.iterdir())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_corpus(name):
    title, organisation, countries, year, kind, language = EXPECTED[name]
    meta = meta_of(name)
    assert meta.title == title
    assert meta.organisation == organisation
    assert (meta.year, meta.kind, meta.language) == (year, kind, language)
    if countries is not None:
        assert meta.countries == countries


def test_regions_are_kept_apart_from_countries():
    assert meta_of("iom_migration_data_strategy_eval_case_study_asia_pacific_2025.pdf").extra["regions"] == ["Asia-Pacific"]
    assert meta_of("iom_hoa_eu_joint_initiative_learning_brief_2023.pdf").extra["regions"] == ["Horn of Africa"]


def test_countries_met_in_passing_are_not_main_countries():
    """Indonesia is this case study's main example, on 3 of its 12 pages; the region is its subject."""
    meta = extract_metadata(parse(CORPUS / "iom_migration_data_strategy_eval_case_study_asia_pacific_2025.pdf", max_pages=None))
    assert meta.countries == []


def test_main_countries_run_through_the_report():
    pages = [f"Returnees in Ethiopia and Somalia were supported. {'Kenya hosted a workshop. ' * 3 if i < 2 else ''}" for i in range(30)]
    pages[5] += "Donor: Norway. " * 12  # many mentions, one page
    pages[7] += "a wild turkey and a chad "  # lower case: words, not countries
    parsed = ParsedFile(path="/x/report.pdf", format="pdf", blocks=[Block(text=t, page=i + 1) for i, t in enumerate(pages)])
    assert extract_metadata(parsed).countries == ["Ethiopia", "Somalia"]


def test_country_spellings_are_un_names():
    fields = "Countries: Vietnam, Republic of Korea, Côte d’Ivoire, DRC, South Sudan and République dominicaine"
    parsed = ParsedFile(path="/x/a.txt", format="text", blocks=[Block(text="Evaluation of a programme", level=1), Block(text=fields)])
    assert extract_metadata(parsed).countries == [
        "Viet Nam", "Republic of Korea", "Côte d'Ivoire", "Democratic Republic of the Congo", "South Sudan", "Dominican Republic",
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, countries",
    [
        ("iom_hoa_eu_joint_initiative_final_evaluation_2023.pdf", ["Djibouti", "Ethiopia", "Somalia", "Sudan"]),
        ("iom_aap_evaluation_report_2024.pdf", ["Ethiopia", "Türkiye"]),
    ],
)
def test_main_countries_of_long_reports(name, countries):
    assert sorted(extract_metadata(parse(CORPUS / name, max_pages=None)).countries) == countries


# --- overrides ---------------------------------------------------------------


@pytest.fixture()
def corpus_copy(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(CORPUS / ILO, folder / "sub" / ILO)
    return folder


def test_sidecar_overrides_fields_and_keeps_unknown_keys_in_extra(corpus_copy):
    path = corpus_copy / "sub" / ILO
    sidecar = {"title": "Custom title", "countries": ["Vietnam", "Lao PDR"], "year": "2023", "evaluator": "T. van der Loop"}
    Path(f"{path}.meta.json").write_text(json.dumps(sidecar), encoding="utf-8")
    meta = extract_metadata(parse(path), corpus_root=corpus_copy)
    assert (meta.title, meta.year, meta.organisation) == ("Custom title", 2023, "ILO")
    assert meta.countries == ["Viet Nam", "Lao People's Democratic Republic"]
    assert meta.extra["evaluator"] == "T. van der Loop"


def test_catalog_overrides_and_sidecar_beats_catalog(corpus_copy):
    path = corpus_copy / "sub" / ILO
    (corpus_copy / "catalog.csv").write_text(
        f"filename,title,countries,kind,donor\nsub/{ILO},From catalog,Cambodia; Japan,mid-term,METI\n",
        encoding="utf-8",
    )
    meta = extract_metadata(parse(path), corpus_root=corpus_copy)
    assert (meta.title, meta.countries, meta.kind) == ("From catalog", ["Cambodia", "Japan"], "mid-term")
    assert meta.extra["donor"] == "METI"
    assert meta.language == "en"  # automatic where the catalog says nothing

    Path(f"{path}.meta.json").write_text('{"title": "From sidecar"}', encoding="utf-8")
    meta = extract_metadata(parse(path), corpus_root=corpus_copy)
    assert (meta.title, meta.kind) == ("From sidecar", "mid-term")


def test_catalog_matches_bare_file_names(corpus_copy):
    (corpus_copy / "catalog.csv").write_text(f"file,organisation,year\n{ILO},UNDP,2020\n", encoding="utf-8")
    overrides = load_sidecar_overrides(corpus_copy / "sub" / ILO, corpus_copy)
    assert overrides == {"organisation": "UNDP", "year": 2020}
    meta = apply_overrides(DocumentMetadata(title="t"), overrides)
    assert (meta.title, meta.organisation, meta.year) == ("t", "UNDP", 2020)


def test_bad_sidecar_names_the_file(corpus_copy):
    path = corpus_copy / "sub" / ILO
    Path(f"{path}.meta.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(f"{ILO}.meta.json")):
        extract_metadata(parse(path), corpus_root=corpus_copy)


def test_bad_override_values_are_rejected(corpus_copy):
    path = corpus_copy / "sub" / ILO
    Path(f"{path}.meta.json").write_text('{"kind": "novel"}', encoding="utf-8")
    with pytest.raises(ValueError, match="kind"):
        load_sidecar_overrides(path, corpus_copy)


@pytest.mark.parametrize(
    "cover, title",
    [
        # a block of credits (name, role, e-mail) before the project's name is no title
        ("FINAL INTERNAL EVALUATION\nAbderrahim El Moulat\nRegional M&E Officer, IOM\nSenegal\naelmoulat@iom.int\n"
         "February, 2023\nSTRENGTHEN BORDER MANAGEMENT AND\nSECURITY IN MALI AND NIGER",
         "Strengthen Border Management and Security in Mali and Niger"),
        # a title field without its colon, its neighbours run into it
        ("FINAL REPORT\nPROJECT TITLE FINAL EVALUATION MIRAA-III PROJECT IN NIGER PROJECT No NER/2022-01 "
         "DEADLINE 31 MARCH 2022", "Final Evaluation MIRAA-III Project in Niger"),
        # "Brève d'évaluation" is a document type, as "Evaluation brief" is
        ("BRÈVE D’ÉVALUATION\nÉvaluation externe finale du projet Initiative pour l’entreprise (IDEE) au Niger\n"
         "Avenue Maurice Delens, Niamey / Tel: +227 2075 25 07",
         "Évaluation externe finale du projet Initiative pour l’entreprise (IDEE) au Niger"),
    ],
)
def test_cover_labels_and_credits_are_not_titles(cover, title):
    body = Block(text="The MIRAA-III project (phase III) and the IDEE project were evaluated.", page=2)  # how names are cased
    parsed = ParsedFile(path="cover.pdf", format="pdf", blocks=[Block(text=cover, page=1), body], page_count=2)
    assert extract_metadata(parsed).title == title
