"""A BERT encoder in plain torch, for the models that are plain BERT (all-MiniLM-L6-v2).

Why not `transformers`: importing its BERT model costs about 5 s on these
cores (it pulls in torch.distributed, dynamo, sympy and SciPy), half the
server's start-up budget, to run a forward pass of some 40 lines. This
module loads the same weights (safetensors) and the same tokenizer
(`tokenizers`, the library behind transformers' fast tokenizers) and
computes the same hidden states; `tests/test_encoder.py` compares it with
sentence-transformers. A model that is not plain BERT goes through
`transformers` as before (see `supports`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any


def supports(path: Path) -> bool:
    """A BERT with absolute positions and exact GELU, saved as safetensors with a fast tokenizer."""
    try:
        config = json.loads((path / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return (
        config.get("model_type") == "bert"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and config.get("hidden_act") == "gelu"
        and (path / "model.safetensors").is_file()
        and (path / "tokenizer.json").is_file()
    )


class Bert:
    """Tokenize and run the encoder; returns last hidden states, attention mask and offsets."""

    def __init__(self, path: Path, max_length: int):
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        config = json.loads((path / "config.json").read_text())
        self.hidden = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.max_length = min(max_length, int(config.get("max_position_embeddings", 512)))
        weights = load_file(str(path / "model.safetensors"))
        prefix = "bert." if any(k.startswith("bert.") for k in weights) else ""
        self.w: dict[str, Any] = {k[len(prefix):]: v.float() for k, v in weights.items() if k.startswith(prefix)}
        self.torch = torch
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        # The file may carry a fixed padding and truncation of its own (128 for MiniLM).
        self.tokenizer.enable_truncation(max_length=self.max_length)
        pad_id = int(config.get("pad_token_id", 0))
        self.tokenizer.enable_padding(pad_id=pad_id, pad_token=self.tokenizer.id_to_token(pad_id) or "[PAD]")

    def __call__(self, texts: list[str]):
        torch = self.torch
        encodings = self.tokenizer.encode_batch(texts)
        ids = torch.tensor([e.ids for e in encodings], dtype=torch.long)
        types = torch.tensor([e.type_ids for e in encodings], dtype=torch.long)
        mask = torch.tensor([e.attention_mask for e in encodings], dtype=torch.long)
        offsets = [e.offsets for e in encodings]
        with torch.inference_mode():
            hidden = self._forward(ids, types, mask)
        return hidden, mask, offsets

    def _forward(self, ids, types, mask):
        torch, w, F = self.torch, self.w, self.torch.nn.functional
        n, length = ids.shape
        positions = torch.arange(length).unsqueeze(0)
        x = w["embeddings.word_embeddings.weight"][ids]
        x = x + w["embeddings.position_embeddings.weight"][positions] + w["embeddings.token_type_embeddings.weight"][types]
        x = self._norm(x, "embeddings.LayerNorm")
        keep = mask.bool()[:, None, None, :]  # attend to real tokens only
        head = self.hidden // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def split(name, x=x, p=p):
                y = F.linear(x, w[p + f"attention.self.{name}.weight"], w[p + f"attention.self.{name}.bias"])
                return y.view(n, length, self.heads, head).transpose(1, 2)

            att = F.scaled_dot_product_attention(split("query"), split("key"), split("value"), attn_mask=keep,
                                                 scale=1.0 / math.sqrt(head))
            att = att.transpose(1, 2).reshape(n, length, self.hidden)
            att = F.linear(att, w[p + "attention.output.dense.weight"], w[p + "attention.output.dense.bias"])
            x = self._norm(att + x, p + "attention.output.LayerNorm")
            mid = F.gelu(F.linear(x, w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"]))
            out = F.linear(mid, w[p + "output.dense.weight"], w[p + "output.dense.bias"])
            x = self._norm(out + x, p + "output.LayerNorm")
        return x

    def _norm(self, x, name: str):
        return self.torch.nn.functional.layer_norm(
            x, (self.hidden,), self.w[name + ".weight"], self.w[name + ".bias"], self.eps
        )

