"""Training speed of TSM: clips/s of forward + backward + optimiser step on random clips, and whether the data
loader keeps up (compare with bench/bench_data.py).

python -m bench.bench_train [--base resnet50] [--batch 32] [--size 112] [--frames 8] [--steps 20] [--compile]
CUDA: float16 autocast + GradScaler, channels-last. CPU: float32 (bfloat16 with --bf16).
"""
import argparse
import time

import torch


from src.models.tsm import TSM


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--base", default="resnet50")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--size", type=int, default=112)
    p.add_argument("--frames", type=int, default=8)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--compile", action="store_true")
    p.add_argument("--bf16", action="store_true", help="CPU: bfloat16 autocast")
    a = p.parse_args()
    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    model = TSM(400, a.frames, a.base).to(device)
    if cuda:
        model = model.to(memory_format=torch.channels_last)
    step_model = torch.compile(model) if a.compile else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    dtype = torch.float16 if cuda else (torch.bfloat16 if a.bf16 else None)
    scaler = torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)
    clips = torch.randn(a.batch, 3, a.frames, a.size, a.size, device=device)
    labels = torch.randint(0, 400, (a.batch,), device=device)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            loss = torch.nn.functional.cross_entropy(step_model(clips), labels)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    for _ in range(3):
        step()
    if cuda:
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    if cuda:
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    name = torch.cuda.get_device_name() if cuda else f"cpu ({torch.get_num_threads()} threads)"
    print(f"{name}: TSM-{a.base}, {a.frames} frames, {a.size} px, batch {a.batch}, AMP {dtype}, "
          f"compile {a.compile}: {a.steps * a.batch / dt:.1f} clips/s")


if __name__ == "__main__":
    main()
