"""matplotlib beside tests/bench/plot_bench.c: the same 5 x 8 grid of
32x32x3 images with titles, axis off and tight_layout, drawn as the
notebook inline backend sends it (PNG at 72 dpi, bbox_inches='tight') and
as SVG. Prints "plot_grid <kind> <format> <ms median> <bytes>" per row."""
import io
import sys
import time

import numpy as np
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 21
names = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']
rng = np.random.default_rng(0)
data = {"float": rng.random((40, 32, 32, 3), dtype=np.float32),
        "int": (rng.random((40, 32, 32, 3)) * 255).astype(np.uint8)}
for kind, x in data.items():
    for fmt, dpi in (("png", 72), ("svg", 72)):
        times, size = [], 0
        for _ in range(rounds):
            t0 = time.perf_counter()
            fig, axes = plt.subplots(5, 8, figsize=(12, 8))
            for i, ax in enumerate(axes.flat):
                ax.imshow(x[i])
                ax.set_title(names[i % 10], fontsize=9)
                ax.axis("off")
            plt.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight")
            plt.close(fig)
            times.append((time.perf_counter() - t0) * 1e3)
            # the notebook stores PNG as base64 text, SVG as text
            size = len(buf.getvalue()) * (4 / 3 if fmt == "png" else 1)
        times.sort()
        print(f"plot_grid {kind} {fmt} {times[len(times) // 2]:.2f} {int(size)}")
