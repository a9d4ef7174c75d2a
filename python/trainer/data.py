"""Prompt/completion JSONL → token tensors; the loss is taken on the completion tokens (and EOS) only."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Example:
    input_ids: list[int]
    labels: list[int]


def read_pairs(path: Path) -> list[dict]:
    if not path.is_file():
        raise FileNotFoundError(f"--data {path}: no such file")
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"--data {path}: line {n} is not JSON ({e.msg})") from None
            if not isinstance(row, dict):
                raise ValueError(f"--data {path}: line {n} is not a JSON object")
            for key in ("prompt", "completion"):
                if not isinstance(row.get(key), str):
                    raise ValueError(f"--data {path}: line {n} has no string field {key!r}")
            if not row["completion"]:
                raise ValueError(f"--data {path}: line {n} has an empty completion")
            rows.append(row)
    if not rows:
        raise ValueError(f"--data {path}: no examples")
    return rows


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def encode(rows: list[dict], tokenizer, max_length: int) -> tuple[list[Example], int]:
    """Returns (examples, dropped): [BOS] prompt completion [EOS], truncated to max_length from the right;
    an example left with no completion token after truncation is dropped."""
    bos = tokenizer.bos_token_id
    eos = tokenizer.eos_token_id
    examples: list[Example] = []
    dropped = 0
    for row in rows:
        p = tokenizer(row["prompt"], add_special_tokens=False)["input_ids"]
        c = tokenizer(row["completion"], add_special_tokens=False)["input_ids"]
        prefix = ([bos] if bos is not None else []) + p
        target = c + ([eos] if eos is not None else [])
        ids = (prefix + target)[:max_length]
        labels = ([-100] * len(prefix) + target)[:max_length]
        if all(l == -100 for l in labels[1:]):  # the first position is never predicted
            dropped += 1
            continue
        examples.append(Example(ids, labels))
    return examples, dropped


def collate(batch: list[Example], pad_id: int):
    import torch

    width = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), -100, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, e in enumerate(batch):
        n = len(e.input_ids)
        ids[i, :n] = torch.tensor(e.input_ids, dtype=torch.long)
        labels[i, :n] = torch.tensor(e.labels, dtype=torch.long)
        mask[i, :n] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def mean_loss(model, examples: list[Example], pad_id: int, batch_size: int, device) -> float:
    """Token-weighted mean cross-entropy over the supervised tokens, in eval mode (no dropout)."""
    import torch

    was_training = model.training
    model.eval()
    total = 0.0
    count = 0
    with torch.no_grad():
        for i in range(0, len(examples), batch_size):
            b = collate(examples[i : i + batch_size], pad_id)
            b = {k: v.to(device) for k, v in b.items()}
            logits = model(input_ids=b["input_ids"], attention_mask=b["attention_mask"]).logits.float()
            shift_logits = logits[:, :-1, :].reshape(-1, logits.size(-1))
            shift_labels = b["labels"][:, 1:].reshape(-1)
            loss = torch.nn.functional.cross_entropy(shift_logits, shift_labels, ignore_index=-100, reduction="sum")
            total += float(loss)
            count += int((shift_labels != -100).sum())
    if was_training:
        model.train()
    return total / max(count, 1)
