"""The accurate path's sentence encoder: all-MiniLM-L6-v2 (Wang et al., MiniLM; the
sentence-transformers model, Apache-2.0) exported to ONNX with its mean pooling, weights
quantised to int8 per channel, run by onnxruntime on the CPU; its WordPiece tokenizer
(``tokenizer.json``) run by the ``tokenizers`` library. Both are imported on the first
use, so the fast path and every other function never load them; the balanced path loads
them on the first text it routes.

``embed`` gives one l2-normalised 384-dimension vector per text. Texts are cut to
``MAX_TOKENS`` word pieces (a tweet is 20 to 60) and run one at a time (see ``embed``). The accurate heads of model.py read these vectors beside the hashed
features (``socialops train --encoder``, infra/train.py, fits them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

MODEL_FILE = "model.int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
MAX_TOKENS = 128
THREADS_ENV = "SOCIALOPS_ENCODER_THREADS"  # onnxruntime's threads (default: the vCPUs, at most 4)
DIMENSION = 384


class EncoderError(Exception):
    """The encoder's files are missing or unreadable, or its libraries are not installed."""


@dataclass
class Encoder:
    session: Any  # onnxruntime.InferenceSession
    tokenizer: Any  # tokenizers.Tokenizer

    @classmethod
    def load(cls, model: Path, tokenizer: Path, threads: int | None = None) -> Encoder:
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EncoderError(
                f"the balanced and accurate sentiment paths need onnxruntime and tokenizers "
                f"({exc.name} is not installed; both are dependencies of socialops): "
                "pip install onnxruntime==1.32.0 tokenizers==0.23.3"
            ) from exc
        for path in (model, tokenizer):
            if not path.is_file():
                raise EncoderError(f"{path}: the encoder's file is missing")
        options = onnxruntime.SessionOptions()
        # Lambda gives a share of vCPUs by memory; one thread per vCPU, never more
        configured = os.environ.get(THREADS_ENV, "").strip()
        options.intra_op_num_threads = (
            threads
            or (int(configured) if configured.isdigit() else 0)
            or min(4, os.cpu_count() or 1)
        )
        options.inter_op_num_threads = 1
        try:
            session = onnxruntime.InferenceSession(
                str(model), options, providers=["CPUExecutionProvider"]
            )
            words = Tokenizer.from_file(str(tokenizer))
        except Exception as exc:  # onnxruntime and tokenizers raise their own types
            raise EncoderError(f"{model.parent}: cannot load the encoder: {exc}") from exc
        words.enable_truncation(MAX_TOKENS)
        words.no_padding()
        return cls(session, words)

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), DIMENSION) float32, each row of unit length. One text a run: the
        int8 graph quantises its activations with one scale per run, so in a batch a
        text's vector would depend on its neighbours (and on their padding); alone it is
        the same wherever it is scored, at about three quarters of the batched speed."""
        import numpy as np

        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for row, encoded in enumerate(self.tokenizer.encode_batch(texts)):
            ids = np.asarray([encoded.ids], dtype=np.int64)
            (vector,) = self.session.run(
                None, {"input_ids": ids, "attention_mask": np.ones_like(ids)}
            )
            out[row] = vector[0]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        result: np.ndarray = out / norms
        return result
