"""LSTM and GRU training speed: occam against PyTorch on CPU (issue 21). Run by bench/rnn.sh.

For each row (cell, sequence length T, hidden H, batch B; 8 input features): PyTorch builds a
one-layer nn.LSTM / nn.GRU (batch_first) and a linear output, seeded; its initial weights and
NB batches of seeded data (X ~ N(0, 1), y a noisy sum of the last step's inputs) are written
to bench/out/rnn/<row>/ as raw float32, and `occam bench rnn DIR` starts from the same
weights and data. Both train with MSE and Adam (lr 1e-3) for WARMUP untimed steps, then
STEPS timed ones, on the same number of threads (torch.set_num_threads). The two engines
alternate, REPS runs each; the medians of steps per second and their ratio
(occam / PyTorch) are printed, with the first and last losses of one run of each as a check
that both trained the same model.
"""

import argparse
import os
import re
import statistics
import subprocess
import time

import numpy as np
import torch

OCCAM = os.environ.get("OCCAM", "target/release/occam")
FEATURES, NB, LR = 8, 4, 1e-3


class Model(torch.nn.Module):
    def __init__(self, cell, h):
        super().__init__()
        rnn = torch.nn.LSTM if cell == "lstm" else torch.nn.GRU
        self.rnn = rnn(FEATURES, h, batch_first=True)
        self.out = torch.nn.Linear(h, 1)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.out(y[:, -1, :]).squeeze(1)


def workload(cell, t, h, b, warm, steps, root):
    d = os.path.join(root, f"{cell}_T{t}_H{h}_B{b}")
    os.makedirs(d, exist_ok=True)
    torch.manual_seed(7)
    m = Model(cell, h)
    rng = np.random.default_rng(11)
    x = rng.standard_normal((NB, b, t, FEATURES)).astype(np.float32)
    y = (x[:, :, -1, :].sum(-1) / np.sqrt(FEATURES)
         + 0.1 * rng.standard_normal((NB, b))).astype(np.float32)
    x.tofile(os.path.join(d, "X.bin"))
    y.tofile(os.path.join(d, "Y.bin"))
    sd = m.state_dict()
    for k, name in [("rnn.weight_ih_l0", "weight_ih"), ("rnn.weight_hh_l0", "weight_hh"),
                    ("rnn.bias_ih_l0", "bias_ih"), ("rnn.bias_hh_l0", "bias_hh"),
                    ("out.weight", "out_W"), ("out.bias", "out_b")]:
        sd[k].numpy().astype(np.float32).tofile(os.path.join(d, f"{name}.bin"))
    with open(os.path.join(d, "meta.txt"), "w") as f:
        f.write(f"cell={cell}\nsteps_seq={t}\nfeatures={FEATURES}\nhidden={h}\nbatch={b}\n"
                f"nb={NB}\nwarmup={warm}\nsteps={steps}\nlr={LR}\n")
    return d, m.state_dict(), torch.from_numpy(x), torch.from_numpy(y)


def run_torch(cell, h, state, x, y, warm, steps):
    m = Model(cell, h)
    m.load_state_dict(state)
    opt = torch.optim.Adam(m.parameters(), lr=LR)
    lossf = torch.nn.MSELoss()
    first = loss = None
    for i in range(warm + steps):
        if i == warm:
            t0 = time.perf_counter()
        k = i % NB
        opt.zero_grad(set_to_none=True)
        loss = lossf(m(x[k]), y[k])
        loss.backward()
        opt.step()
        if first is None:
            first = loss.item()
    dt = time.perf_counter() - t0
    return steps / dt, first, loss.item()


def run_occam(d, threads):
    out = subprocess.run([OCCAM, "bench", "rnn", d, "--threads", str(threads)], check=True,
                         capture_output=True, text=True).stdout
    g = lambda k: float(re.search(rf"{k}=([0-9.eE+-]+)", out).group(1))
    return g("steps_per_s"), g("first_loss"), g("final_loss")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="two rows, 2 reps")
    ap.add_argument("--out", default="bench/out/rnn")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rows = [(c, t, h, b) for c in ["lstm", "gru"] for t in [24, 128] for h in [32, 256]
            for b in [32, 256]]
    if args.quick:
        rows, args.reps = [("lstm", 24, 32, 32), ("gru", 24, 32, 32)], 2
    print(f"torch {torch.__version__}, {args.threads} threads, {args.reps} alternating runs",
          flush=True)
    print("| cell | T | H | B | occam steps/s | PyTorch steps/s | occam / PyTorch | losses (occam; torch) |")
    print("|---|---|---|---|---|---|---|---|")
    for cell, t, h, b in rows:
        # About 2 s of PyTorch per run on this kind of machine.
        cost = t * b * h * (h + FEATURES) * (4 if cell == "lstm" else 3)
        steps = max(5, min(200, int(2e9 / cost)))
        warm = max(2, steps // 10)
        d, state, x, y = workload(cell, t, h, b, warm, steps, args.out)
        occ, tor = [], []
        for _ in range(args.reps):
            o = run_occam(d, args.threads)
            p = run_torch(cell, h, state, x, y, warm, steps)
            occ.append(o)
            tor.append(p)
        so = statistics.median(r[0] for r in occ)
        st = statistics.median(r[0] for r in tor)
        print(f"| {cell} | {t} | {h} | {b} | {so:.1f} | {st:.1f} | **{so / st:.2f}** | "
              f"{occ[0][1]:.4f} -> {occ[0][2]:.4f}; {tor[0][1]:.4f} -> {tor[0][2]:.4f} |",
              flush=True)


if __name__ == "__main__":
    main()
