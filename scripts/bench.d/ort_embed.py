#!/usr/bin/env python3
"""Python ONNX Runtime reference for `littlemonster embed`: one timed pass over a file of sentences.

Does what lm-embed (fastembed) does: texts grouped into batches longest first (by UTF-8 length,
stable, as lm-embed orders them), Hugging Face tokenizer with truncation to 256 tokens and padding
to the longest text of each batch, the int8 all-MiniLM-L6-v2 ONNX model, mean pooling over the
attention mask, L2 normalisation, vectors put back in input order. Session creation is not timed (lm-embed's `embed_ms` excludes
model loading too); tokenisation is. Prints one JSON object; with --vectors, also saves the vectors
(.npy) so the bench can check both sides computed the same thing.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import onnxruntime
import tokenizers

MAX_TOKENS = 256


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--sentences", type=Path, required=True)
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--vectors", type=Path)
    args = parser.parse_args()

    texts = [line for line in args.sentences.read_text(encoding="utf-8").splitlines() if line.strip()]
    tokenizer = tokenizers.Tokenizer.from_file(str(args.model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding()  # to the longest sequence of each batch, as fastembed does
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = onnxruntime.InferenceSession(
        str(args.model_dir / "model.onnx"), sess_options=options, providers=["CPUExecutionProvider"]
    )
    wanted = {i.name for i in session.get_inputs()}

    started = time.perf_counter()
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i].encode("utf-8")))
    by_length = [texts[i] for i in order]
    vectors = []
    for first in range(0, len(by_length), args.batch_size):
        encodings = tokenizer.encode_batch(by_length[first : first + args.batch_size])
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        hidden = session.run(None, {k: v for k, v in feeds.items() if k in wanted})[0]
        mask = feeds["attention_mask"][:, :, None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        vectors.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
    in_input_order = np.empty((len(texts), vectors[0].shape[1]), dtype=np.float32)
    in_input_order[order] = np.concatenate(vectors)
    seconds = time.perf_counter() - started

    if args.vectors:
        np.save(args.vectors, in_input_order)
    print(
        json.dumps(
            {
                "texts": len(texts),
                "embed_ms": seconds * 1000.0,
                "texts_per_second": len(texts) / seconds,
                "onnxruntime": onnxruntime.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
