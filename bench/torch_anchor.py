"""PyTorch CPU anchors for bench/train.ts and bench/score.ts: the built-in GPT and GRU architectures
(pre-norm blocks, tied embeddings, tanh GELU; embedding -> GRU -> linear), one thread, on seeded
random tokens. Prints tokens per second.

    /usr/bin/python3 bench/torch_anchor.py train|score|score-stats gpt|gru VOCAB BATCH CONTEXT WIDTH LAYERS HEADS EMBEDDING UNITS SECONDS

score: forward + log_softmax; score-stats: what codegen-eval's scorer computes per token (log-prob
of the next token, its rank among the logits, the entropy of the distribution).
"""
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)
mode, kind = sys.argv[1], sys.argv[2]
vocab, batch, ctx, d, layers, heads, emb, units = map(int, sys.argv[3:11])
seconds = float(sys.argv[11])


class Block(nn.Module):
    def __init__(s):
        super().__init__()
        s.ln1, s.qkv, s.o = nn.LayerNorm(d), nn.Linear(d, 3 * d), nn.Linear(d, d)
        s.ln2, s.w1, s.w2 = nn.LayerNorm(d), nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        s.register_buffer('mask', torch.triu(torch.full((ctx, ctx), -1e9), 1))

    def forward(s, x):
        B, T, _ = x.shape
        q, k, v = s.qkv(s.ln1(x)).split(d, 2)
        q, k, v = [t.view(B, T, heads, d // heads).transpose(1, 2) for t in (q, k, v)]
        a = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d // heads) + s.mask[:T, :T], -1)
        x = x + s.o((a @ v).transpose(1, 2).reshape(B, T, d))
        return x + s.w2(F.gelu(s.w1(s.ln2(x)), approximate='tanh'))


class GPT(nn.Module):
    def __init__(s):
        super().__init__()
        s.wte, s.wpe = nn.Embedding(vocab, d), nn.Embedding(ctx, d)
        s.blocks, s.lnf = nn.ModuleList([Block() for _ in range(layers)]), nn.LayerNorm(d)

    def forward(s, ids):
        x = s.wte(ids) + s.wpe(torch.arange(ids.shape[1]))
        for b in s.blocks:
            x = b(x)
        return s.lnf(x) @ s.wte.weight.T


class GRU(nn.Module):
    def __init__(s):
        super().__init__()
        s.emb, s.rnn, s.out = nn.Embedding(vocab, emb), nn.GRU(emb, units, layers, batch_first=True), nn.Linear(units, vocab)

    def forward(s, ids):
        return s.out(s.rnn(s.emb(ids))[0])


def tokens_per_second(fn):
    fn()  # warm-up
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds or n < 2:
        fn()
        n += 1
    return n * batch * ctx / (time.perf_counter() - t0)


model = GPT() if kind == 'gpt' else GRU()
if mode == 'train':
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    ids = torch.randint(0, vocab, (batch, ctx + 1))
    x, y = ids[:, :-1], ids[:, 1:]

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x).reshape(-1, vocab), y.reshape(-1)).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    print(tokens_per_second(step))
else:
    model.eval()
    x = torch.randint(0, vocab, (batch, ctx))
    y = torch.randint(0, vocab, (batch, ctx, 1))

    def statistics():
        logits = model(x)
        logp = torch.log_softmax(logits, -1)
        target = logits.gather(-1, y)
        return logp.gather(-1, y), (logits > target).sum(-1) + 1, -(logp.exp() * logp).sum(-1)

    with torch.no_grad():
        print(tokens_per_second(statistics if mode == 'score-stats' else lambda: torch.log_softmax(model(x), -1)))
