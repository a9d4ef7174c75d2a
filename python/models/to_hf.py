"""Turn a catalogue GGUF into a Hugging Face folder (config, tokenizer, safetensors weights) for vLLM and the LoRA
trainer. transformers dequantizes the GGUF when loading it (the `gguf` package reads the file), but refuses
`save_pretrained` on a model loaded from a GGUF, so the model is rebuilt from its config and the dequantized weights are
copied into it before saving. Idempotent: a folder whose stamp names the same GGUF sha256 is kept. The folder is written
next to its final name and renamed only when complete, so an interrupted run leaves no half folder behind.

Runs in the trainer's venv (torch + transformers + gguf): python to_hf.py GGUF_PATH SHA256 DEST_DIR DTYPE
Progress goes to stderr; the last stdout line is JSON {"hf_dir", "sha256", "parameters", "dtype", "seconds"}.
"""
import json
import os
import shutil
import sys
import time

STAMP = "egcfg-source.json"


def say(msg: str) -> None:
    print(f"[models] {msg}", file=sys.stderr, flush=True)


def already_done(dest: str, sha256: str, dtype: str) -> dict | None:
    try:
        with open(os.path.join(dest, STAMP), encoding="utf-8") as f:
            stamp = json.load(f)
    except (OSError, ValueError):
        return None
    if stamp.get("sha256") == sha256 and stamp.get("dtype") == dtype:
        return stamp
    return None


def convert(gguf_path: str, sha256: str, dest: str, dtype_name: str) -> dict:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype_name]
    folder, name = os.path.split(os.path.abspath(gguf_path))
    start = time.time()
    say(f"reading {name} with transformers' GGUF loader (dequantizing to {dtype_name})")
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=dtype)
    config = AutoConfig.from_pretrained(folder, gguf_file=name)
    # A fresh model of the same architecture holds no GGUF provenance, so it can be saved; the weights are copied over.
    model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    # Tied embeddings (lm_head = embed_tokens) may be absent from the state dict; anything else missing is an error.
    missing = [k for k in missing if not (k == "lm_head.weight" and getattr(config, "tie_word_embeddings", False))]
    if missing or unexpected:
        raise SystemExit(f"[models] ERROR: weights do not fit the rebuilt model: missing {missing[:5]}, unexpected {unexpected[:5]}")
    tmp = dest + ".part"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    params = sum(p.numel() for p in model.parameters())
    stamp = {"hf_dir": dest, "sha256": sha256, "source": name, "parameters": params, "dtype": dtype_name,
             "seconds": round(time.time() - start, 1)}
    with open(os.path.join(tmp, STAMP), "w", encoding="utf-8") as f:
        json.dump(stamp, f)
    shutil.rmtree(dest, ignore_errors=True)
    os.rename(tmp, dest)
    say(f"wrote {dest} ({params:,} parameters, {stamp['seconds']} s)")
    return stamp


def main() -> None:
    if len(sys.argv) != 5:
        raise SystemExit("usage: to_hf.py GGUF_PATH SHA256 DEST_DIR DTYPE")
    gguf_path, sha256, dest, dtype = sys.argv[1:]
    if dtype not in ("float32", "bfloat16", "float16"):
        raise SystemExit(f"[models] ERROR: unknown dtype {dtype!r} (float32, bfloat16 or float16)")
    if not os.path.isfile(gguf_path):
        raise SystemExit(f"[models] ERROR: {gguf_path} does not exist (pull the model first)")
    done = already_done(dest, sha256, dtype)
    if done:
        say(f"{dest} is up to date (from sha256 {sha256[:12]}…)")
        print(json.dumps(done))
        return
    print(json.dumps(convert(gguf_path, sha256, dest, dtype)))


if __name__ == "__main__":
    main()
