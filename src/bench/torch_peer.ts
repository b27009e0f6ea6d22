/**
 * The peer a user would otherwise reach for: the paper's MNIST model in
 * PyTorch, one training step timed the same way as webgan's: a D update on
 * real and fake batches, then a G update with D frozen, or, for
 * simultaneous updates, both players' gradients from one forward pass and
 * then both optimizer steps. It runs only where `python3` can import
 * `torch`.
 *
 * @module
 */
import type { UpdateOrder } from "../train/config.ts";

/** The PyTorch side of the comparison, run as `python3 -c`. */
const SCRIPT = `
import json, sys, time
import torch
from torch import nn

threads, steps, warmup = (int(a) for a in sys.argv[1:4])
simultaneous = sys.argv[4] == "simultaneous"
torch.set_num_threads(threads)
torch.manual_seed(0)

class Maxout(nn.Module):
    def __init__(self, inputs, units, pieces):
        super().__init__()
        self.linear = nn.Linear(inputs, units * pieces)
        self.units, self.pieces = units, pieces
    def forward(self, x):
        return self.linear(x).view(-1, self.units, self.pieces).amax(2)

G = nn.Sequential(nn.Linear(100, 1200), nn.ReLU(), nn.Linear(1200, 1200),
                  nn.ReLU(), nn.Linear(1200, 784), nn.Sigmoid())
D = nn.Sequential(nn.Dropout(0.2), Maxout(784, 240, 5), nn.Dropout(0.5),
                  Maxout(240, 240, 5), nn.Dropout(0.5), nn.Linear(240, 1))
opt_g = torch.optim.SGD(G.parameters(), lr=0.1, momentum=0.5)
opt_d = torch.optim.SGD(D.parameters(), lr=0.1, momentum=0.5)
bce = nn.BCEWithLogitsLoss()
x = torch.rand(100, 784)
ones, zeros = torch.ones(100, 1), torch.zeros(100, 1)

def noise():
    return (torch.rand(100, 100) * 2 - 1) * 3 ** 0.5

def step_simultaneous():
    # One forward pass; D's gradient and G's both come from its logits,
    # and autograd.grad computes each player's gradients only.
    logits_fake = D(G(noise()))
    loss_d = bce(D(x), ones) + bce(logits_fake, zeros)
    loss_g = bce(logits_fake, ones)
    d_params, g_params = list(D.parameters()), list(G.parameters())
    d_grads = torch.autograd.grad(loss_d, d_params, retain_graph=True)
    g_grads = torch.autograd.grad(loss_g, g_params)
    for p, g in zip(d_params + g_params, d_grads + g_grads):
        p.grad = g
    opt_d.step()
    opt_g.step()
    return loss_d.item() + loss_g.item()

def step_alternating():
    with torch.no_grad():
        fake = G(noise())
    opt_d.zero_grad()
    loss_d = bce(D(x), ones) + bce(D(fake), zeros)
    loss_d.backward()
    opt_d.step()
    for p in D.parameters():
        p.requires_grad_(False)
    opt_g.zero_grad()
    loss_g = bce(D(G(noise())), ones)
    loss_g.backward()
    opt_g.step()
    for p in D.parameters():
        p.requires_grad_(True)
    return loss_d.item() + loss_g.item()

step = step_simultaneous if simultaneous else step_alternating
for _ in range(warmup):
    step()
times = []
for _ in range(steps):
    t0 = time.perf_counter()
    step()
    times.append((time.perf_counter() - t0) * 1000)
times.sort()
print(json.dumps({"ms_per_step": times[len(times) // 2],
                  "torch": torch.__version__, "threads": threads,
                  "updates": sys.argv[4]}))
`;

/** What the PyTorch peer measured. */
export interface TorchResult {
  /** Median milliseconds per step. */
  ms_per_step: number;
  /** PyTorch's version. */
  torch: string;
  /** Threads it used. */
  threads: number;
  /** The update order it timed. */
  updates: UpdateOrder;
}

/**
 * Time the paper's MNIST step in PyTorch.
 *
 * @param options `updates` picks the step: D then G (the default), or both
 *   at once.
 * @returns The timing, or the reason it could not be measured.
 */
export async function benchmarkTorch(
  options: {
    python?: string;
    threads?: number;
    steps?: number;
    warmup?: number;
    updates?: UpdateOrder;
  } = {},
): Promise<TorchResult | { unavailable: string }> {
  const {
    python = "python3",
    threads = 2,
    steps = 20,
    warmup = 3,
    updates = "alternating",
  } = options;
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(python, {
      args: [
        "-c",
        SCRIPT,
        String(threads),
        String(steps),
        String(warmup),
        updates,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    return { unavailable: `${python} could not be started: ${String(err)}` };
  }
  if (out.code !== 0) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n");
    return { unavailable: err[err.length - 1] || `exit ${out.code}` };
  }
  return JSON.parse(new TextDecoder().decode(out.stdout)) as TorchResult;
}
