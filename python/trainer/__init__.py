"""LoRA trainer for the BTP cycle (transformers + peft), driven by the TypeScript activities.

Run from the python/ folder (or with PYTHONPATH=python):
  python -m trainer.tiny_model --output DIR          # a tiny Llama-style model + tokenizer, built locally
  python -m trainer.train --base-model DIR --data FILE.jsonl --output DIR [...]
Every line printed on stdout is one JSON object; logs go to stderr.
"""
