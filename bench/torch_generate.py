"""PyTorch CPU anchor for bench/generate.ts: greedy generation with a KV cache by the built-in GPT
architecture (pre-norm blocks, tied embeddings, tanh GELU), seeded random weights and prompts.
The prompt is run once, then each step feeds the new token and the cached keys and values, as
codegen-eval's engine does. Prints generated tokens per second (best of `rounds` runs).

    /usr/bin/python3 bench/torch_generate.py VOCAB WIDTH LAYERS HEADS CONTEXT PROMPT NEW BATCH THREADS SECONDS
"""
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

vocab, d, layers, heads, ctx, prompt, new, batch, threads = map(int, sys.argv[1:10])
seconds = float(sys.argv[10])
torch.set_num_threads(threads)
torch.manual_seed(0)
hd = d // heads


class Block(nn.Module):
    def __init__(s):
        super().__init__()
        s.ln1, s.qkv, s.o = nn.LayerNorm(d), nn.Linear(d, 3 * d), nn.Linear(d, d)
        s.ln2, s.w1, s.w2 = nn.LayerNorm(d), nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(s, x, past):
        B, T, _ = x.shape
        q, k, v = s.qkv(s.ln1(x)).split(d, 2)
        q, k, v = [t.view(B, T, heads, hd).transpose(1, 2) for t in (q, k, v)]
        if past is not None:
            k, v = torch.cat([past[0], k], 2), torch.cat([past[1], v], 2)
        att = q @ k.transpose(-2, -1) / math.sqrt(hd)
        if T > 1:
            P = k.shape[2] - T
            att = att + torch.triu(torch.full((T, P + T), float('-inf')), P + 1)
        y = (torch.softmax(att, -1) @ v).transpose(1, 2).reshape(B, T, d)
        x = x + s.o(y)
        return x + s.w2(F.gelu(s.w1(s.ln2(x)), approximate='tanh')), (k, v)


class GPT(nn.Module):
    def __init__(s):
        super().__init__()
        s.wte, s.wpe = nn.Embedding(vocab, d), nn.Embedding(ctx, d)
        s.blocks, s.lnf = nn.ModuleList([Block() for _ in range(layers)]), nn.LayerNorm(d)

    def forward(s, ids, start, pasts):
        x = s.wte(ids) + s.wpe(torch.arange(start, start + ids.shape[1]))
        presents = []
        for b, p in zip(s.blocks, pasts):
            x, kv = b(x, p)
            presents.append(kv)
        return s.lnf(x[:, -1:]) @ s.wte.weight.T, presents


model = GPT().eval()
ids = torch.randint(0, vocab, (batch, prompt))


def generate():
    logits, pasts = model(ids, 0, [None] * layers)
    out = []
    for step in range(new):
        nxt = logits[:, -1].argmax(-1, keepdim=True)
        out.append(nxt)
        if step + 1 < new:
            logits, pasts = model(nxt, prompt + step, pasts)
    return torch.cat(out, 1)


with torch.inference_mode():
    generate()
    best, t_end = float('inf'), time.perf_counter() + seconds
    while time.perf_counter() < t_end or best == float('inf'):
        t0 = time.perf_counter()
        generate()
        best = min(best, time.perf_counter() - t0)
print(batch * new / best)
