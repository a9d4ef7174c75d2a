"""LoRA fine-tuning of a local causal LM on prompt/completion pairs, resumable from checkpoints.

  python -m trainer.train --base-model DIR --data FILE.jsonl --output DIR
         [--lora-r 8] [--lora-alpha 16] [--lora-dropout 0.05] [--target-modules q_proj,k_proj,v_proj,o_proj]
         [--batch-size 8] [--lr 2e-4] [--epochs 1] [--max-steps 0] [--seed 0] [--save-every 50] [--resume]
  python -m trainer.train --config '{"base_model": "...", "data": "...", "output": "...", "lr": 1e-3}'
  python -m trainer.train --config run.json --lr 1e-3        # flags given on the command line win

stdout carries one JSON object per line (nothing else):
  {"event":"start", ...}  {"event":"resume","from_step":n}  {"event":"step","step":n,"loss":x,"lr":y,"epoch":e}
  {"event":"checkpoint","step":n,"path":...}  {"event":"done","steps":n,"final_loss":x,"adapter":...,"metrics":...}
  {"event":"interrupted","step":n}  (SIGTERM/SIGINT: checkpoint taken, exit 143)   {"event":"error","message":...}
Exit codes: 0 done, 2 bad arguments/data/config mismatch, 1 other failure, 143 interrupted.

Determinism: the batch of step s is a pure function of (seed, s): epoch e = s // steps_per_epoch is a seeded
permutation of the examples. A checkpoint holds the LoRA weights, the optimizer, the LR schedule and the torch RNG,
so a run killed at any point and restarted with --resume continues from its last checkpoint and produces the same
losses as an uninterrupted run (same device and thread count).
Output folder: checkpoints/step-NNNNNNNN/ (the newest --keep-checkpoints kept), adapter/ (PEFT adapter:
adapter_config.json + adapter_model.safetensors), metrics.json.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

from .common import emit, log, quiet_transformers

FINGERPRINT_KEYS = ("base_model", "data_sha256", "lora_r", "lora_alpha", "lora_dropout", "target_modules",
                    "batch_size", "lr", "weight_decay", "lr_schedule", "warmup_steps", "seed", "max_length", "dtype")
CKPT_RE = re.compile(r"^step-(\d{8})$")


class UsageError(Exception):
    """Bad arguments, data or an incompatible checkpoint: exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m trainer.train", description="LoRA fine-tuning with resumable checkpoints")
    p.add_argument("--config", help="JSON object (or path of a JSON file) with any of the options below; flags win")
    p.add_argument("--base-model", help="folder of the base model and tokenizer (save_pretrained layout)")
    p.add_argument("--data", help="JSONL with {\"prompt\": str, \"completion\": str} per line")
    p.add_argument("--output", help="folder for checkpoints, adapter/ and metrics.json")
    p.add_argument("--lora-r", type=int, default=8)
    p.add_argument("--lora-alpha", type=float, default=16.0)
    p.add_argument("--lora-dropout", type=float, default=0.05)
    p.add_argument("--target-modules", default="q_proj,k_proj,v_proj,o_proj", help="comma-separated module names")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--lr-schedule", choices=["constant", "linear", "cosine"], default="constant")
    p.add_argument("--warmup-steps", type=int, default=0)
    p.add_argument("--epochs", type=float, default=1.0, help="used when --max-steps is 0")
    p.add_argument("--max-steps", type=int, default=0, help="exact number of optimizer steps (0: from --epochs)")
    p.add_argument("--max-length", type=int, default=512, help="tokens per example, truncated from the right")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save-every", type=int, default=50, help="checkpoint every N steps (0: only at the end)")
    p.add_argument("--keep-checkpoints", type=int, default=2)
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --output, if any")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    # One CPU thread by default: measured on a 2-core machine, the tiny model trains at ~7 steps/s on 1 thread and
    # 1.3 (idle machine) to 0.4 (loaded machine) steps/s on 2 OpenMP threads. Pass --threads 0 for torch's default.
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1; 0: torch's default)")
    p.add_argument("--eval-limit", type=int, default=64, help="examples for the before/after loss (0: skip)")
    p.add_argument("--debug-step-sleep", type=float, default=0.0, help=argparse.SUPPRESS)  # tests: slow steps down
    return p


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = build_parser()
    first = parser.parse_args(argv)
    if first.config:
        text = first.config
        if not text.lstrip().startswith("{"):
            if not Path(text).is_file():
                raise UsageError(f"--config {text!r} is neither a JSON object nor an existing file")
            text = Path(text).read_text(encoding="utf-8")
        try:
            cfg = json.loads(text)
        except json.JSONDecodeError as e:
            raise UsageError(f"--config is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
        if not isinstance(cfg, dict):
            raise UsageError("--config must be a JSON object")
        known = {a.dest for a in parser._actions if a.dest not in ("help", "config")}
        mapped = {str(k).replace("-", "_"): v for k, v in cfg.items()}
        unknown = sorted(k for k in mapped if k not in known)
        if unknown:
            raise UsageError(f"--config has unknown option(s): {', '.join(unknown)}")
        if isinstance(mapped.get("target_modules"), list):
            mapped["target_modules"] = ",".join(mapped["target_modules"])
        parser.set_defaults(**mapped)
        first = parser.parse_args(argv)
    a = first
    missing = [f"--{k.replace('_', '-')}" for k in ("base_model", "data", "output") if not getattr(a, k)]
    if missing:
        raise UsageError(f"missing required option(s): {', '.join(missing)}")
    checks = [
        (a.lora_r >= 1, f"--lora-r must be ≥ 1, got {a.lora_r}"),
        (a.lora_alpha > 0, f"--lora-alpha must be > 0, got {a.lora_alpha}"),
        (0 <= a.lora_dropout < 1, f"--lora-dropout must be in [0, 1), got {a.lora_dropout}"),
        (a.batch_size >= 1, f"--batch-size must be ≥ 1, got {a.batch_size}"),
        (a.lr > 0 and math.isfinite(a.lr), f"--lr must be a finite number > 0, got {a.lr}"),
        (a.epochs > 0, f"--epochs must be > 0, got {a.epochs}"),
        (a.max_steps >= 0, f"--max-steps must be ≥ 0, got {a.max_steps}"),
        (a.save_every >= 0, f"--save-every must be ≥ 0, got {a.save_every}"),
        (a.keep_checkpoints >= 1, f"--keep-checkpoints must be ≥ 1, got {a.keep_checkpoints}"),
        (a.max_length >= 2, f"--max-length must be ≥ 2, got {a.max_length}"),
        (a.warmup_steps >= 0, f"--warmup-steps must be ≥ 0, got {a.warmup_steps}"),
        (bool([m for m in a.target_modules.split(",") if m.strip()]), "--target-modules must name at least one module"),
    ]
    for ok, msg in checks:
        if not ok:
            raise UsageError(msg)
    if not Path(a.base_model).is_dir():
        raise UsageError(f"--base-model {a.base_model}: no such folder")
    return a


def lr_lambda(schedule: str, warmup: int, total: int):
    def f(step: int) -> float:
        if warmup > 0 and step < warmup:
            return (step + 1) / warmup
        if schedule == "constant":
            return 1.0
        span = max(1, total - warmup)
        frac = min(1.0, (step - warmup) / span)
        return 1.0 - frac if schedule == "linear" else 0.5 * (1.0 + math.cos(math.pi * frac))

    return f


def list_checkpoints(ckdir: Path) -> list[tuple[int, Path]]:
    out = []
    if ckdir.is_dir():
        for d in ckdir.iterdir():
            m = CKPT_RE.match(d.name)
            if m and (d / "state.json").is_file():
                out.append((int(m.group(1)), d))
    return sorted(out)


def run(a: argparse.Namespace) -> int:
    import torch
    from peft import LoraConfig, get_peft_model, get_peft_model_state_dict, set_peft_model_state_dict
    from safetensors.torch import load_file, save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from .data import collate, encode, file_sha256, mean_loss, read_pairs

    quiet_transformers()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    if a.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(a.device)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise UsageError(f"--device {a.device}: CUDA is not available")
    dtype = torch.bfloat16 if a.dtype == "bfloat16" else torch.float32

    out = Path(a.output)
    ckdir = out / "checkpoints"
    data_path = Path(a.data)
    rows = read_pairs(data_path)
    base_model = str(Path(a.base_model).resolve())
    fingerprint: dict[str, Any] = {
        "base_model": base_model, "data_sha256": file_sha256(data_path), "lora_r": a.lora_r,
        "lora_alpha": a.lora_alpha, "lora_dropout": a.lora_dropout,
        "target_modules": sorted(m.strip() for m in a.target_modules.split(",") if m.strip()),
        "batch_size": a.batch_size, "lr": a.lr, "weight_decay": a.weight_decay, "lr_schedule": a.lr_schedule,
        "warmup_steps": a.warmup_steps, "seed": a.seed, "max_length": a.max_length, "dtype": a.dtype,
    }

    checkpoints = list_checkpoints(ckdir)
    if checkpoints and not a.resume:
        raise UsageError(f"--output {out} already has checkpoints (newest step {checkpoints[-1][0]}); "
                         "pass --resume to continue, or use an empty folder")

    tokenizer = AutoTokenizer.from_pretrained(base_model, local_files_only=True)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    examples, dropped = encode(rows, tokenizer, a.max_length)
    if not examples:
        raise UsageError(f"--data {data_path}: no example keeps a completion token within --max-length {a.max_length}")
    n = len(examples)
    steps_per_epoch = math.ceil(n / a.batch_size)
    total_steps = a.max_steps if a.max_steps > 0 else max(1, math.ceil(a.epochs * steps_per_epoch))

    torch.manual_seed(a.seed)
    model = AutoModelForCausalLM.from_pretrained(base_model, local_files_only=True, dtype=dtype)
    lora = LoraConfig(r=a.lora_r, lora_alpha=a.lora_alpha, lora_dropout=a.lora_dropout,
                      target_modules=fingerprint["target_modules"], bias="none", task_type="CAUSAL_LM")
    try:
        model = get_peft_model(model, lora)
    except ValueError as e:
        raise UsageError(f"--target-modules {a.target_modules}: {e}") from None
    model.to(device)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=a.lr, weight_decay=a.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(a.lr_schedule, a.warmup_steps, total_steps))
    pad_id = tokenizer.pad_token_id
    eval_set = examples[: a.eval_limit] if a.eval_limit > 0 else []

    step = 0
    losses: list[float] = []
    initial_eval_loss = None
    resumed_from = None
    if a.resume and checkpoints:
        ck_step, ck = checkpoints[-1]
        state = json.loads((ck / "state.json").read_text(encoding="utf-8"))
        diff = [k for k in FINGERPRINT_KEYS if state["fingerprint"].get(k) != fingerprint.get(k)]
        if diff:
            raise UsageError(f"cannot resume from {ck}: option(s) differ from the checkpoint: " + ", ".join(
                f"{k} (checkpoint {state['fingerprint'].get(k)!r}, now {fingerprint.get(k)!r})" for k in diff))
        set_peft_model_state_dict(model, load_file(str(ck / "adapter_model.safetensors"), device=str(device)))
        optimizer.load_state_dict(torch.load(ck / "optimizer.pt", map_location=device, weights_only=True))
        scheduler.load_state_dict(torch.load(ck / "scheduler.pt", weights_only=True))
        rng = torch.load(ck / "rng.pt", weights_only=True)
        torch.set_rng_state(rng["cpu"])
        if device.type == "cuda" and "cuda" in rng:
            torch.cuda.set_rng_state(rng["cuda"], device)
        step = ck_step
        losses = list(state["losses"])
        initial_eval_loss = state.get("initial_eval_loss")
        resumed_from = ck_step
        emit("resume", from_step=ck_step, checkpoint=str(ck))
        done_metrics = out / "metrics.json"
        if ck_step >= total_steps and done_metrics.is_file() and (out / "adapter" / "adapter_config.json").is_file():
            # Already finished (e.g. a retried activity after the process had completed): report it, change nothing.
            m = json.loads(done_metrics.read_text(encoding="utf-8"))
            if m.get("steps") == ck_step:
                emit("done", steps=ck_step, final_loss=m.get("final_loss"), initial_eval_loss=m.get("initial_eval_loss"),
                     final_eval_loss=m.get("final_eval_loss"), adapter=str(out / "adapter"), metrics=str(done_metrics),
                     already_complete=True)
                return 0
    elif a.resume:
        emit("resume", from_step=0, checkpoint=None)

    emit("start", device=str(device), examples=n, dropped=dropped, steps_per_epoch=steps_per_epoch,
         total_steps=total_steps, start_step=step, trainable_parameters=sum(p.numel() for p in trainable),
         parameters=sum(p.numel() for p in model.parameters()))
    if step == 0 and eval_set:
        initial_eval_loss = mean_loss(model, eval_set, pad_id, a.batch_size, device)
        emit("eval", step=0, loss=initial_eval_loss)

    def save_checkpoint(at: int) -> Path:
        ckdir.mkdir(parents=True, exist_ok=True)
        final = ckdir / f"step-{at:08d}"
        tmp = ckdir / f".tmp-step-{at:08d}-{os.getpid()}"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        save_file({k: v.detach().contiguous().cpu() for k, v in get_peft_model_state_dict(model).items()},
                  str(tmp / "adapter_model.safetensors"))
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        torch.save(scheduler.state_dict(), tmp / "scheduler.pt")
        rng = {"cpu": torch.get_rng_state()}
        if device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(device)
        torch.save(rng, tmp / "rng.pt")
        (tmp / "state.json").write_text(json.dumps({"step": at, "fingerprint": fingerprint, "losses": losses,
                                                    "initial_eval_loss": initial_eval_loss}), encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        for _, old in list_checkpoints(ckdir)[: -a.keep_checkpoints]:
            shutil.rmtree(old, ignore_errors=True)
        emit("checkpoint", step=at, path=str(final))
        return final

    stop = {"signal": None}

    def on_signal(signum, _frame):
        stop["signal"] = signum

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    order_cache: dict[int, list[int]] = {}

    def batch_for(s: int) -> list:
        epoch, pos = divmod(s, steps_per_epoch)
        if epoch not in order_cache:
            order_cache.clear()
            g = torch.Generator().manual_seed(a.seed * 1_000_003 + epoch)
            order_cache[epoch] = torch.randperm(n, generator=g).tolist()
        idx = order_cache[epoch][pos * a.batch_size : (pos + 1) * a.batch_size]
        return [examples[i] for i in idx]

    model.train()
    t0 = time.time()
    steps_here = 0
    while step < total_steps:
        b = {k: v.to(device) for k, v in collate(batch_for(step), pad_id).items()}
        loss = model(**b).loss
        if not torch.isfinite(loss):
            raise RuntimeError(f"loss is {float(loss)} at step {step + 1}; lower --lr")
        loss.backward()
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        steps_here += 1
        value = float(loss.detach())
        losses.append(value)
        emit("step", step=step, loss=value, lr=scheduler.get_last_lr()[0], epoch=(step - 1) // steps_per_epoch)
        if a.save_every > 0 and step % a.save_every == 0 and step < total_steps:
            save_checkpoint(step)
        if stop["signal"] is not None:
            save_checkpoint(step)
            emit("interrupted", step=step, signal=int(stop["signal"]))
            return 143
        if a.debug_step_sleep > 0:
            time.sleep(a.debug_step_sleep)
    train_seconds = time.time() - t0

    final_eval_loss = mean_loss(model, eval_set, pad_id, a.batch_size, device) if eval_set else None
    if final_eval_loss is not None:
        emit("eval", step=step, loss=final_eval_loss)
    save_checkpoint(step)
    adapter_dir = out / "adapter"
    tmp_adapter = out / f".tmp-adapter-{os.getpid()}"
    if tmp_adapter.exists():
        shutil.rmtree(tmp_adapter)
    model.save_pretrained(str(tmp_adapter))
    if adapter_dir.exists():
        shutil.rmtree(adapter_dir)
    os.replace(tmp_adapter, adapter_dir)

    window = min(5, len(losses))
    metrics = {
        "steps": step,
        "total_steps": total_steps,
        "examples": n,
        "dropped_examples": dropped,
        "steps_per_epoch": steps_per_epoch,
        "losses": losses,
        "first_loss": losses[0] if losses else None,
        "final_loss": losses[-1] if losses else None,
        "loss_first_window_mean": sum(losses[:window]) / window if window else None,
        "loss_last_window_mean": sum(losses[-window:]) / window if window else None,
        "initial_eval_loss": initial_eval_loss,
        "final_eval_loss": final_eval_loss,
        "eval_examples": len(eval_set),
        "resumed_from_step": resumed_from,
        "steps_this_run": steps_here,
        "train_seconds_this_run": round(train_seconds, 4),
        "steps_per_second_this_run": round(steps_here / train_seconds, 4) if steps_here and train_seconds > 0 else None,
        "device": str(device),
        "torch_threads": torch.get_num_threads(),
        # Peak resident memory of this process (Linux reports ru_maxrss in KiB).
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "config": {**fingerprint, "epochs": a.epochs, "max_steps": a.max_steps, "save_every": a.save_every},
        "versions": versions(),
    }
    tmp_metrics = out / f".tmp-metrics-{os.getpid()}.json"
    tmp_metrics.write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    os.replace(tmp_metrics, out / "metrics.json")
    emit("done", steps=step, final_loss=metrics["final_loss"], initial_eval_loss=initial_eval_loss,
         final_eval_loss=final_eval_loss, adapter=str(adapter_dir), metrics=str(out / "metrics.json"))
    return 0


def versions() -> dict[str, str]:
    import peft
    import tokenizers
    import torch
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
            "tokenizers": tokenizers.__version__, "python": sys.version.split()[0]}


def main(argv: list[str] | None = None) -> int:
    try:
        a = parse_args(argv)
        return run(a)
    except UsageError as e:
        emit("error", kind="usage", message=str(e))
        log(f"error: {e}")
        return 2
    except (FileNotFoundError, ValueError) as e:
        emit("error", kind="data", message=str(e))
        log(f"error: {e}")
        return 2
    except Exception as e:  # noqa: BLE001 - reported as one JSON line, then a non-zero exit
        emit("error", kind=type(e).__name__, message=str(e))
        import traceback

        traceback.print_exc(file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
