"""Greedy continuation and next-token top-5 of a Hugging Face folder, for checking a converted model against the
server that serves its GGUF. Runs in the trainer's venv. usage: python hf_greedy.py HF_DIR N_TOKENS < prompt_ids.json
Prints one JSON line: {"greedy_ids": [...], "top5": [...], "top5_logprobs": [...]}.
"""
import json
import sys

import torch
from transformers import AutoModelForCausalLM


def main() -> None:
    hf_dir, n = sys.argv[1], int(sys.argv[2])
    ids = torch.tensor([json.load(sys.stdin)])
    model = AutoModelForCausalLM.from_pretrained(hf_dir, dtype=torch.float32)
    model.eval()
    with torch.no_grad():
        top = torch.topk(torch.log_softmax(model(ids).logits[0, -1], -1), 5)
        out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=n, do_sample=False)
    print(json.dumps({"greedy_ids": out[0, ids.shape[1]:].tolist(), "top5": top.indices.tolist(),
                      "top5_logprobs": [round(x, 4) for x in top.values.tolist()]}))


if __name__ == "__main__":
    main()
