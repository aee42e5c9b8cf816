"""
An independent computation of complexity.perplexity and complexity.ifd on the tiny causal LM of
test/helpers/tinyCausalLm.ts: the same weights evaluated by a naive float64 numpy forward pass (no
onnxruntime, no transformers.js), the tokenizer replaced by its definition (BOS 256, then the UTF-8
bytes), and IFD transcribed from the reference code, tianyi-lab/Cherry_LLM
cherry_seletion/data_analysis.py (--mod cherry) and data_by_IFD.py.

stdin: {"weights": {...}, "samples": [{"prompt", "response"}], "runs": [{"kind", ...}]}
stdout: {"runs": [[{"value", "details"} or {"skipped": reason}, ...], ...]}
"""
import json
import sys

import numpy as np

PROMPT_NO_INPUT = (
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Response:"
)


def encode(text):
    return [256] + list(text.encode("utf-8"))


class Model:
    def __init__(self, w):
        shape = w["shape"]
        self.d = shape["hidden"]
        vocab = 257
        self.wte = np.array(w["tokenEmbeddings"], dtype=np.float64).reshape(vocab, self.d)
        self.wpe = np.array(w["positionEmbeddings"], dtype=np.float64).reshape(shape["positions"], self.d)
        self.layers = [
            {k: np.array(layer[k], dtype=np.float64).reshape(self.d, self.d) for k in ("wq", "wk", "wv", "wo")}
            for layer in w["layers"]
        ]
        self.head = np.array(w["lmHead"], dtype=np.float64).reshape(self.d, vocab)
        self.bias = np.array(w["lmBias"], dtype=np.float64)

    def token_losses(self, ids):
        """losses[i-1] = -log p(ids[i] | ids[:i]) for i in 1..n-1 (the reference's loop)."""
        n = len(ids)
        x = self.wte[ids] + self.wpe[np.arange(n)]
        causal = np.triu(np.ones((n, n)), k=1).astype(bool)
        for layer in self.layers:
            q, k, v = x @ layer["wq"], x @ layer["wk"], x @ layer["wv"]
            scores = (q @ k.T) / np.sqrt(self.d)
            scores[causal] = -np.inf
            scores -= scores.max(axis=1, keepdims=True)
            p = np.exp(scores)
            p /= p.sum(axis=1, keepdims=True)
            x = x + (p @ v) @ layer["wo"]
        logits = x @ self.head + self.bias
        top = logits.max(axis=1, keepdims=True)
        log_probs = logits - (np.log(np.exp(logits - top).sum(axis=1, keepdims=True)) + top)
        return [-log_probs[i - 1, ids[i]] for i in range(1, n)]


def perplexity(model, sample, run):
    text = sample["response"]
    if run["field"] == "prompt+response":
        p, r = sample["prompt"], sample["response"]
        text = r if p == "" else p if r == "" else p + "\n" + r
    if text == "":
        return {"skipped": "empty"}
    ids = encode(text)[: run["max_length"]]
    if len(ids) < 2:
        return {"skipped": "single_token"}
    loss = float(np.mean(model.token_losses(ids)))
    return {"value": float(np.exp(loss)), "details": {"loss": loss, "tokens": len(ids)}}


def ifd(model, sample, run):
    max_length = run["max_length"]
    instruct_i, output_i = sample["prompt"], sample["response"]
    direct_answer_text = "### Response:" + output_i
    if run["template"] == "wiz":
        whole_text = instruct_i + "\n\n### Response:" + output_i
    else:
        promt_to_use = PROMPT_NO_INPUT.format_map({"instruction": instruct_i})
        whole_text = promt_to_use + output_i
        instruct_i = promt_to_use

    instruct_i_len = len(encode(instruct_i)[:max_length])

    def get_loss_part_text(text, target_span, max_length):
        input_ids = encode(text)[:max_length]
        start_index = text.rfind(target_span)
        start_token = len(encode(text[:start_index]))
        end_token_real = len(input_ids)
        if end_token_real - start_token <= 0:
            return end_token_real - start_token, None
        loss_list_ = model.token_losses(input_ids)
        loss_list = loss_list_[start_token - 1 : end_token_real - 1]
        return end_token_real - start_token, np.array(loss_list)

    if not (max_length - instruct_i_len > 0):
        return {"skipped": "prompt_too_long"}
    len_1, loss_list_1 = get_loss_part_text(direct_answer_text, output_i, max_length - instruct_i_len + 4)
    len_2, loss_list_2 = get_loss_part_text(whole_text, output_i, max_length)
    if len_1 <= 0 or len_2 <= 0:
        return {"skipped": "empty_response" if output_i == "" else "no_answer_tokens"}
    if instruct_i_len + len_1 > max_length:
        return {"skipped": "too_long"}
    mean_1 = float(loss_list_1.mean())
    mean_2 = float(loss_list_2.mean())
    return {
        "value": mean_2 / mean_1,
        "details": {"lossConditioned": mean_2, "lossAlone": mean_1, "responseTokens": len_2, "aloneTokens": len_1},
    }


def main():
    given = json.load(sys.stdin)
    model = Model(given["weights"])
    out = []
    for run in given["runs"]:
        fn = ifd if run["kind"] == "ifd" else perplexity
        out.append([fn(model, sample, run) for sample in given["samples"]])
    json.dump({"runs": out}, sys.stdout)


main()
