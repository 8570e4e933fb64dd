"""The lean encoder computes exactly what sentence-transformers computes."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from assistant.config import Settings
from assistant.embed.encoder import STEncoder, TransformerEncoder, _plain_layout, load_encoder

TEXTS = [
    "Evaluation of IOM Accountability to Affected Populations | FINDINGS\nResources allocated to central AAP "
    "functions were found to be inadequate. The AAP Coordination Unit was largely funded with earmarked funds.",
    "What were the lessons learned?",
    "Le projet a renforcé le dialogue binational entre Haïti et la République dominicaine. " * 12,  # past 256 tokens
    "HRDD IN/285 RT.1354",
]


@pytest.fixture(scope="module")
def model_dir():
    from pathlib import Path

    return Path(Settings.from_env().model_name)


def test_the_packaged_model_takes_the_lean_path(model_dir):
    assert isinstance(load_encoder(str(model_dir)), TransformerEncoder)


def test_lean_and_sentence_transformers_agree(model_dir):
    lean = load_encoder(str(model_dir)).encode(TEXTS, batch_size=3, tokens=True)
    ref = STEncoder(str(model_dir)).encode(TEXTS, batch_size=3, tokens=True)
    for a, b in zip(lean, ref):
        assert np.abs(a.vector - b.vector).max() < 1e-5
        assert a.tokens.shape == b.tokens.shape and np.abs(a.tokens - b.tokens).max() < 1e-5
        assert a.offsets == [tuple(o) for o in b.offsets]
    assert len(lean[2].offsets) == 256  # truncated at the model's max_seq_length, as sentence-transformers does


def test_other_layouts_go_through_sentence_transformers(model_dir, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    modules = json.loads((copy / "modules.json").read_text())
    modules.insert(2, {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})
    (copy / "modules.json").write_text(json.dumps(modules))
    assert _plain_layout(copy) is None
    pooling = copy / "1_Pooling" / "config.json"
    (copy / "modules.json").write_text(json.dumps(modules[:2] + modules[3:]))
    assert _plain_layout(copy) == {"mean": True, "normalize": True, "max_seq_length": 256}
    pooling.write_text(json.dumps({"word_embedding_dimension": 384, "pooling_mode_max_tokens": True}))
    assert _plain_layout(copy) is None
    assert _plain_layout(tmp_path / "no-such-model") is None


def test_plain_torch_bert_and_transformers_agree(model_dir, monkeypatch):
    """bert.py runs the packaged model without importing transformers; a model it does not
    support runs through transformers' AutoModel, with the same results."""
    from assistant.embed import bert

    lean = load_encoder(str(model_dir))
    assert lean._bert is not None
    monkeypatch.setattr(bert, "supports", lambda path: False)
    auto = load_encoder(str(model_dir))
    assert auto._bert is None
    for a, b in zip(lean.encode(TEXTS, tokens=True), auto.encode(TEXTS, tokens=True)):
        assert np.abs(a.vector - b.vector).max() < 1e-5
        assert np.abs(a.tokens - b.tokens).max() < 1e-4
        assert a.offsets == b.offsets


def test_bert_support_is_checked_from_the_config(model_dir, tmp_path):
    from assistant.embed import bert

    assert bert.supports(model_dir)
    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({**config, "position_embedding_type": "relative_key"}))
    assert not bert.supports(copy)
    (copy / "config.json").write_text(json.dumps({**config, "model_type": "roberta"}))
    assert not bert.supports(copy)
