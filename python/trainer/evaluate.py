"""Mean completion loss of a base model, with or without a saved PEFT adapter, on prompt/completion pairs.

  python -m trainer.evaluate --base-model DIR --data FILE.jsonl [--adapter DIR] [--limit 64] [--batch-size 8]

Prints one JSON line: {"event":"eval","loss":x,"examples":n,"adapter":...,"lora_modules":k}.
Used to check that an adapter written by trainer.train loads and reproduces its reported final_eval_loss.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from .common import emit, quiet_transformers


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m trainer.evaluate")
    p.add_argument("--base-model", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--adapter", default=None)
    p.add_argument("--limit", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--max-length", type=int, default=512)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (0: torch's default)")
    a = p.parse_args(argv)

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from .data import encode, mean_loss, read_pairs

    quiet_transformers()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    try:
        base = str(Path(a.base_model).resolve())
        tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        examples, _ = encode(read_pairs(Path(a.data)), tokenizer, a.max_length)
        examples = examples[: a.limit] if a.limit > 0 else examples
        model = AutoModelForCausalLM.from_pretrained(base, local_files_only=True)
        lora_modules = 0
        if a.adapter:
            from peft import PeftModel

            if not (Path(a.adapter) / "adapter_config.json").is_file():
                raise FileNotFoundError(f"--adapter {a.adapter}: no adapter_config.json")
            model = PeftModel.from_pretrained(model, a.adapter, is_trainable=False)
            lora_modules = sum(1 for name, _ in model.named_modules() if name.endswith("lora_A"))
        loss = mean_loss(model, examples, tokenizer.pad_token_id, a.batch_size, torch.device("cpu"))
    except (FileNotFoundError, ValueError) as e:
        emit("error", kind="data", message=str(e))
        return 2
    emit("eval", loss=loss, examples=len(examples), adapter=a.adapter, lora_modules=lora_modules)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
