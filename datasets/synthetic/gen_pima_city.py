"""Pima with a categorical column and missing cells, for the tests of raw-row prediction.

Reads ../pima_indians_diabetes.csv and writes pima_city.csv: a first column `city` (one of
oslo, lima, rome, kyiv by row number; empty, i.e. missing, on every 13th row), glucose
emptied on every 7th row (from the 4th) and mass set to NA on every 11th row (from the 6th).
The other cells are Pima's, unchanged. The cities carry no information: they only exercise
one-hot encoding, unseen categories and imputation at prediction time.

    python3 datasets/synthetic/gen_pima_city.py    # standard library; same bytes every run
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CITIES = ["oslo", "lima", "rome", "kyiv"]

with open(os.path.join(HERE, "..", "pima_indians_diabetes.csv")) as f:
    lines = f.read().splitlines()
out = []
for i, line in enumerate(lines):
    cells = line.split(",")
    if i == 0:
        cells.insert(0, "city")
    else:
        k = i - 1
        if k % 7 == 3:
            cells[1] = ""
        if k % 11 == 5:
            cells[5] = "NA"
        cells.insert(0, "" if k % 13 == 0 else CITIES[(k * 7) % 4])
    out.append(",".join(cells))
with open(os.path.join(HERE, "pima_city.csv"), "w", newline="") as f:
    f.write("\n".join(out) + "\n")
