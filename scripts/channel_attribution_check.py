#!/usr/bin/env python3
"""Compares Baton's attribution with the ChannelAttribution package (pip install ChannelAttribution).

1. On tests/fixtures/attribution/paths.csv: heuristic_models (first, last, linear) must equal
   expected.json (which tests/attribution.rs checks Baton against); markov_model (simulated) must
   land within a few percent of the exact removal-effect credits.
2. Times heuristic_models and markov_model on 1M random paths (mean 8 touches, 12 channels,
   6% converting), the same shape as Baton's `attribution` benchmark.
"""
import json, random, sys, time
from collections import Counter
import pandas as pd
from ChannelAttribution import heuristic_models, markov_model

fx = "tests/fixtures/attribution"
paths = pd.read_csv(f"{fx}/paths.csv")
expected = json.load(open(f"{fx}/expected.json"))
agg = Counter()
for p, c in zip(paths["path"], paths["converted"]):
    agg[(p.replace(">", " > "), c)] += 1
rows = {}
for (p, c), n in agg.items():
    r = rows.setdefault(p, [0, 0])
    r[0 if c else 1] += n
df = pd.DataFrame([(p, a, b) for p, (a, b) in rows.items()], columns=["path", "conv", "null"])
h = heuristic_models(df, "path", "conv", flg_pro=False)
ok = True
for model, col in [("first_touch", "first_touch"), ("last_touch", "last_touch"), ("linear", "linear_touch")]:
    for ch, v in zip(h["channel_name"], h[col]):
        if abs(v - expected[model][ch]) > 1e-9:
            ok = False
            print(f"MISMATCH {model} {ch}: ChannelAttribution {v} vs expected {expected[model][ch]}")
m = markov_model(df, "path", "conv", var_null="null", order=1, verbose=False, seed=1, flg_pro=False)
worst = max(abs(v - expected["markov"][ch]) / expected["markov"][ch] for ch, v in zip(m["channel_name"], m["total_conversions"]))
print(f"first/last/linear equal ChannelAttribution: {ok}; markov_model (simulated) within {worst:.1%} of the exact credits")

random.seed(1)
agg = Counter()
for _ in range(1_000_000):
    n = random.randint(1, 15)
    p = " > ".join(f"channel_{random.randrange(12):02}" for _ in range(n))
    agg[(p, random.random() < 0.06)] += 1
rows = {}
for (p, c), k in agg.items():
    r = rows.setdefault(p, [0, 0])
    r[0 if c else 1] += k
big = pd.DataFrame([(p, a, b) for p, (a, b) in rows.items()], columns=["path", "conv", "null"])
t = time.perf_counter(); heuristic_models(big, "path", "conv", flg_pro=False); th = time.perf_counter() - t
t = time.perf_counter(); markov_model(big, "path", "conv", var_null="null", order=1, verbose=False, flg_pro=False); tm = time.perf_counter() - t
print(f"1M paths ({len(big)} distinct): heuristic_models {th:.2f} s, markov_model {tm:.2f} s")
sys.exit(0 if ok else 1)
