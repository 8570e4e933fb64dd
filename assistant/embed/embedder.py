"""The one place that loads and calls the embedding model.

The model loads lazily: listing documents or re-ingesting an unchanged
corpus never pays for importing torch. Vectors are L2-normalised so cosine
and inner product agree in the store.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future

import numpy as np

from assistant.embed.encoder import Encoder, load_encoder
from assistant.errors import WouldBlock


class Embedder:
    def __init__(self, model_name: str, batch_size: int = 32):
        self.model_name = model_name
        self.batch_size = batch_size
        self.texts_embedded = 0  # lets tests and reports see that nothing was embedded
        self._model: Encoder | None = None
        self._lock = threading.RLock()
        self._queries: dict[str, np.ndarray] = {}  # recent query vectors, oldest first
        self._batching = threading.Condition()  # guards the three fields below
        self._pending: dict[str, Future] = {}  # queries asked for and not embedded yet
        self._waiting: list[str] = []  # ... of which these are in no batch yet
        self._encoding = False

    @property
    def model(self) -> Encoder:
        """The encoder (see encoder.py), loaded on first use."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    try:
                        self._model = load_encoder(self.model_name)
                    except Exception as exc:
                        raise RuntimeError(
                            f"cannot load embedding model {self.model_name!r}: {exc}. "
                            "Set ASSISTANT_EMBED_MODEL to a local model path."
                        ) from exc
        return self._model

    @property
    def dimension(self) -> int:
        return self.model.dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages (documents) as float32 rows."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        encoded = self.model.encode(list(texts), batch_size=self.batch_size)
        self.texts_embedded += len(texts)
        return _normalise(np.stack([e.vector for e in encoded]))

    def embed_query(self, text: str) -> np.ndarray:
        """Cached: search and answer embed the same question within one ask."""
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: Sequence[str], block: bool = True) -> list[np.ndarray]:
        """Query vectors, cached, and batched across threads: concurrent
        queries share one forward pass.

        Under load (a server's worker threads) the first caller embeds every
        query waiting at that moment in one batch while the others wait for
        it, instead of each thread running the model for one short query; a
        lone caller embeds at once. A batch of two short texts costs little
        more than one (about 18 vs 15 ms here). With `block=False` a text not
        in the cache raises `WouldBlock` instead of running the model.
        """
        cond = self._batching
        with cond:
            if not block and any(t not in self._queries for t in texts):
                raise WouldBlock("query not embedded yet")
            futures: list[np.ndarray | Future] = []
            for text in texts:
                hit = self._queries.get(text)
                if hit is not None:
                    futures.append(hit)
                    continue
                future = self._pending.get(text)
                if future is None:
                    future = self._pending[text] = Future()
                    self._waiting.append(text)
                futures.append(future)
            while not all(isinstance(f, np.ndarray) or f.done() for f in futures):
                if self._encoding or not self._waiting:
                    cond.wait()
                    continue
                batch, self._waiting, self._encoding = self._waiting, [], True
                cond.release()
                vectors: np.ndarray | None = None
                error: Exception | None = None
                try:
                    vectors = self.embed(batch)
                except Exception as exc:  # every waiter of this batch gets the error
                    error = exc
                finally:
                    cond.acquire()
                self._encoding = False
                for i, query in enumerate(batch):
                    done = self._pending.pop(query)
                    if error is not None or vectors is None:
                        done.set_exception(error or RuntimeError("no vectors"))
                    else:
                        self._queries[query] = vectors[i]
                        done.set_result(vectors[i])
                while len(self._queries) > 1024:
                    self._queries.pop(next(iter(self._queries)))
                cond.notify_all()
        return [f if isinstance(f, np.ndarray) else f.result() for f in futures]

    def embed_with_sentences(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors, plus a vector per sentence span at no extra cost.

        Sentence vectors are the mean of the passage's own contextual token
        embeddings over the sentence ("late chunking"): one forward pass gives
        both, so the answerer can rank sentences without embedding them again.
        A sentence cut off by the model's length limit gets the passage vector.
        As good as embedding every sentence on its own, for no extra embedding
        time (docs/experiments.md, "Chunk and sentence representations").
        """
        if not texts:
            return np.zeros((0, 0), dtype=np.float32), []
        encoded = self.model.encode(list(texts), batch_size=self.batch_size, tokens=True)
        self.texts_embedded += len(texts)
        passages = _normalise(np.stack([e.vector for e in encoded]))
        per_text: list[np.ndarray] = []
        for e, text_spans, passage in zip(encoded, spans, passages):
            starts = np.array([a for a, _ in e.offsets])
            ends = np.array([b for _, b in e.offsets])
            real = ends > starts
            rows = []
            for a, b in text_spans:
                inside = real & (ends > a) & (starts < b)
                if inside.any():
                    v = e.tokens[inside].mean(axis=0)
                    rows.append(v / (np.linalg.norm(v) + 1e-12))
                else:
                    rows.append(passage)
            per_text.append(np.array(rows, dtype=np.float32).reshape(len(text_spans), -1))
        return passages, per_text


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = vectors.astype(np.float32, copy=False)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


