#!/usr/bin/python3
"""PyTorch reference for `npm run bench:compute` (bench/compute.ts).

Builds the same CLIP as clipcl's src/clip (pre-norm ViT image tower with a
class token, causal text tower pooled at the end-of-text token, QuickGELU,
bias-free projections, symmetric InfoNCE with a learned logit scale), the same
shapes and the same Adam step, on the CPU with the same number of threads,
and prints one JSON object per measurement on stdout.

Usage: /usr/bin/python3 bench/torch_clip.py '<json options>'
  options: {"threads": 2, "gemm": [256, 512, 1024], "train": {config..., "batch": 64, "steps": 5},
            "vit": {"batch": 8, "reps": 3}}
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, width, heads, mlp):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(width, eps=1e-5)
        self.q = nn.Linear(width, width)
        self.k = nn.Linear(width, width)
        self.v = nn.Linear(width, width)
        self.o = nn.Linear(width, width)
        self.ln2 = nn.LayerNorm(width, eps=1e-5)
        self.fc1 = nn.Linear(width, mlp)
        self.fc2 = nn.Linear(mlp, width)

    def attention(self, x, mask):
        b, l, d = x.shape
        hd = d // self.heads

        def split(t):
            return t.reshape(b, l, self.heads, hd).transpose(1, 2).reshape(b * self.heads, l, hd)

        q = split(self.q(x) * (1.0 / math.sqrt(hd)))
        k = split(self.k(x))
        v = split(self.v(x))
        scores = torch.bmm(q, k.transpose(1, 2))
        if mask is not None:
            scores = scores + mask
        ctx = torch.bmm(torch.softmax(scores, dim=-1), v)
        merged = ctx.reshape(b, self.heads, l, hd).transpose(1, 2).reshape(b, l, d)
        return self.o(merged)

    def forward(self, x, mask=None):
        x = x + self.attention(self.ln1(x), mask)
        h = self.fc1(self.ln2(x))
        h = h * torch.sigmoid(1.702 * h)
        return x + self.fc2(h)


class Vision(nn.Module):
    def __init__(self, c):
        super().__init__()
        w, p = c["visionWidth"], c["patchSize"]
        self.patch, self.grid = p, c["imageSize"] // p
        self.embed = nn.Linear(3 * p * p, w, bias=False)
        self.cls = nn.Parameter(torch.randn(w) * w ** -0.5)
        self.pos = nn.Parameter(torch.randn(self.grid * self.grid + 1, w) * 0.01)
        self.ln_pre = nn.LayerNorm(w, eps=1e-5)
        self.blocks = nn.ModuleList([Block(w, c["visionHeads"], 4 * w) for _ in range(c["visionLayers"])])
        self.ln_post = nn.LayerNorm(w, eps=1e-5)
        self.proj = nn.Linear(w, c["embedDim"], bias=False)

    def forward(self, pixels):  # NHWC, as clipcl's encodeImage
        n, h, w_, ch = pixels.shape
        g, p = self.grid, self.patch
        six = pixels.reshape(n, g, p, g, p, ch).permute(0, 1, 3, 5, 2, 4).reshape(n * g * g, ch * p * p)
        x = self.embed(six).reshape(n, g * g, -1)
        x = torch.cat([self.cls.expand(n, 1, -1), x], dim=1) + self.pos
        x = self.ln_pre(x)
        for blk in self.blocks:
            x = blk(x)
        return self.proj(self.ln_post(x[:, 0, :]))


class Text(nn.Module):
    def __init__(self, c):
        super().__init__()
        w = c["textWidth"]
        self.tok = nn.Embedding(c["vocabSize"], w)
        self.pos = nn.Parameter(torch.randn(c["contextLength"], w) * 0.01)
        self.blocks = nn.ModuleList([Block(w, c["textHeads"], 4 * w) for _ in range(c["textLayers"])])
        self.ln_final = nn.LayerNorm(w, eps=1e-5)
        self.proj = nn.Linear(w, c["embedDim"], bias=False)

    def forward(self, ids):
        n, l = ids.shape
        x = self.tok(ids) + self.pos[:l]
        mask = torch.full((l, l), -1e9).triu(1)
        for blk in self.blocks:
            x = blk(x, mask)
        x = self.ln_final(x)
        return self.proj(x[torch.arange(n), ids.argmax(dim=-1)])


class Clip(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.visual = Vision(c)
        self.text = Text(c)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))


def contrastive(img, txt, scale):
    img = img / img.norm(dim=1, keepdim=True).clamp_min(1e-12)
    txt = txt / txt.norm(dim=1, keepdim=True).clamp_min(1e-12)
    logits = scale * img @ txt.t()
    labels = torch.arange(img.shape[0])
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2


def random_ids(n, length, vocab, gen):
    ids = torch.zeros(n, length, dtype=torch.long)
    for i in range(n):
        end = int(torch.randint(2, length, (1,), generator=gen))
        ids[i, 0] = vocab - 2
        ids[i, 1:end] = torch.randint(1, vocab - 2, (end - 1,), generator=gen)
        ids[i, end] = vocab - 1
    return ids


def bench_gemm(sizes):
    for n in sizes:
        a, b = torch.randn(n, n), torch.randn(n, n)
        torch.mm(a, b)
        best, reps, t0 = 1e30, 0, time.perf_counter()
        while reps < 20 or (time.perf_counter() - t0 < 1.5 and reps < 5000):
            s = time.perf_counter()
            torch.mm(a, b)
            best = min(best, time.perf_counter() - s)
            reps += 1
        print(json.dumps({"what": "gemm", "n": n, "gflops": 2 * n ** 3 / best / 1e9}), flush=True)


def bench_train(o):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    model = Clip(o)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, eps=1e-8)
    b = o["batch"]
    pixels = torch.randn(b, o["imageSize"], o["imageSize"], 3, generator=gen)
    ids = random_ids(b, o["contextLength"], o["vocabSize"], gen)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = contrastive(model.visual(pixels), model.text(ids), model.logit_scale.exp())
        loss.backward()
        opt.step()
        return float(loss)

    for _ in range(o.get("warmup", 2)):
        step()
    times = []
    for _ in range(o["steps"]):
        s = time.perf_counter()
        step()
        times.append((time.perf_counter() - s) * 1000)
    times.sort()
    print(json.dumps({"what": "train", "ms": times[len(times) // 2], "msMin": times[0], "steps": len(times)}), flush=True)


def bench_vit(o):
    c = {"imageSize": 224, "patchSize": 32, "visionWidth": 768, "visionLayers": 12, "visionHeads": 12, "embedDim": 512}
    torch.manual_seed(0)
    model = Vision(c).eval()
    pixels = torch.randn(o["batch"], 224, 224, 3)
    with torch.no_grad():
        model(pixels)
        times = []
        for _ in range(o["reps"]):
            s = time.perf_counter()
            model(pixels)
            times.append(time.perf_counter() - s)
    best = min(times)
    print(json.dumps({"what": "vit", "imagesPerSec": o["batch"] / best, "ms": best * 1000}), flush=True)


def main():
    opts = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    torch.set_num_threads(int(opts.get("threads", 2)))
    print(json.dumps({"what": "info", "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    if "gemm" in opts:
        bench_gemm(opts["gemm"])
    if "train" in opts:
        bench_train(opts["train"])
    if "vit" in opts:
        bench_vit(opts["vit"])


if __name__ == "__main__":
    main()
