#!/usr/bin/env python3
"""Computes reference sentence embeddings for lm-embed's tests, independently of the Rust code.

Runs the same int8 all-MiniLM-L6-v2 ONNX file with Python onnxruntime + Hugging Face tokenizers,
mean-pools token vectors over the attention mask and L2-normalises them (what sentence-transformers
does for this model). Each sentence is embedded alone, so the Rust side, which embeds them as one
padded batch, is also checked for correct masking.

Run once, in a throwaway venv, and commit the JSON it writes (not the model):
    python3 -m venv ~/.cache/littlemonster/venv-ref
    ~/.cache/littlemonster/venv-ref/bin/pip install onnxruntime==1.31.1 tokenizers numpy
    ~/.cache/littlemonster/venv-ref/bin/python scripts/embedding_reference.py
"""

import argparse
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import onnxruntime
import tokenizers

SENTENCES = [
    "The mitochondria is the powerhouse of the cell.",
    "Photosynthesis turns sunlight, water and carbon dioxide into glucose and oxygen.",
    "In 1492 Columbus sailed across the Atlantic Ocean.",
    "Déjà vu: the café's naïve résumé!",
    "x",
]
# sentence-transformers' max_seq_length for all-MiniLM-L6-v2.
MAX_TOKENS = 256


def default_model_dir() -> Path:
    models = os.environ.get("LITTLEMONSTER_MODELS_DIR")
    if models:
        return Path(models) / "minilm-l6-v2"
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "littlemonster" / "models" / "minilm-l6-v2"


def embed(session: onnxruntime.InferenceSession, tokenizer: tokenizers.Tokenizer, text: str) -> np.ndarray:
    encoding = tokenizer.encode(text)
    feeds = {
        "input_ids": np.array([encoding.ids], dtype=np.int64),
        "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
        "token_type_ids": np.array([encoding.type_ids], dtype=np.int64),
    }
    wanted = {i.name for i in session.get_inputs()}
    tokens = session.run(None, {k: v for k, v in feeds.items() if k in wanted})[0][0]
    mask = feeds["attention_mask"][0].astype(np.float64)[:, None]
    pooled = (tokens.astype(np.float64) * mask).sum(axis=0) / max(mask.sum(), 1.0)
    return pooled / np.linalg.norm(pooled)


def main() -> None:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=default_model_dir())
    parser.add_argument(
        "--out", type=Path, default=here.parent / "crates/embed/tests/data/reference_embeddings.json"
    )
    args = parser.parse_args()

    model = args.model_dir / "model.onnx"
    tokenizer = tokenizers.Tokenizer.from_file(str(args.model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    session = onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])

    reference = {
        "generated_by": "scripts/embedding_reference.py",
        "model_sha256": hashlib.sha256(model.read_bytes()).hexdigest(),
        "onnxruntime": onnxruntime.__version__,
        "tokenizers": tokenizers.__version__,
        "pooling": "mean over attention mask, then L2 normalisation",
        "max_tokens": MAX_TOKENS,
        "items": [
            {"text": text, "vector": [round(float(x), 8) for x in embed(session, tokenizer, text)]}
            for text in SENTENCES
        ],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # One line per item keeps the file readable and its diffs small.
    items = reference.pop("items")
    text = json.dumps(reference, ensure_ascii=False, indent=1)[:-2]
    text += ',\n "items": [\n  ' + ",\n  ".join(json.dumps(i, ensure_ascii=False) for i in items)
    args.out.write_text(text + "\n ]\n}\n")
    print(f"wrote {len(SENTENCES)} reference vectors to {args.out}")


if __name__ == "__main__":
    main()
