"""Running a sentence-transformers model: the lean path and the general one.

Importing `sentence_transformers` costs about 3 s on these cores (it pulls in
scikit-learn and SciPy for its evaluators), a third of the server's start-up.
A model saved in the plain sentence-transformers layout (a Transformer, then
mean or CLS pooling, then optionally Normalize: all-MiniLM-L6-v2 and most
retrieval models) is run here, with torch alone when the model is plain BERT
(`bert.py`: no `transformers` import, 5 s less start-up) or with
`transformers`, computing exactly what sentence-transformers computes (tests
compare them). Anything else (a hub name, a Dense layer, another pooling)
goes through `SentenceTransformer` itself.

Both paths give, per text, the pooled vector and the contextual token
vectors with each token's character offsets (for late-chunked sentences).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast, runtime_checkable

import numpy as np

_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"


@dataclass
class Encoded:
    vector: np.ndarray  # pooled (and normalised, if the model says so)
    tokens: np.ndarray  # contextual token vectors, special tokens included, no padding
    offsets: list[tuple[int, int]]  # each token's character span in the text ((0, 0) for special tokens)


@runtime_checkable
class Encoder(Protocol):
    """A loaded embedding model: texts in, pooled vectors and (when asked) token vectors out."""

    dimension: int
    max_seq_length: int

    def encode(self, texts: Sequence[str], batch_size: int = 32, tokens: bool = False) -> list[Encoded]:
        """One `Encoded` per text, in input order; token vectors and offsets only with `tokens=True`."""
        ...


def load_encoder(model_name: str) -> Encoder:
    """The lean encoder when the model's layout allows it, else sentence-transformers."""
    plan = _plain_layout(Path(model_name))
    if plan is not None:
        return TransformerEncoder(model_name, **plan)
    return STEncoder(model_name)


def _plain_layout(path: Path) -> dict | None:
    try:
        modules = json.loads((path / "modules.json").read_text())
    except (OSError, ValueError):
        return None
    types = [m.get("type") for m in modules]
    if types not in ([_TRANSFORMER, _POOLING], [_TRANSFORMER, _POOLING, _NORMALIZE]) or modules[0].get("path"):
        return None
    try:
        pooling = json.loads((path / modules[1]["path"] / "config.json").read_text())
        config = json.loads((path / "sentence_bert_config.json").read_text())
    except (OSError, ValueError, KeyError):
        return None
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
    if modes not in (["pooling_mode_mean_tokens"], ["pooling_mode_cls_token"]) or config.get("do_lower_case"):
        return None
    return {
        "mean": modes == ["pooling_mode_mean_tokens"],
        "normalize": len(types) == 3,
        "max_seq_length": int(config.get("max_seq_length") or 512),
    }


class TransformerEncoder:
    def __init__(self, path: str, mean: bool, normalize: bool, max_seq_length: int):
        import torch

        from assistant.embed import bert

        self._torch = torch
        self.mean, self.normalize = mean, normalize
        self._bert: bert.Bert | None
        if bert.supports(Path(path)):  # plain BERT: no `transformers` import (see bert.py)
            self._bert = bert.Bert(Path(path), max_seq_length)
            self.max_seq_length, self.dimension = self._bert.max_length, self._bert.hidden
            return
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self._bert = None
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path).eval()
        self.max_seq_length = min(max_seq_length, self.tokenizer.model_max_length or max_seq_length)
        self.dimension = int(self.model.config.hidden_size)

    def _run(self, texts: list[str], offsets: bool):
        """Last hidden states, attention mask, and each token's (start, end) when asked."""
        if self._bert is not None:
            hidden, mask, spans = self._bert(texts)
            return hidden, mask, spans if offsets else None
        enc = self.tokenizer(
            texts, padding=True, truncation="longest_first",
            max_length=self.max_seq_length, return_tensors="pt", return_offsets_mapping=offsets,
        )
        spans = enc.pop("offset_mapping", None)
        with self._torch.inference_mode():
            hidden = self.model(**enc).last_hidden_state
        return hidden, enc["attention_mask"], spans.tolist() if spans is not None else None

    def encode(self, texts: Sequence[str], batch_size: int = 32, tokens: bool = False) -> list[Encoded]:
        """Texts in batches of similar length (less padding), results in input order."""
        torch = self._torch
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out: list[Encoded | None] = [None] * len(texts)
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            hidden, mask, offsets = self._run([texts[i] for i in batch], tokens)
            with torch.inference_mode():
                if self.mean:
                    weights = mask.unsqueeze(-1).to(hidden.dtype)
                    pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
                else:
                    pooled = hidden[:, 0]
                if self.normalize:
                    pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
            pooled_np = pooled.float().numpy()
            for row, i in enumerate(batch):
                n = int(mask[row].sum())
                out[i] = Encoded(
                    pooled_np[row],
                    hidden[row, :n].float().numpy() if tokens else np.zeros((0, 0), np.float32),
                    [tuple(x) for x in offsets[row][:n]] if tokens else [],
                )
        return out  # type: ignore[return-value]


class STEncoder:
    """Any model sentence-transformers can run (and download, when online)."""

    def __init__(self, name: str):
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self.model = SentenceTransformer(name, device="cpu")
        self.tokenizer = self.model.tokenizer
        self.max_seq_length = int(self.model.max_seq_length or 512)
        self.dimension = int(self.model.get_embedding_dimension() or 0)

    def encode(self, texts: Sequence[str], batch_size: int = 32, tokens: bool = False) -> list[Encoded]:
        if not tokens:
            vectors = self.model.encode(list(texts), batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False)
            return [Encoded(v.astype(np.float32), np.zeros((0, 0), np.float32), []) for v in vectors]
        outputs = self.model.encode(
            list(texts), batch_size=batch_size, output_value=None, convert_to_numpy=False, show_progress_bar=False
        )
        out = []
        for text, o in zip(texts, cast(list[dict[str, Any]], outputs)):  # features by name
            offsets = self.tokenizer(text, return_offsets_mapping=True, truncation=True, max_length=self.max_seq_length)[
                "offset_mapping"
            ]
            out.append(
                Encoded(
                    o["sentence_embedding"].float().numpy(),
                    o["token_embeddings"][: len(offsets)].float().numpy(),
                    [tuple(x) for x in offsets],
                )
            )
        return out
