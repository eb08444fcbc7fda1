"""PyTorch side of bench/cnn.sh: one epoch of the same CNN as
`occam train --model cnn --conv 32:3:2,64:3:2 --hidden 128` on Fashion-MNIST (54,000 training
images, batch 64, Adam lr 2e-3, 2 threads), then the test accuracy. Prints a RESULT line.
usage: cnn_torch.py FASHION_DIR"""
import gzip, os, sys, time
import numpy as np
import torch

torch.set_num_threads(2)
torch.set_flush_denormal(True)
d = sys.argv[1]


def idx(name):
    with gzip.open(os.path.join(d, name)) as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


x = torch.from_numpy(idx("train-images-idx3-ubyte.gz").astype(np.float32) / 255.0).unsqueeze(1)
y = torch.from_numpy(idx("train-labels-idx1-ubyte.gz").astype(np.int64))
xt = torch.from_numpy(idx("t10k-images-idx3-ubyte.gz").astype(np.float32) / 255.0).unsqueeze(1)
yt = torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))
torch.manual_seed(0)
perm = torch.randperm(60000)
tr = perm[:54000]
model = torch.nn.Sequential(
    torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Flatten(), torch.nn.Linear(64 * 7 * 7, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10),
)
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
t0 = time.perf_counter()
order = tr[torch.randperm(len(tr))]
for s in range(0, len(order), 64):
    b = order[s:s + 64]
    opt.zero_grad(set_to_none=True)
    loss = torch.nn.functional.cross_entropy(model(x[b]), y[b])
    loss.backward()
    opt.step()
# occam's epoch time includes its pass over the 6,000 validation images; so does this one.
val = perm[54000:]
with torch.no_grad():
    vloss = sum(torch.nn.functional.cross_entropy(model(x[val[s:s + 1000]]), y[val[s:s + 1000]], reduction="sum").item()
                for s in range(0, len(val), 1000)) / len(val)
dt = time.perf_counter() - t0
with torch.no_grad():
    acc = (model(xt).argmax(1) == yt).float().mean().item()
print(f"RESULT engine=torch epoch_seconds={dt:.2f} test_accuracy_after_1_epoch={acc:.4f} val_loss={vloss:.4f}")
