"""Builds a tiny Llama-style causal LM and its tokenizer locally, with no downloads.

  python -m trainer.tiny_model --output DIR [--mbpp PATH] [--vocab-size 512] [--hidden 64] [--layers 2]
                               [--heads 4] [--seed 0] [--write-data FILE --data-limit N]

The tokenizer is a byte-level BPE trained here on the code and statements of the MBPP train split
(task ids 601–974); the model is randomly initialised (seeded). Both are written with save_pretrained, so
AutoTokenizer / AutoModelForCausalLM.from_pretrained(DIR) load them offline. --write-data also writes a
JSONL of {"prompt", "completion"} pairs from the same split for training tests.
Prints one JSON line: {"event":"tiny_model", "output":..., "vocab_size":..., "parameters":..., ...}.
"""
from __future__ import annotations

import argparse
import gzip
import json
import time
from pathlib import Path

from .common import emit, find_mbpp

MBPP_TRAIN_IDS = range(601, 975)
SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<unk>"]


def load_mbpp_train(path: Path) -> list[dict]:
    """MBPP records whose task_id is in the train split (601–974), in task-id order."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    train = [r for r in rows if int(r["task_id"]) in MBPP_TRAIN_IDS]
    if not train:
        raise ValueError(f"{path}: no MBPP records with task_id 601-974")
    return sorted(train, key=lambda r: int(r["task_id"]))


def prompt_of(record: dict) -> str:
    tests = "\n".join(record.get("test_list", []))
    return f'"""{record["text"]}\n{tests}\n"""\n'


def completion_of(record: dict) -> str:
    return record["code"].replace("\r\n", "\n").replace("\r", "\n").strip() + "\n"


def corpus(records: list[dict]) -> list[str]:
    return [prompt_of(r) + completion_of(r) for r in records]


def build_tokenizer(texts: list[str], vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        model_max_length=1024,
    )


def build_model(tokenizer, hidden: int, layers: int, heads: int, seed: int, max_positions: int = 1024):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=max_positions,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    return LlamaForCausalLM(config)


def write_pairs(records: list[dict], out: Path, limit: int) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    chosen = records[:limit] if limit > 0 else records
    with open(out, "w", encoding="utf-8") as f:
        for r in chosen:
            f.write(json.dumps({"task_id": int(r["task_id"]), "prompt": prompt_of(r), "completion": completion_of(r)}) + "\n")
    return len(chosen)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m trainer.tiny_model", description=__doc__.split("\n\n")[0])
    p.add_argument("--output", required=True, help="folder to write the model and tokenizer into")
    p.add_argument("--mbpp", default=None, help="path of mbpp.jsonl.gz (default: the repository's data/mbpp.jsonl.gz)")
    p.add_argument("--vocab-size", type=int, default=512)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--write-data", default=None, help="also write prompt/completion JSONL pairs here")
    p.add_argument("--data-limit", type=int, default=0, help="number of pairs for --write-data (0 = all 374)")
    a = p.parse_args(argv)
    if a.hidden % a.heads != 0:
        p.error(f"--hidden {a.hidden} must be a multiple of --heads {a.heads}")
    if a.vocab_size < 300:
        p.error(f"--vocab-size {a.vocab_size} must be at least 300 (256 byte symbols + special tokens + merges)")

    t0 = time.time()
    records = load_mbpp_train(find_mbpp(a.mbpp))
    tokenizer = build_tokenizer(corpus(records), a.vocab_size)
    model = build_model(tokenizer, a.hidden, a.layers, a.heads, a.seed)
    out = Path(a.output)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(out)
    model.save_pretrained(out)
    pairs = write_pairs(records, Path(a.write_data), a.data_limit) if a.write_data else 0
    emit(
        "tiny_model",
        output=str(out),
        vocab_size=len(tokenizer),
        hidden=a.hidden,
        layers=a.layers,
        heads=a.heads,
        parameters=sum(p.numel() for p in model.parameters()),
        train_records=len(records),
        pairs_written=pairs,
        seconds=round(time.time() - t0, 3),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
