"""Evaluation records against hand-checked gold: precision and recall per document, per set, per half.

    python benchmarks/records.py                      # both sets: sample and v2, ~15 s
    python benchmarks/records.py --set v2 --verbose   # what was missed and what was extra, item by item
    python benchmarks/records.py --corpus DIR --gold FILE [--json out.json]

Records come from `assistant.ingest.prepare.prepare` run on every file of the
set's folder, exactly what an ingest stores, without embedding or an index.

Gold (`benchmarks/records_sample.jsonl` for corpus/, `records_v2.jsonl` in the
shared folder for corpus_v2/): one line per item as printed, `doc, type,
number, page, lead` (the item's first words) and optionally `also_pages` (the
pages of a restatement, e.g. an executive summary listing the same
recommendations), `parent`, `response` (a management response's status).
Gold types lesson_learned, good_practice, recommendation, management_response
map to our lesson, good_practice, recommendation, management_response;
`conclusion` items are listed in the v2 gold but not scored.

Matching rule. A record matches a gold item when the document and the type
agree and the record's text (or, failing that, its title + text) holds the
gold lead's opening words: the first 8 words of `lead` (all of them when it
has fewer), compared as `common.words` compares (case, quotes, dashes,
soft hyphens and line-end hyphenation, punctuation and spacing unified) and
contiguous, or cut once by at most 40 other words (a running header, footer
or footnote a page break put inside the item) provided the piece before the
cut has at least 3 of those words. Each gold item takes at most one record
and each record at most one gold item: greedily, gold items in file order,
each taking the unmatched record where its words start earliest (the record
that opens with the item beats one that swallowed it), ties to the record on
the gold page, then to the earlier record. So a paragraph holding three lessons matches one of them, and a
restatement extracted as a second record is an extra record. (A label glued
to its text by a dash, "GP1– It has been ...", normalises into one word
"gp1it", so gold leads start after such labels.)

Counted per document: gold items, extracted records (all four types),
matched, precision = matched / extracted, recall = matched / gold;
`number ok`: matched records whose `number` equals the gold number (case
and separators ignored: "A.1" = "A1", "LL-1" = "LL 1"; an unnumbered item
wants no number); `page ok`: matched records whose page is the gold page or
one of its `also_pages` (items without a gold page, e.g. in .txt files, are
not counted); `status ok`: matched management responses whose status
(accepted / partially accepted / rejected / none, read from the record's
title) equals the gold `response`. Totals per set and per half (halves.json).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from common import HALVES, ROOT, SAMPLE_RECORDS, Halves, machine_load, shared_dir, table, words

LEAD_WORDS = 8  # opening words of the gold lead a record must hold
MIN_HEAD = 3  # words before a page-break cut
MAX_CUT = 40  # words a page break may insert (header, footer, footnote)
GOLD_TYPES = {
    "lesson_learned": "lesson",
    "lesson": "lesson",
    "good_practice": "good_practice",
    "recommendation": "recommendation",
    "management_response": "management_response",
}
TYPES = ("recommendation", "management_response", "lesson", "good_practice")
RECORD_SETS = ("sample", "v2")


@dataclass
class Gold:
    doc: str
    type: str  # ours: lesson, good_practice, recommendation, management_response
    number: str
    page: int | None
    lead: str
    also_pages: list[int] = field(default_factory=list)
    response: str | None = None
    line: int = 0

    @property
    def key(self) -> list[str]:
        return words(self.lead)[:LEAD_WORDS]


@dataclass
class Found:
    """One extracted record, reduced to what scoring and reporting need."""

    id: str
    doc: str
    type: str
    number: str | None
    page: int | None
    title: str | None
    text: str

    def tokens(self) -> tuple[list[str], list[str]]:
        return words(self.text), words(f"{self.title or ''} {self.text}")

    def brief(self) -> dict:
        return {"id": self.id, "type": self.type, "number": self.number, "page": self.page,
                "title": self.title, "words": first_words(self.text)}


def first_words(text: str, n: int = 14) -> str:
    return " ".join(text.split()[:n])


def load_gold(path: Path) -> tuple[list[Gold], int]:
    """The scored gold items, and how many conclusions were listed (not scored)."""
    items, conclusions = [], 0
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row["type"] == "conclusion":
            conclusions += 1
            continue
        if row["type"] not in GOLD_TYPES:
            raise SystemExit(f"{path}:{n}: unknown type {row['type']!r}")
        items.append(Gold(row["doc"], GOLD_TYPES[row["type"]], str(row.get("number") or ""), row.get("page"),
                          row["lead"], list(row.get("also_pages") or []), row.get("response"), n))
    return items, conclusions


def extract(folders: list[Path]) -> tuple[dict[str, list[Found]], float]:
    """Every file's records, by file name, as `prepare` makes them for an ingest."""
    from assistant.config import Settings
    from assistant.errors import LoadError
    from assistant.ingest.prepare import prepare
    from assistant.models import content_id

    out: dict[str, list[Found]] = {}
    started = time.perf_counter()
    for folder in folders:
        settings = Settings(corpus_dir=folder)
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
            if path.suffix.lower() not in (".pdf", ".md", ".txt", ".docx", ".html", ".htm"):
                continue
            data = path.read_bytes()
            try:
                _, _, records = prepare(path, data, content_id(data), settings)
            except LoadError as exc:
                print(f"warning: {path.name} could not be read: {exc}", file=sys.stderr)
                records = []
            out[path.name] = [Found(r.id, path.name, r.type, r.number, r.page, r.title, r.text) for r in records]
    return out, time.perf_counter() - started


# -- matching ----------------------------------------------------------------


def _runs(key: list[str], tokens: list[str]) -> list[int]:
    n = len(key)
    return [i for i in range(len(tokens) - n + 1) if tokens[i : i + n] == key]


def find(key: list[str], tokens: list[str]) -> int | None:
    """Where the key's words start in `tokens`: contiguous, or cut once by a page break (see the docstring)."""
    if not key:
        return None
    whole = _runs(key, tokens)
    if whole:
        return whole[0]
    best = None
    for cut in range(MIN_HEAD, len(key)):
        head, tail = key[:cut], key[cut:]
        for i in _runs(head, tokens):
            after = tokens[i + cut : i + cut + MAX_CUT + len(tail)]
            if _runs(tail, after) and (best is None or i < best):
                best = i
    return best


def match(gold: list[Gold], found: list[Found]) -> list[tuple[Gold, Found | None]]:
    """Each gold item with its record or None (greedy, gold in file order, earliest start wins)."""
    tokens = [f.tokens() for f in found]
    used: set[int] = set()
    out = []
    for g in gold:
        best: tuple[int, bool, int] | None = None
        for i, f in enumerate(found):
            if i in used or f.type != g.type:
                continue
            text, titled = tokens[i]
            pos = find(g.key, text)
            if pos is None:
                pos = find(g.key, titled)
            if pos is not None:
                candidate = (pos, f.page != g.page, i)
                best = candidate if best is None else min(best, candidate)
        if best is None:
            out.append((g, None))
        else:
            used.add(best[2])
            out.append((g, found[best[2]]))
    return out


def norm_number(number: str | None) -> str:
    """'A.1' = 'A1' = 'a-1'; 'LL-1' = 'LL 1' = 'LL1'; '' = None."""
    text = re.sub(r"[^0-9a-z]+", ".", (number or "").casefold())
    text = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", ".", text)
    return text.strip(".")


def status(text: str | None) -> str:
    t = (text or "").casefold()
    if "partial" in t:
        return "partially accepted"
    if "reject" in t or "not accept" in t:
        return "rejected"
    if "accept" in t:
        return "accepted"
    return "none"


# -- scoring -----------------------------------------------------------------


@dataclass
class Tally:
    gold: int = 0
    extracted: int = 0
    matched: int = 0
    number_ok: int = 0
    paged: int = 0  # matched items with a gold page
    page_ok: int = 0
    mr: int = 0  # matched management responses with a gold status
    status_ok: int = 0

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def precision(self) -> float | None:
        return self.matched / self.extracted if self.extracted else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.gold if self.gold else None

    def as_dict(self) -> dict:
        return {**self.__dict__, "precision": self.precision, "recall": self.recall}


def score_doc(gold: list[Gold], found: list[Found]) -> tuple[Tally, dict]:
    pairs = match(gold, found)
    t = Tally(gold=len(gold), extracted=len(found))
    detail: dict = {"matches": [], "missed": [], "unmatched": []}
    taken = set()
    for g, f in pairs:
        gold_row = {"type": g.type, "number": g.number, "page": g.page, "also_pages": g.also_pages, "lead": g.lead}
        if f is None:
            detail["missed"].append(gold_row)
            continue
        taken.add(f.id)
        t.matched += 1
        number_ok = norm_number(f.number) == norm_number(g.number)
        t.number_ok += number_ok
        page_ok = None
        if g.page is not None:
            page_ok = f.page == g.page or f.page in g.also_pages
            t.paged += 1
            t.page_ok += page_ok
        status_ok = None
        if g.type == "management_response" and g.response is not None:
            status_ok = status(f.title) == status(g.response)
            t.mr += 1
            t.status_ok += status_ok
        detail["matches"].append({"gold": gold_row, "record": f.brief(), "number_ok": number_ok,
                                  "page_ok": page_ok, "status_ok": status_ok})
    detail["unmatched"] = [f.brief() for f in found if f.id not in taken]
    return t, detail


def score_set(name: str, gold: list[Gold], found: dict[str, list[Found]], halves: Halves) -> dict:
    docs = sorted(set(found) | {g.doc for g in gold})
    missing = sorted({g.doc for g in gold} - set(found))
    per_doc, by_half, by_type = {}, defaultdict(Tally), defaultdict(Tally)
    total = Tally()
    for doc in docs:
        items = [g for g in gold if g.doc == doc]
        records = found.get(doc, [])
        t, detail = score_doc(items, records)
        half = halves.of(doc) or "-"
        per_doc[doc] = {"half": half, **t.as_dict(), **detail}
        total.add(t)
        by_half[half].add(t)
        for kind in TYPES:
            kt, _ = score_doc([g for g in items if g.type == kind], [r for r in records if r.type == kind])
            by_type[kind].add(kt)
    return {
        "set": name,
        "missing_files": missing,
        "documents": per_doc,
        "total": total.as_dict(),
        "halves": {h: by_half[h].as_dict() for h in Halves.NAMES if h in by_half},
        "types": {k: by_type[k].as_dict() for k in TYPES},
    }


# -- printing ----------------------------------------------------------------


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _share(ok: int, n: int) -> str:
    return "-" if not n else f"{ok}/{n}"


def _row(label: str, t: dict, half: str = "") -> list[object]:
    return [label, half, t["gold"], t["extracted"], t["matched"], _f(t["precision"]), _f(t["recall"]),
            _share(t["number_ok"], t["matched"]), _share(t["page_ok"], t["paged"]), _share(t["status_ok"], t["mr"])]


HEADER = ["document", "half", "gold", "extracted", "matched", "precision", "recall", "number ok", "page ok",
          "status ok"]


def short(doc: str, width: int = 58) -> str:
    stem = doc.rsplit(".", 1)
    name = f"{stem[0][: width - len(stem[-1]) - 1]}.{stem[-1]}" if len(stem) == 2 else doc[:width]
    return name


def report(result: dict) -> str:
    rows = [_row(short(doc), d, d["half"]) for doc, d in result["documents"].items()]
    rows.append(_row("all", result["total"]))
    rows += [_row(f"half: {h}", t, h) for h, t in result["halves"].items()]
    types = [[k, t["gold"], t["extracted"], t["matched"], _f(t["precision"]), _f(t["recall"])]
             for k, t in result["types"].items()]
    out = [table(HEADER, rows), "", table(["by type", "gold", "extracted", "matched", "precision", "recall"], types)]
    if result["missing_files"]:
        out.append("gold documents not in the corpus folder: " + ", ".join(result["missing_files"]))
    return "\n".join(out)


def explain(result: dict) -> str:
    """Every missed gold item, every extra record, and matched records with the wrong number or page."""
    lines = []
    for doc, d in result["documents"].items():
        wrong = [m for m in d["matches"] if not m["number_ok"] or m["page_ok"] is False or m["status_ok"] is False]
        if not (d["missed"] or d["unmatched"] or wrong):
            continue
        lines.append(f"{doc} ({d['half']}): gold {d['gold']}, extracted {d['extracted']}, matched {d['matched']}")
        for g in d["missed"]:
            lines.append(f"  missed  {g['type']:19} {g['number'] or '-':7} p{g['page']}: {first_words(g['lead'], 12)}")
        for r in d["unmatched"]:
            lines.append(f"  extra   {r['type']:19} {r['number'] or '-':7} p{r['page']}: {r['words']}")
        for m in wrong:
            g, r = m["gold"], m["record"]
            what = []
            if not m["number_ok"]:
                what.append(f"number {r['number']!r} for {g['number']!r}")
            if m["page_ok"] is False:
                what.append(f"page {r['page']} for {g['page']}" + (f" (or {g['also_pages']})" if g["also_pages"] else ""))
            if m["status_ok"] is False:
                what.append(f"status {r['title']!r}")
            lines.append(f"  wrong   {g['type']:19} {g['number'] or '-':7} {'; '.join(what)}: {first_words(g['lead'], 8)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=(*RECORD_SETS, "all"), default="all", help="default: all (sample, then v2)")
    parser.add_argument("--shared", type=Path, help="the shared benchmark folder (default: $EVAL_BENCH_SHARED or ../shared/bench)")
    parser.add_argument("--corpus", type=Path, nargs="+", help="a custom corpus folder (with --gold)")
    parser.add_argument("--gold", type=Path, help="a custom gold file, records_v2.jsonl's format")
    parser.add_argument("--halves", type=Path, default=HALVES)
    parser.add_argument("--json", type=Path, help="write every count, match, miss and extra record here")
    parser.add_argument("--verbose", "-v", action="store_true", help="list missed gold items and unmatched records")
    args = parser.parse_args(argv)
    if bool(args.corpus) != bool(args.gold):
        parser.error("--corpus and --gold go together")

    if args.corpus:
        runs = [("custom", list(args.corpus), args.gold)]
    else:
        names = RECORD_SETS if args.set == "all" else (args.set,)
        runs = []
        for name in names:
            if name == "sample":
                runs.append(("sample", [ROOT / "corpus"], SAMPLE_RECORDS))
            else:
                folder = shared_dir(args.shared)
                runs.append(("v2", [folder / "corpus_v2"], folder / "records_v2.jsonl"))
    halves = Halves(args.halves)
    print(machine_load())
    payload: dict = {"sets": {}}
    for name, folders, gold_path in runs:
        gold, conclusions = load_gold(gold_path)
        found, seconds = extract(folders)
        result = score_set(name, gold, found, halves)
        result.update(corpora=[str(f) for f in folders], gold_file=str(gold_path), conclusions_not_scored=conclusions,
                      extract_seconds=round(seconds, 2))
        payload["sets"][name] = result
        print(f"\n== records, set {name}: {len(found)} files in {', '.join(str(f) for f in folders)}; "
              f"gold {gold_path.name}: {len(gold)} items scored"
              + (f", {conclusions} conclusions listed but not scored" if conclusions else "")
              + f"; extraction {seconds:.1f} s\n")
        if args.verbose:
            print(explain(result), end="\n\n")
        print(report(result))
    if args.json:
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
