"""The EG-CFG local-path inference service: a catalogue model's Hugging Face folder served with transformers on CPU.

It speaks the OpenAI-compatible subset the platform's client uses, in vLLM's shapes (GET /version, GET /v1/models,
POST /v1/completions with text or token-id prompts, top-k logprobs as `token_id:<n>`, n samples, stop strings; POST
/tokenize, POST /detokenize), plus POST /v1/egcfg/line: one guided line decoded server-side with classifier-free
guidance over the full vocabulary,

    score(w) = log P(w) + gamma * (log(Pc(w) + eps) - log(P(w) + eps))        (core/egcfg/cfg.ts, 'literal', eps 1e-8)

where P is the next-token distribution of the unconditional prompt and Pc that of the conditional one. Both
sequences advance by the chosen token; after the prompts' prefill, each guided token is one batched forward of the
two sequences (left-padded KV caches, an attention mask and explicit positions). KV caches of finished calls are kept
(a small LRU keyed by token ids) and reused when a later request extends them, so a generation's next line only feeds
its new tokens.

Started by core/models/local-infer.ts: python server.py --hf-dir DIR --port N --threads T [--lora DIR] [--name NAME].
Runs in the trainer's venv (torch, transformers, peft). Written for this project; no code from the EG-CFG authors.
"""
import argparse
import json
import math
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, DynamicCache

EPS = 1e-8
CACHE_ENTRIES = 6


class Model:
    """The model, its tokenizer and the KV-cache store; every call holds `lock` (one forward at a time)."""

    def __init__(self, hf_dir, lora_dir, name, dtype):
        self.name = name
        self.tok = AutoTokenizer.from_pretrained(hf_dir)
        self.model = AutoModelForCausalLM.from_pretrained(hf_dir, dtype=dtype)
        if lora_dir:
            from peft import PeftModel
            self.model = PeftModel.from_pretrained(self.model, lora_dir)
            self.model = self.model.merge_and_unload()
        self.model.eval()
        self.lock = threading.Lock()
        self.caches = []  # [(ids tuple, DynamicCache)], most recent last
        self.eos_ids = set(i for i in [self.tok.eos_token_id] if i is not None)
        extra = getattr(self.model.generation_config, "eos_token_id", None)
        if isinstance(extra, int):
            self.eos_ids.add(extra)
        elif isinstance(extra, list):
            self.eos_ids.update(extra)
        self.max_len = int(getattr(self.model.config, "max_position_embeddings", 8192))
        self.vocab = int(self.model.config.vocab_size)

    # ------------------------------------------------------------------------------------------------ KV caches

    def take_cache(self, ids):
        """A cache whose ids are a strict prefix of `ids` (removed from the store), or None."""
        best, best_i = None, -1
        for i, (cids, cache) in enumerate(self.caches):
            n = len(cids)
            if n < len(ids) and tuple(ids[:n]) == cids and (best is None or n > len(best[0])):
                best, best_i = (cids, cache), i
        if best is None:
            # the same ids again: crop the last token off and feed it again (its logits are needed)
            for i, (cids, cache) in enumerate(self.caches):
                if cids == tuple(ids) and len(ids) > 1:
                    cache.crop(-1)  # drop the last token (transformers refuses a positive length on some caches)
                    del self.caches[i]
                    return list(ids[:-1]), cache
            return None, None
        del self.caches[best_i]
        return list(best[0]), best[1]

    def put_cache(self, ids, cache):
        self.caches.append((tuple(ids), cache))
        while len(self.caches) > CACHE_ENTRIES:
            self.caches.pop(0)

    def prefill(self, ids, use_cache=True):
        """(next-token logprobs [V] float64, cache holding ids) for a prompt, reusing a stored cache when one fits."""
        done, cache = self.take_cache(ids) if use_cache else (None, None)
        if cache is None:
            done, cache = [], DynamicCache()
        rest = torch.tensor([ids[len(done):]])
        pos = torch.arange(len(done), len(ids)).unsqueeze(0)
        out = self.model(input_ids=rest, past_key_values=cache, position_ids=pos, use_cache=True)
        return torch.log_softmax(out.logits[0, -1].double(), -1), out.past_key_values

    def full_logprobs(self, ids):
        """Next-token logprobs from a forward over the whole sequence, no cache (the reference path)."""
        out = self.model(input_ids=torch.tensor([ids]), use_cache=False)
        return torch.log_softmax(out.logits[0, -1].double(), -1)


def merge_caches(a, b, la, lb):
    """Two single-sequence caches (lengths la, lb) as one batch of 2, the shorter left-padded with zeros."""
    length = max(la, lb)
    merged = DynamicCache()
    for layer in range(len(a.layers)):
        ks, vs = [], []
        for cache, n in ((a, la), (b, lb)):
            k, v = cache.layers[layer].keys, cache.layers[layer].values
            if n < length:
                pad = torch.zeros(k.shape[0], k.shape[1], length - n, k.shape[3], dtype=k.dtype)
                k, v = torch.cat([pad, k], 2), torch.cat([pad, v], 2)
            ks.append(k)
            vs.append(v)
        merged.update(torch.cat(ks, 0), torch.cat(vs, 0), layer)
    return merged


def split_cache(merged, row, pad):
    """Row `row` of a batched cache without its `pad` leading positions, as a single-sequence cache."""
    out = DynamicCache()
    for layer in range(len(merged.layers)):
        k, v = merged.layers[layer].keys, merged.layers[layer].values
        out.update(k[row:row + 1, :, pad:].contiguous(), v[row:row + 1, :, pad:].contiguous(), layer)
    return out


def cfg_scores(lp_u, lp_c, gamma):
    """Full-vocabulary guided scores (float64): log P + gamma * (log(Pc + eps) - log(P + eps))."""
    if gamma == 0:
        return lp_u
    log_eps = math.log(EPS)
    lu = torch.logaddexp(lp_u, torch.full_like(lp_u, log_eps))
    lc = torch.logaddexp(lp_c, torch.full_like(lp_c, log_eps))
    return lp_u + gamma * (lc - lu)


def top_pairs(lp, k):
    if k <= 0:
        return []
    v, i = torch.topk(lp, min(k, lp.shape[0]))
    return [[int(a), float(b)] for a, b in zip(i.tolist(), v.tolist())]


def piece_texts(tok, ids):
    """Each token's text, decoded incrementally so that multi-byte characters split over tokens come out whole."""
    texts, prev = [], ""
    for n in range(1, len(ids) + 1):
        cur = tok.decode(ids[:n])
        texts.append(cur[len(prev):] if cur.startswith(prev) else tok.decode(ids[n - 1:n]))
        prev = cur
    return texts


def guided_line(m, req):
    """POST /v1/egcfg/line: decode up to a newline (or EOS, max_tokens, the stop regex on the current line)."""
    uncond, cond = list(req["uncond_ids"]), list(req.get("cond_ids") or [])
    gamma = float(req.get("gamma", 0))
    max_tokens = int(req.get("max_tokens", 64))
    k = int(req.get("top_logprobs", 5))
    use_cache = bool(req.get("cache", True))
    guided = len(cond) > 0 and gamma != 0
    overflow = None
    max_tokens = max(1, min(max_tokens, m.max_len - len(uncond)))
    if guided and len(cond) + max_tokens > m.max_len:
        overflow = f"the conditional prompt ({len(cond)} tokens) + {max_tokens} new tokens exceeds the maximum context length {m.max_len}"
        guided = False
    stop_re = re.compile(req["stop_line_regex"]) if req.get("stop_line_regex") else None
    line = str(req.get("line_so_far", ""))
    tokens, out_ids = [], []
    t0 = time.perf_counter()
    with m.lock, torch.no_grad():
        if not use_cache:
            step = lambda: (m.full_logprobs(uncond + out_ids), m.full_logprobs(cond + out_ids) if guided else None)
        else:
            lp_u, cu = m.prefill(uncond)
            lp_c, cc = m.prefill(cond) if guided else (None, None)
            batch = None
        for i in range(max_tokens):
            if not use_cache:
                lp_u, lp_c = step()
            scores = cfg_scores(lp_u, lp_c, gamma) if guided else lp_u
            choice = int(torch.argmax(scores))
            ua = int(torch.argmax(lp_u))
            ca = int(torch.argmax(lp_c)) if guided else ua
            eos = choice in m.eos_ids
            entry = {"id": choice, "uncond_argmax": ua, "cond_argmax": ca, "changed": choice != ua, "eos": eos,
                     "uncond": top_pairs(lp_u, k), "cond": top_pairs(lp_c, k) if guided else None}
            if req.get("full_logprobs"):
                entry["uncond_full"] = lp_u.tolist()
                entry["cond_full"] = lp_c.tolist() if guided else None
            tokens.append(entry)
            if eos:
                break
            out_ids.append(choice)
            text = piece_texts(m.tok, out_ids)[-1]
            line = (line + text).split("\n")[-1]
            if "\n" in text or (stop_re is not None and stop_re.search(line)) or i + 1 == max_tokens:
                break
            if not use_cache:
                continue
            nu, nc = len(uncond) + len(out_ids) - 1, len(cond) + len(out_ids) - 1  # cached lengths
            if not guided:
                o = m.model(input_ids=torch.tensor([[choice]]), past_key_values=cu, position_ids=torch.tensor([[nu]]), use_cache=True)
                lp_u, cu = torch.log_softmax(o.logits[0, -1].double(), -1), o.past_key_values
                continue
            if batch is None:
                length = max(nu, nc)
                pads = (length - nu, length - nc)
                batch = merge_caches(cu, cc, nu, nc)
                mask = torch.ones(2, length, dtype=torch.long)
                mask[0, :pads[0]] = 0
                mask[1, :pads[1]] = 0
            mask = torch.cat([mask, torch.ones(2, 1, dtype=torch.long)], 1)
            o = m.model(input_ids=torch.tensor([[choice], [choice]]), past_key_values=batch, attention_mask=mask,
                        position_ids=torch.tensor([[nu], [nc]]), use_cache=True)
            batch = o.past_key_values
            lp = torch.log_softmax(o.logits[:, -1].double(), -1)
            lp_u, lp_c = lp[0], lp[1]
        if use_cache:
            kept = [t["id"] for t in tokens if not t["eos"]]
            # the caches hold every kept token but the last one, which was never fed (unless EOS came after it)
            fed = kept if tokens and tokens[-1]["eos"] else kept[:-1]
            if batch is not None:
                cu, cc = split_cache(batch, 0, pads[0]), split_cache(batch, 1, pads[1])
            m.put_cache(uncond + fed, cu)
            if guided:
                m.put_cache(cond + fed, cc)
    texts = piece_texts(m.tok, [t["id"] for t in tokens if not t["eos"]])
    for t, text in zip([t for t in tokens if not t["eos"]], texts):
        t["text"] = text
    for t in tokens:
        if t["eos"]:
            t["text"] = m.tok.decode([t["id"]])
    reply = {"tokens": tokens, "guided": guided, "seconds": time.perf_counter() - t0}
    if overflow is not None:
        reply["context_overflow"] = overflow
    return reply


def sample_rows(lp, temperature, top_p, gen):
    """One token per row of lp [n, V]: argmax at temperature 0, else nucleus sampling at the temperature."""
    if temperature == 0:
        return torch.argmax(lp, -1).tolist()
    probs = torch.softmax(lp / temperature, -1)
    sp, si = torch.sort(probs, descending=True, dim=-1)
    sp = sp * ((torch.cumsum(sp, -1) - sp) < top_p)
    pick = torch.multinomial(sp / sp.sum(-1, keepdim=True), 1, generator=gen)
    return si.gather(-1, pick).squeeze(-1).tolist()


def completions(m, req, emit=None):
    """POST /v1/completions (vLLM shapes): greedy or sampled, n choices decoded as one batch (the prompt's prefill
    shared), stop strings, top-k logprobs. `emit(index, piece)` receives each choice's text as it grows (streaming);
    it returns False once the client has gone away, which ends the request."""
    prompt = req["prompt"]
    ids = m.tok.encode(prompt, add_special_tokens=bool(req.get("add_special_tokens", False))) if isinstance(prompt, str) else list(prompt)
    max_tokens = int(req.get("max_tokens") or 16)
    temperature, top_p, n = float(req.get("temperature", 1.0)), float(req.get("top_p", 1.0)), int(req.get("n", 1))
    stops = req.get("stop") or []
    stops = [stops] if isinstance(stops, str) else list(stops)
    k = req.get("logprobs")
    as_ids = bool(req.get("return_tokens_as_token_ids"))
    gen = torch.Generator().manual_seed(int(req["seed"])) if req.get("seed") is not None else None
    key = lambda a: f"token_id:{a}" if as_ids else m.tok.decode([a])
    rows = [{"out": [], "lps": [], "tops": [], "text": "", "finish": "length", "done": False} for _ in range(n)]
    gone = False
    with m.lock, torch.no_grad():
        lp1, cache = m.prefill(ids, use_cache=False)
        lp = lp1.unsqueeze(0).expand(n, -1)
        if n > 1:
            expanded = DynamicCache()
            for layer in range(len(cache.layers)):
                expanded.update(cache.layers[layer].keys.repeat(n, 1, 1, 1), cache.layers[layer].values.repeat(n, 1, 1, 1), layer)
            cache = expanded
        for step in range(max_tokens):
            picks = sample_rows(lp, temperature, top_p, gen)
            for i, (r, choice) in enumerate(zip(rows, picks)):
                if r["done"]:
                    continue
                if choice in m.eos_ids:
                    r["finish"], r["done"] = "stop", True
                    continue
                r["out"].append(choice)
                r["lps"].append(float(lp[i, choice]))
                if k is not None:
                    r["tops"].append({key(a): b for a, b in top_pairs(lp[i], int(k))})
                prev, r["text"] = r["text"], m.tok.decode(r["out"])
                hit = min((r["text"].find(x) for x in stops if x and x in r["text"]), default=-1)
                if hit >= 0:
                    r["text"], r["finish"], r["done"] = r["text"][:hit], "stop", True
                if emit is not None and r["text"].startswith(prev) and len(r["text"]) > len(prev) and not emit(i, r["text"][len(prev):]):
                    gone = True
            if gone or all(r["done"] for r in rows) or step + 1 == max_tokens:
                break
            pos = len(ids) + step
            o = m.model(input_ids=torch.tensor([[p] for p in picks]), past_key_values=cache,
                        position_ids=torch.full((n, 1), pos), use_cache=True)
            lp, cache = torch.log_softmax(o.logits[:, -1].double(), -1), o.past_key_values
    choices = []
    for i, r in enumerate(rows):
        c = {"index": i, "text": r["text"], "finish_reason": "client_gone" if gone else r["finish"], "stop_reason": None}
        if k is not None:
            c["logprobs"] = {"tokens": [key(t) for t in r["out"]], "token_logprobs": r["lps"], "top_logprobs": r["tops"],
                             "text_offset": [0] * len(r["out"])}
        choices.append(c)
    completion_tokens = sum(len(r["out"]) for r in rows)
    return {"id": f"cmpl-{time.time_ns()}", "object": "text_completion", "created": int(time.time()), "model": m.name,
            "choices": choices, "usage": {"prompt_tokens": len(ids) * n, "completion_tokens": completion_tokens,
                                          "total_tokens": len(ids) * n + completion_tokens}}


def make_handler(m):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # one line per request on stderr (the service's log file)
            sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % args))

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def stream(self, req):
            """Server-sent events as OpenAI's streaming completions; the connection closes at the end."""
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("connection", "close")
            self.end_headers()
            self.close_connection = True

            def send(obj):
                try:
                    self.wfile.write(b"data: " + (obj if isinstance(obj, bytes) else json.dumps(obj).encode()) + b"\n\n")
                    self.wfile.flush()
                    return True
                except (BrokenPipeError, ConnectionResetError):
                    return False

            r = completions(m, req, lambda i, piece: send({"choices": [{"index": i, "text": piece, "finish_reason": None}]}))
            for ch in r["choices"]:
                if ch["finish_reason"] != "client_gone":
                    send({"choices": [{"index": ch["index"], "text": "", "finish_reason": ch["finish_reason"]}]})
            send({"choices": [], "usage": r["usage"]})
            send(b"[DONE]")

        def do_GET(self):
            if self.path == "/health":
                return self.reply(200, {"status": "ok"})
            if self.path == "/version":
                return self.reply(200, {"version": "egcfg-local-infer 1"})
            if self.path == "/v1/models":
                return self.reply(200, {"object": "list", "data": [
                    {"id": m.name, "object": "model", "owned_by": "egcfg-local-infer", "max_model_len": m.max_len}]})
            if self.path == "/tokenize":
                return self.reply(405, {"error": "POST only"})
            return self.reply(404, {"error": f"no route {self.path}"})

        def do_POST(self):
            try:
                req = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
            except ValueError as e:
                return self.reply(400, {"error": {"message": f"bad JSON: {e}"}})
            try:
                if self.path == "/tokenize" and "messages" in req:
                    # vLLM's /tokenize with messages: the model's chat template applied, the assistant turn opened
                    # (EG-CFG --prompt-format chat renders each problem's two sides this way).
                    if not getattr(m.tok, "chat_template", None):
                        return self.reply(400, {"error": {"message": "this model's tokenizer has no chat template"}})
                    text = m.tok.apply_chat_template(req["messages"], tokenize=False,
                                                     add_generation_prompt=bool(req.get("add_generation_prompt", True)))
                    ids = m.tok.encode(text, add_special_tokens=False)
                    return self.reply(200, {"tokens": ids, "count": len(ids), "max_model_len": m.max_len})
                if self.path == "/tokenize":
                    ids = m.tok.encode(req["prompt"], add_special_tokens=bool(req.get("add_special_tokens", False)))
                    return self.reply(200, {"tokens": ids, "count": len(ids), "max_model_len": m.max_len})
                if self.path == "/detokenize":
                    return self.reply(200, {"prompt": m.tok.decode(req["tokens"])})
                if self.path == "/v1/completions" and req.get("stream"):
                    return self.stream(req)
                if self.path == "/v1/completions":
                    return self.reply(200, completions(m, req))
                if self.path == "/v1/egcfg/line":
                    return self.reply(200, guided_line(m, req))
                return self.reply(404, {"error": f"no route {self.path}"})
            except (KeyError, TypeError, ValueError, re.error) as e:
                return self.reply(400, {"error": {"message": f"{type(e).__name__}: {e}"}})

    return Handler


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--hf-dir", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--lora")
    p.add_argument("--name", default="local")
    p.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    m = Model(a.hf_dir, a.lora, a.name, getattr(torch, a.dtype))
    server = ThreadingHTTPServer(("127.0.0.1", a.port), make_handler(m))
    sys.stderr.write(f"local-infer: {a.name} from {a.hf_dir} on 127.0.0.1:{a.port}, {a.threads} threads\n")
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
