"""Data in: occam's CSV reader against numpy.loadtxt on the same file, and the peak memory of
a dense linear path against the size of X (issue 21). Run by bench/load.sh.

For each file: numpy.loadtxt(path, delimiter=",", skiprows=1) timed in this process, and
`occam bench load FILE` (file to bytes, bytes to table, table to the training matrix; its
own clock, so neither side pays for starting a process), alternating, REPS times each; the
median of each and the ratio occam / numpy are printed. Then `occam linear path FILE` under
/usr/bin/time -v: its maximum resident set size against the 8 * rows * features bytes of X.

The files are generated here (seeded, written with "%.17g" like bench/linear_bench.py):
200 x 10,000 (40 MB, the issue's file) and, with --big, about 1 GB. With --scaling, 200 rows
by 2,500 to 40,000 columns: seconds per million cells, which stay flat when the reader is
linear in the column count.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np

OCCAM = os.environ.get("OCCAM", "target/release/occam")


def make(path, rows, cols, seed):
    if os.path.exists(path):
        return
    rng = np.random.default_rng(seed)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(",".join([f"x{j + 1}" for j in range(cols)] + ["y"]) + "\n")
        for start in range(0, rows, 100):
            k = min(100, rows - start)
            block = np.column_stack([rng.standard_normal((k, cols)), rng.standard_normal(k)])
            np.savetxt(f, block, fmt="%.17g", delimiter=",")
    os.replace(tmp, path)


def occam_load(path):
    out = subprocess.run([OCCAM, "bench", "load", path], check=True, capture_output=True,
                         text=True).stdout
    m = re.search(r"seconds=([0-9.]+)", out)
    return float(m.group(1))


def numpy_load(path):
    t0 = time.perf_counter()
    a = np.loadtxt(path, delimiter=",", skiprows=1)
    dt = time.perf_counter() - t0
    del a
    return dt


def peak_rss(path, args):
    cmd = ["/usr/bin/time", "-v", OCCAM, "linear", "path", path, "--out", args.scratch,
           "--force", "--no-report"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr[-2000:]}")
    kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", p.stderr).group(1)
    return kb * 1024, wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--big", action="store_true", help="also the ~1 GB file (5,000 x 10,000)")
    ap.add_argument("--no-rss", action="store_true", help="skip the linear path's peak RSS")
    ap.add_argument("--scratch", default="bench/out/load_path")
    ap.add_argument("--scaling", action="store_true",
                    help="only the column-count scaling: 200 x 2,500 .. 40,000")
    args = ap.parse_args()
    os.makedirs("bench/data", exist_ok=True)
    if args.scaling:
        for k, cols in enumerate([2500, 5000, 10000, 20000, 40000]):
            path = f"bench/data/load_200x{cols}.csv"
            make(path, 200, cols, 21 if cols == 10000 else 40 + k)
            o = statistics.median([occam_load(path) for _ in range(args.reps)])
            print(f"SCALING rows=200 cols={cols} occam_s={o:.3f} "
                  f"us_per_cell={1e6 * o / (200 * cols):.3f}", flush=True)
        return
    files = [("bench/data/load_200x10000.csv", 200, 10000)]
    if args.big:
        files.append(("bench/data/load_5000x10000.csv", 5000, 10000))
    for k, (path, rows, cols) in enumerate(files):
        make(path, rows, cols, 21 + k)
        mb = os.path.getsize(path) / 1e6
        occ, npy = [], []
        reps = args.reps if rows * cols <= 2_000_000 else max(1, args.reps // 2)
        for _ in range(reps):
            occ.append(occam_load(path))
            npy.append(numpy_load(path))
        o, n = statistics.median(occ), statistics.median(npy)
        print(f"RESULT file={os.path.basename(path)} mb={mb:.0f} rows={rows} cols={cols} "
              f"occam_s={o:.3f} numpy_loadtxt_s={n:.3f} ratio={o / n:.2f} reps={reps}",
              flush=True)
        if not args.no_rss:
            rss, wall = peak_rss(path, args)
            x = 8 * rows * cols
            print(f"RSS file={os.path.basename(path)} x_mb={x / 1e6:.1f} "
                  f"peak_rss_mb={rss / 1e6:.1f} ratio={rss / x:.2f} wall={wall}", flush=True)


if __name__ == "__main__":
    main()
