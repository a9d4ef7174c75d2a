"""Self-contained accelerator check for the LoRA trainer: needs torch, transformers and peft, nothing else
(no repository files, no data set, no network).

  python python/trainer/gpu_check.py [--device auto|cpu|cuda] [--steps 1] [--dtype float32|bfloat16]

Builds a tiny random Llama-style causal LM (hidden 64, 2 layers, 4 heads, vocab 512) in memory, wraps it with a
LoRA adapter, and runs --steps optimizer steps on one fixed random batch on CUDA when available. Prints ONE JSON
line: {"device", "cuda_available", "gpu", "loss_before", "loss_after", "steps", "seconds", "versions"}; exit 0
when the loss after the steps is finite and lower than before, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="gpu_check.py")
    p.add_argument("--device", default="auto")
    p.add_argument("--steps", type=int, default=1)
    p.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    p.add_argument("--lr", type=float, default=1e-2)
    a = p.parse_args(argv)

    t_import = time.time()
    import peft
    import torch
    import transformers
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    transformers.utils.logging.set_verbosity_error()
    import_seconds = time.time() - t_import
    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if (a.device == "auto" and cuda) else ("cpu" if a.device == "auto" else a.device))
    dtype = torch.bfloat16 if a.dtype == "bfloat16" else torch.float32

    t0 = time.time()
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=256,
                         pad_token_id=0, bos_token_id=1, eos_token_id=2)
    model = LlamaForCausalLM(config).to(dtype)
    model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, task_type="CAUSAL_LM",
                                             target_modules=["q_proj", "k_proj", "v_proj", "o_proj"]))
    model.to(device)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(3, 512, (8, 64), generator=g).to(device)
    batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": ids}
    opt = torch.optim.AdamW([q for q in model.parameters() if q.requires_grad], lr=a.lr)

    def loss_now() -> float:
        model.eval()
        with torch.no_grad():
            v = float(model(**batch).loss.float())
        model.train()
        return v

    before = loss_now()
    t_train = time.time()
    for _ in range(a.steps):
        loss = model(**batch).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    if device.type == "cuda":
        torch.cuda.synchronize()
    train_seconds = time.time() - t_train
    after = loss_now()
    ok = after == after and after < before  # finite (not NaN) and lower
    print(json.dumps({
        "event": "gpu_check",
        "ok": ok,
        "device": str(device),
        "cuda_available": cuda,
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "dtype": a.dtype,
        "loss_before": before,
        "loss_after": after,
        "steps": a.steps,
        "train_seconds": round(train_seconds, 4),
        "seconds": round(time.time() - t0, 4),
        "import_seconds": round(import_seconds, 4),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
                     "cuda": torch.version.cuda, "python": sys.version.split()[0]},
    }), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
