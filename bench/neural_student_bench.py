"""What the neural student costs: install size of the `neural` extra, training throughput by model
width, sampling speed, and (where PyTorch is importable) the same network trained with PyTorch.

    .venv/bin/python bench/neural_student_bench.py [--steps 200] [--widths 64 128 256]

Training: the project's human seeds, our `NeuralLM` training step (AdamW, batch 16 x 64 tokens)
for a fixed number of steps after one warm-up evaluation (the compilation), tokens per second.
PyTorch: the same shapes (vocabulary, width, 2 layers, 4 heads, context 64, batch 16, AdamW), as
a user would write it with `torch.nn`; the ratio printed is JAX / PyTorch tokens per second, the
number the choice of library was judged by together with the installed size. Without PyTorch a
line says how to add it (`pip install torch==2.13.0` takes the CPU build where one is on disk).
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import re
import time
from pathlib import Path

import numpy as np

from synth_assets.core.neural_lm import NeuralConfig, NeuralLM, chunk, init_params
from synth_assets.core.ngram_lm import EOS, build_vocab
from synth_assets.core.texts import training_texts
from synth_assets.seeds.human_pool import human_rows

PROJECT_DATA = Path(__file__).resolve().parents[1] / "data"


def _closure(names: list[str], seen: set[str] | None = None) -> set[str]:
    """Distributions these need, recursively (extras and environment markers as this machine reads them)."""
    seen = set() if seen is None else seen
    for name in names:
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        try:
            dist = md.distribution(key)
        except md.PackageNotFoundError:
            continue
        seen.add(key)
        needs = []
        for req in dist.requires or []:
            if "extra ==" in req:
                continue
            needs.append(re.split(r"[ ;<>=!~\[(]", req, maxsplit=1)[0])
        _closure(needs, seen)
    return seen


def _megabytes(names: set[str]) -> float:
    total = 0
    for name in names:
        for f in md.distribution(name).files or []:
            path = f.locate()
            total += path.stat().st_size if path.exists() else 0
    return total / 1e6


def install_size() -> None:
    base = _closure(["synth-assets"])
    extra = _closure(["jax", "optax"]) - base
    print(f"the neural extra adds {len(extra)} distributions, {_megabytes(extra):,.0f} MB: {', '.join(sorted(extra))}")
    if "torch" in {re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower() for d in md.distributions()}:
        print(f"PyTorch here: {_megabytes(_closure(['torch']) - base):,.0f} MB with what it needs beyond the base")


def jax_training(texts: list[str], vocab: list[str], width: int, steps: int) -> float:
    from synth_assets.core.neural_lm import _trainer

    cfg = NeuralConfig(width=width, heads=max(1, width // 32), max_steps=steps)
    data = chunk([NeuralLM(vocab, cfg).ids(t) for t in texts], cfg.context, vocab.index(EOS))
    import jax

    params = jax.tree_util.tree_map(jax.numpy.asarray, init_params(0, len(vocab), cfg))
    optimizer, step = _trainer(cfg)
    state = optimizer.init(params)
    rng = np.random.default_rng(0)
    batches = [rng.integers(0, len(data.tokens), cfg.batch) for _ in range(steps + 1)]
    params, state = step(params, state, data.tokens[batches[0]], data.weights[batches[0]])  # compile
    jax.block_until_ready(params)
    started = time.perf_counter()
    for rows in batches[1:]:
        params, state = step(params, state, data.tokens[rows], data.weights[rows])
    jax.block_until_ready(params)
    return steps * cfg.batch * cfg.context / (time.perf_counter() - started)


def torch_training(vocab_size: int, width: int, steps: int) -> float | None:
    try:
        import torch
        from torch import nn
    except ImportError:
        return None
    torch.manual_seed(0)
    torch.set_num_threads(2)
    context, batch, heads = 64, 16, max(1, width // 32)

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
            self.att = nn.MultiheadAttention(width, heads, batch_first=True)
            self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

        def forward(self, x, mask):
            h = self.ln1(x)
            x = x + self.att(h, h, h, attn_mask=mask, need_weights=False)[0]
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tok, self.pos = nn.Embedding(vocab_size, width), nn.Embedding(context, width)
            self.blocks = nn.ModuleList([Block(), Block()])
            self.ln = nn.LayerNorm(width)

        def forward(self, idx):
            mask = torch.triu(torch.ones(context, context, dtype=torch.bool), 1)
            x = self.tok(idx) + self.pos(torch.arange(context))
            for b in self.blocks:
                x = b(x, mask)
            return self.ln(x) @ self.tok.weight.T

    model = GPT()
    opt = torch.optim.AdamW(model.parameters(), 3e-3, weight_decay=0.1)
    data = torch.randint(0, vocab_size, (batch * (steps + 1), context + 1))

    def step(i: int) -> None:
        rows = data[i * batch : (i + 1) * batch]
        logits = model(rows[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, vocab_size), rows[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    step(0)
    started = time.perf_counter()
    for i in range(1, steps + 1):
        step(i)
    return steps * batch * context / (time.perf_counter() - started)


def sampling(texts: list[str], vocab: list[str]) -> float:
    model = NeuralLM(vocab, NeuralConfig(max_steps=25, patience=1)).fit(texts, seed=0)
    model.sample(np.random.default_rng(0), 5)  # compile
    started, tokens = time.perf_counter(), 0
    for seed in range(40):
        tokens += len(model.sample(np.random.default_rng(seed), 64).split()) + 1
    return tokens / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--widths", type=int, nargs="+", default=[64, 128, 256])
    args = parser.parse_args()
    texts = training_texts(human_rows(PROJECT_DATA / "seeds", "bench", "human_seeds"))
    vocab = build_vocab(texts + training_texts(human_rows(PROJECT_DATA / "heldout", "bench", "heldout_human")))
    install_size()
    print(f"{len(texts)} human texts, vocabulary {len(vocab):,}; {args.steps} AdamW steps of 16 x 64 tokens, 2 cores")
    print(f"{'width':>6} {'JAX tok/s':>10} {'PyTorch tok/s':>14} {'JAX / PyTorch':>14}")
    for width in args.widths:
        jax_rate = jax_training(texts, vocab, width, args.steps)
        torch_rate = torch_training(len(vocab), width, args.steps)
        ratio = f"{jax_rate / torch_rate:14.2f}" if torch_rate else f"{'-':>14}"
        print(f"{width:>6} {jax_rate:10,.0f} {torch_rate or float('nan'):14,.0f} {ratio}")
    if torch_training(len(vocab), 8, 1) is None:
        print("PyTorch not importable here: `pip install torch==2.13.0` (the CPU build where it is on disk) to compare")
    print(f"sampling with the key/value cache: {sampling(texts, vocab):,.0f} tokens/s (one sequence at a time)")


if __name__ == "__main__":
    main()
