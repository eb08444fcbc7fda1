"""Opacus side of bench/dp.sh: DP-SGD on Fashion-MNIST with the same network and
hyperparameters as the occam command there. All 60,000 training images (pixels / 255), Poisson
batches at sample rate 1 / ceil(60000 / BATCH) (Opacus's DPDataLoader), per-sample clipping
to C, the noise multiplier for a target epsilon at delta 1e-5 from Opacus's RDP accountant,
plain SGD with momentum, 2 threads. Prints one RESULT line: the test accuracy, the training
steps per second (the steps alone, no evaluation), sigma and the epsilon Opacus reports.

usage: dp_opacus.py FASHION_DIR MODEL EPOCHS BATCH LR MOMENTUM C EPSILON SEED
  MODEL: mlp (784-HIDDEN-10, ReLU; HIDDEN from the env var HIDDEN, default 128) or
         cnn (conv 16 3x3 same, ReLU, maxpool 2, conv 32 3x3 same, ReLU, maxpool 2, dense
         64, ReLU, dense 10)
"""
import gzip
import os
import sys
import time
import warnings

import numpy as np
import torch
from opacus import PrivacyEngine

warnings.filterwarnings("ignore")
torch.set_num_threads(2)
torch.set_flush_denormal(True)
d, model_kind = sys.argv[1], sys.argv[2]
epochs, batch = int(sys.argv[3]), int(sys.argv[4])
lr, momentum, clip, target = (float(v) for v in sys.argv[5:9])
seed = int(sys.argv[9])


def idx(name):
    with gzip.open(os.path.join(d, name)) as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


x = torch.from_numpy(idx("train-images-idx3-ubyte.gz").astype(np.float32) / 255.0)
y = torch.from_numpy(idx("train-labels-idx1-ubyte.gz").astype(np.int64))
xt = torch.from_numpy(idx("t10k-images-idx3-ubyte.gz").astype(np.float32) / 255.0)
yt = torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))
torch.manual_seed(seed)
if model_kind == "mlp":
    hidden = int(os.environ.get("HIDDEN", "128"))
    x, xt = x.reshape(-1, 784), xt.reshape(-1, 784)
    model = torch.nn.Sequential(torch.nn.Linear(784, hidden), torch.nn.ReLU(),
                                torch.nn.Linear(hidden, 10))
else:
    x, xt = x.unsqueeze(1), xt.unsqueeze(1)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(32 * 7 * 7, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 10))
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch)
opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
engine = PrivacyEngine(accountant="rdp")
model, opt, loader = engine.make_private_with_epsilon(
    module=model, optimizer=opt, data_loader=loader, target_epsilon=target, target_delta=1e-5,
    epochs=epochs, max_grad_norm=clip)
steps, seconds = 0, 0.0
for _ in range(epochs):
    model.train()
    t0 = time.perf_counter()
    for xb, yb in loader:
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        steps += 1
    seconds += time.perf_counter() - t0
model.eval()
with torch.no_grad():
    acc = (model(xt).argmax(1) == yt).float().mean().item()
eps = engine.get_epsilon(1e-5)
print(f"RESULT engine=opacus model={model_kind} seed={seed} test_accuracy={acc:.4f} "
      f"steps={steps} train_seconds={seconds:.2f} steps_per_second={steps / seconds:.2f} "
      f"sigma={opt.noise_multiplier:.4f} epsilon={eps:.4f}")
