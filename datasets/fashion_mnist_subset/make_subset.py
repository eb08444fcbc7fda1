"""make_subset.py -- a small, class-balanced Fashion-MNIST subset in idx form for the tests.

Reads the full data set from ../shared/data/fashion-mnist (see that folder's README for its
provenance) and writes, beside this script, the first 600 training images of each class
(6,000 images) and the first 100 test images of each class (1,000 images), in file order,
as gzip-compressed idx files with the original headers' layout. Only the Python standard
library is used; rerunning it rewrites the same bytes (gzip mtime 0).

    python3 datasets/fashion_mnist_subset/make_subset.py [SHARED_DATA_DIR]
"""
import gzip
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    HERE, "..", "..", "..", "shared", "data", "fashion-mnist")


def read(name):
    with gzip.open(os.path.join(SRC, name), "rb") as f:
        return f.read()


def pick(labels, per_class):
    n = struct.unpack(">I", labels[4:8])[0]
    taken = [0] * 10
    rows = []
    for i in range(n):
        c = labels[8 + i]
        if taken[c] < per_class:
            taken[c] += 1
            rows.append(i)
    return rows


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
            f.write(data)


def subset(prefix, per_class):
    images = read(f"{prefix}-images-idx3-ubyte.gz")
    labels = read(f"{prefix}-labels-idx1-ubyte.gz")
    rows = pick(labels, per_class)
    magic, _, h, w = struct.unpack(">IIII", images[:16])
    px = h * w
    img = b"".join(images[16 + i * px:16 + (i + 1) * px] for i in rows)
    lab = bytes(labels[8 + i] for i in rows)
    write(f"{prefix}-images-idx3-ubyte.gz", struct.pack(">IIII", magic, len(rows), h, w) + img)
    write(f"{prefix}-labels-idx1-ubyte.gz", struct.pack(">II", 2049, len(rows)) + lab)
    print(prefix, len(rows), "images")


subset("train", 600)
subset("t10k", 100)
