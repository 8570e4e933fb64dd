"""Shared fixtures: the sample corpus is ingested once per session, not per test."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
sys.path.append(str(ROOT / "benchmarks"))  # hostile_files: the generators the hostile-file benchmark uses


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def indexed(tmp_path_factory):
    """An Assistant over a fresh index of the whole sample corpus, with its first ingest report."""
    from assistant import Assistant

    index = tmp_path_factory.mktemp("index")
    assistant = Assistant(index_dir=index, corpus_dir=CORPUS)
    report = assistant.ingest([CORPUS])
    return assistant, report


@pytest.fixture()
def corpus_copy(tmp_path):
    """Copies named sample documents into a private folder, for tests that change files."""

    def copy(*names: str) -> Path:
        folder = tmp_path / "corpus"
        folder.mkdir(exist_ok=True)
        for name in names:
            shutil.copy(CORPUS / name, folder / name)
        return folder

    return copy


@pytest.fixture()
def small_corpus(corpus_copy) -> Path:
    """Three short sample documents."""
    return corpus_copy(
        "ilo_responsible_value_chains_asia_final_evaluation_2024_summary.txt",
        "iom_aap_evaluation_brief_2024.pdf",
        "iom_hoa_eu_joint_initiative_learning_brief_2023.pdf",
    )
