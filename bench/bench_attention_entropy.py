"""Does the anti-diagonal need the attention-entropy penalty? Train the attention model without it.

Trains the with-attention model of gru_viz.attention_training with the shipped
config except ``entropy = 0`` (a few CPU-minutes), then prints, side by side
with the shipped checkpoint (trained with the penalty): greedy symbol accuracy
and the mean attention weight on the mirror position, at several lengths, on
the same fresh seeded test strings.

    python bench/bench_attention_entropy.py [--steps 3000]
"""

import argparse
import dataclasses

import numpy as np

from gru_viz import attention_training as at
from gru_viz.attention import accuracy, load_manifest, load_shipped, mirror_weight, reversal_batch

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=None, help="default: the shipped model's steps")
p.add_argument("--n", type=int, default=100, help="test strings per length")
args = p.parse_args()

shipped_cfg = load_manifest()["config"]
fields = {f.name for f in dataclasses.fields(at.Config)}
cfg = at.Config(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in shipped_cfg.items() if k in fields})
cfg = dataclasses.replace(cfg, entropy=0.0, steps=args.steps or cfg.steps)
module, hist = at.train(cfg, attention=True)
models = {f"entropy {shipped_cfg['entropy']} (shipped)": load_shipped(True), "entropy 0": at.to_numpy(module, cfg.symbols)}

print(f"\n{'length':>6} | " + " | ".join(f"{name:>28}" for name in models))
print(f"{'':>6} | " + " | ".join(f"{'accuracy':>12} {'mirror weight':>15}" for _ in models))
for L in (5, 10, 15, 20, 30):
    x, y = reversal_batch(args.n, L, seed=[4242, L])
    cells = []
    for m in models.values():
        acc = accuracy(m, x, y)["symbol"]
        mirror = np.mean([mirror_weight(m.run(xi).attention) for xi in x[:20]])
        cells.append(f"{acc:>12.3f} {mirror:>15.3f}")
    print(f"{L:>6} | " + " | ".join(cells))
