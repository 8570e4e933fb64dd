"""Our retrieval as a langchain retriever, for developers' own chains.

`EvalRetriever(source=Assistant(...) or Client(url, api_key), k=6,
filters={...})` is a `BaseRetriever`: `retriever.invoke("question")` returns
langchain `Document`s whose metadata carries what a citation needs (source,
title, organisation, year, page, section, score and a ready-made
`citation`; with a `Client`, `url` links the original file at its page).
`format_passages` numbers them `[1]`, `[2]`, ... for a prompt that asks
the model to cite.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from assistant.models import Passage


class EvalRetriever(BaseRetriever):
    """Hybrid search over an `Assistant` (local) or a `Client` (remote)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    source: Any = Field(description="an Assistant or a Client: anything with search(query, k, filters)")
    k: int = 6
    filters: dict[str, Any] | None = None

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        filters: dict[str, Any] | None = None,
    ) -> list[LCDocument]:
        """`k` and `filters` given to `invoke` override the retriever's own for one call."""
        passages = self.source.search(query, k=k or self.k, filters=filters if filters is not None else self.filters)
        base_url = getattr(self.source, "base_url", None)
        return [to_document(p, base_url) for p in passages]


def citation(p: Passage) -> str:
    """How a passage is cited: "Title (file, p. 4-5) — Section"."""
    pages = ""
    if p.page is not None:
        pages = f", p. {p.page}" + (f"-{p.page_end}" if p.page_end and p.page_end != p.page else "")
    section = f" — {p.section}" if p.section else ""
    return f"{p.title or p.source} ({p.source}{pages}){section}"


def to_document(p: Passage, base_url: str | None = None) -> LCDocument:
    metadata = {
        "chunk_id": p.chunk_id,
        "doc_id": p.doc_id,
        "source": p.source,
        "title": p.title,
        "organisation": p.organisation,
        "year": p.year,
        "page": p.page,
        "page_end": p.page_end,
        "section": p.section,
        "section_type": p.section_type,
        "score": p.score,
        "citation": citation(p),
    }
    if base_url:
        metadata["url"] = f"{base_url}/api/documents/{p.doc_id}/file" + (f"#page={p.page}" if p.page else "")
    return LCDocument(page_content=p.text, metadata={k: v for k, v in metadata.items() if v is not None}, id=p.chunk_id)


def format_passages(docs: list[LCDocument]) -> str:
    """Numbered passages for a prompt: "[n] citation" then the text."""
    return "\n\n".join(f"[{n}] {d.metadata.get('citation', '')}\n{d.page_content}" for n, d in enumerate(docs, 1))
