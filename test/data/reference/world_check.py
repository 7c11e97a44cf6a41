"""Sanity check of the synthetic world's protocol with a tiny CLIP in PyTorch.

Not part of the test suite (the project runs on tfjs); it answers one design
question for the quickstart: after contrastive pretraining on `pretrain`, is
zero-shot accuracy on the held-out concepts clearly above chance, is the
target task (shapes on an unseen background) poorly covered, and does
fine-tuning on the target erode zero-shot and retrieval?

    node --import tsx test/data/reference/dump-world.ts DIR
    python3 test/data/reference/world_check.py DIR [pretrain_epochs] [finetune_epochs] [alpha]

(dump with pixelNoise 0 and set ADD_NOISE=8 to ship small files to another machine;
FT_LR sets the learning rate of the target sessions, default 1e-4;
METHODS=FT runs fine-tuning alone)
"""
import gzip, json, math, os, re, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(2)
root = sys.argv[1]
pre_epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
ft_epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
noise = int(os.environ.get("ADD_NOISE", "0"))
rng = np.random.default_rng(0)

def load(name):
    meta = json.load(open(os.path.join(root, name + ".json")))
    raw = np.frombuffer(gzip.open(os.path.join(root, name + ".u8.gz")).read(), dtype=np.uint8)
    x = raw.reshape(meta["size"], meta["height"], meta["width"], 3).astype(np.int16)
    if noise > 0:  # images dumped clean: add the world's pixel noise back (uniform, +-noise levels)
        x = x + rng.integers(-noise, noise, size=x.shape)
    return torch.from_numpy(np.clip(x, 0, 255).astype(np.uint8)), meta

def prep(x):
    return (x.to(dev).permute(0, 3, 1, 2).float() / 255.0 - 0.45) / 0.25

words = lambda s: re.sub(r"[.,]", " ", s.lower()).split()
dev = "cuda" if torch.cuda.is_available() else "cpu"
data = {n: load(n) for n in ["pretrain", "retrieval", "target-train", "target-test", "zero-shot"]}
zx, zm = data.pop("zero-shot")
for name, t in zm["tasks"].items():
    data["zs-" + name] = (zx, t)
vocab = {"<pad>": 0}
def add(s):
    for w in words(s):
        vocab.setdefault(w, len(vocab))
for n, (_, m) in data.items():
    for caps in m.get("captions", []):
        for c in caps: add(c)
    for c in m.get("classNames", []):
        for t in m["templates"]: add(t.replace("{}", c))
L = 24
def tok(texts):
    out = torch.zeros(len(texts), L, dtype=torch.long)
    for i, s in enumerate(texts):
        ids = [vocab[w] for w in words(s)][:L]
        out[i, :len(ids)] = torch.tensor(ids)
    return out.to(dev)

D = 128
class Img(nn.Module):
    def __init__(s):
        super().__init__()
        s.c = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        s.f = nn.Linear(64 * 16, D)
    def forward(s, x): return s.f(s.c(x).flatten(1))
class Txt(nn.Module):
    def __init__(s):
        super().__init__()
        s.e = nn.Embedding(len(vocab), D)
        s.p = nn.Parameter(torch.zeros(L, D))
        s.t = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, 4, 256, 0.0, batch_first=True), 1, enable_nested_tensor=False)
        s.o = nn.Linear(D, D)
    def forward(s, ids):
        mask = ids == 0
        h = s.t(s.e(ids) + s.p, src_key_padding_mask=mask)
        keep = (~mask).float().unsqueeze(-1)
        return s.o((h * keep).sum(1) / keep.sum(1).clamp(min=1))
img, txt = Img().to(dev), Txt().to(dev)
scale = nn.Parameter(torch.tensor(math.log(1 / 0.07), device=dev))

def enc_img(x, bs=1000):
    return torch.cat([F.normalize(img(prep(x[i:i + bs])), dim=-1) for i in range(0, len(x), bs)])
def class_emb(meta):
    embs = []
    for c in meta["classNames"]:
        e = F.normalize(txt(tok([t.replace("{}", c) for t in meta["templates"]])), dim=-1).mean(0)
        embs.append(F.normalize(e, dim=0))
    return torch.stack(embs)

@torch.no_grad()
def evaluate(tag, seen=None):
    img.eval(); txt.eval()
    row = {}
    if seen is not None:  # accuracy on the seen classes' test images over the seen classes' prompts only
        x, m = data["target-test"]
        lab = torch.tensor(m["labels"])
        keep = torch.tensor([int(l) in seen for l in lab])
        sm = {"classNames": [m["classNames"][c] for c in seen], "templates": m["templates"]}
        pred = (enc_img(x[keep]) @ class_emb(sm).T).argmax(1).cpu()
        row["target-seen"] = (torch.tensor(seen)[pred] == lab[keep]).float().mean().item()
    for n in ["target-test", "zs-colour", "zs-size", "zs-position", "zs-background", "zs-shape"]:
        x, m = data[n]
        pred = (enc_img(x) @ class_emb(m).T).argmax(1)
        row[n] = (pred.cpu() == torch.tensor(m["labels"])).float().mean().item()
    x, m = data["retrieval"]
    ie = enc_img(x)
    caps = [c for cs in m["captions"] for c in cs]
    owner = torch.tensor([i for i, cs in enumerate(m["captions"]) for _ in cs])
    te = torch.cat([F.normalize(txt(tok(caps[i:i + 1000])), dim=-1) for i in range(0, len(caps), 1000)])
    sim = ie @ te.T
    sim = sim.cpu()
    row["i2t_R1"] = (owner[sim.argmax(1)] == torch.arange(len(ie))).float().mean().item()
    row["t2i_R1"] = (sim.argmax(0) == owner).float().mean().item()
    print(tag, json.dumps({k: round(v, 3) for k, v in row.items()}), flush=True)
    img.train(); txt.train()
    return row

x, m = data["pretrain"]
caps = m["captions"]
opt = torch.optim.Adam(list(img.parameters()) + list(txt.parameters()) + [scale], lr=1e-3)
g = torch.Generator().manual_seed(0)
t0 = time.time()
for ep in range(pre_epochs):
    perm = torch.randperm(len(x), generator=g)
    for b in range(0, len(x) - 255, 256):
        idx = perm[b:b + 256]
        texts = [caps[i][int(torch.randint(len(caps[i]), (1,), generator=g))] for i in idx.tolist()]
        ie = F.normalize(img(prep(x[idx])), dim=-1)
        te = F.normalize(txt(tok(texts)), dim=-1)
        logits = scale.clamp(max=math.log(100)).exp() * ie @ te.T
        lab = torch.arange(len(idx), device=dev)
        loss = (F.cross_entropy(logits, lab) + F.cross_entropy(logits.T, lab)) / 2
        opt.zero_grad(); loss.backward(); opt.step()
    print(f"pretrain epoch {ep + 1}: loss {loss.item():.3f} ({time.time() - t0:.0f} s)", flush=True)
before = evaluate("pretrained")

import copy
pre_state = (copy.deepcopy(img.state_dict()), copy.deepcopy(txt.state_dict()))
x, m = data["target-train"]
y = torch.tensor(m["labels"], device=dev)
# Target classes in sessions of two shapes (4 x 2), as in the replication study.
sessions = [list(range(k, k + 2)) for k in range(0, len(m["classNames"]), 2)]
methods = [("FT", 0.0), ("VR-LwF", float(sys.argv[4]) if len(sys.argv) > 4 else 0.5)]
for method, alpha in [mm for mm in methods if mm[0] in os.environ.get("METHODS", "FT,VR-LwF").split(",")]:
    img.load_state_dict(pre_state[0]); txt.load_state_dict(pre_state[1])
    opt = torch.optim.Adam(list(img.parameters()) + list(txt.parameters()), lr=float(os.environ.get("FT_LR", "1e-4")))
    s_exp = scale.detach().clamp(max=math.log(100)).exp()
    for si, cls in enumerate(sessions):
        seen = [c for ss in sessions[:si + 1] for c in ss]
        sub = torch.tensor([i for i in range(len(x)) if int(y[i]) in cls])
        remap = {c: k for k, c in enumerate(seen)}
        seen_meta = {"classNames": [m["classNames"][c] for c in seen], "templates": m["templates"]}
        # Multi-session VR-LwF distils from the previous session's model.
        teacher_img, teacher_txt = copy.deepcopy(img).eval(), copy.deepcopy(txt).eval()
        for ep in range(ft_epochs):
            perm = sub[torch.randperm(len(sub), generator=g)]
            for b in range(0, len(perm), 100):
                idx = perm[b:b + 100]
                fi = F.normalize(img(prep(x[idx])), dim=-1)
                logits = s_exp * fi @ class_emb(seen_meta).T
                target = torch.tensor([remap[int(c)] for c in y[idx]], device=dev)
                loss = F.cross_entropy(logits, target)
                if alpha > 0:
                    pseudo = torch.zeros(100, L, dtype=torch.long)
                    pseudo[:, :8] = torch.randint(1, len(vocab), (100, 8), generator=g)
                    pseudo = pseudo.to(dev)
                    with torch.no_grad():
                        tl = s_exp * F.normalize(teacher_img(prep(x[idx])), dim=-1) @ F.normalize(teacher_txt(pseudo), dim=-1).T
                    sl = s_exp * fi @ F.normalize(txt(pseudo), dim=-1).T
                    loss = loss + alpha * F.kl_div(F.log_softmax(sl, -1), F.log_softmax(tl, -1), log_target=True, reduction="batchmean")
                opt.zero_grad(); loss.backward(); opt.step()
        evaluate(f"{method} after session {si + 1}", seen)
