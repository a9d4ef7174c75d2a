"""Helpers shared by the trainer's entry points: offline mode, JSON-line events, data locations."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

# No downloads of any kind: every model and tokenizer is read from a local folder.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def emit(event: str, **fields: Any) -> None:
    """Prints one JSON line on stdout and flushes, so a supervising process sees it at once."""
    sys.stdout.write(json.dumps({"event": event, **fields}, allow_nan=False, default=str) + "\n")
    sys.stdout.flush()


def log(msg: str) -> None:
    sys.stderr.write(f"[trainer] {msg}\n")
    sys.stderr.flush()


def find_mbpp(explicit: str | None = None) -> Path:
    """Locates mbpp.jsonl.gz: --mbpp, $EGCFG_MBPP, else the project's own copy <repo>/data/mbpp.jsonl.gz."""
    repo = Path(__file__).resolve().parents[2]
    candidates = [explicit, os.environ.get("EGCFG_MBPP"), str(repo / "data" / "mbpp.jsonl.gz")]
    tried = []
    for c in candidates:
        if not c:
            continue
        tried.append(c)
        if Path(c).is_file():
            return Path(c)
    raise FileNotFoundError("mbpp.jsonl.gz not found; tried: " + ", ".join(tried) + " (pass --mbpp PATH or set EGCFG_MBPP)")


def quiet_transformers() -> None:
    """Progress bars and info logs off: stdout is reserved for JSON lines, stderr for warnings and errors."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except Exception:  # noqa: BLE001 - cosmetic only
        pass
