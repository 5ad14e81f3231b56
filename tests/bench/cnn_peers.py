"""PyTorch eager's side of tests/bench/cnn_gpu.sh: one epoch of each of the
class's three CIFAR-10 CNNs (TensorFlow's tutorial CNN with the class's
Dropout, the deeper BatchNormalization model, the Keras CIFAR-10 example)
on 50000 random 32x32x3 images held on the GPU, shuffled each epoch, Adam
(Keras's defaults: lr 1e-3, eps 1e-7), sparse cross-entropy, batch 64 and
256; the time of the second epoch (the first warms cuDNN and the caching
allocator) and torch.cuda.max_memory_reserved() (what the caching allocator
held at its peak, the figure comparable to C-GPU's held memory). FP32
convolutions on both sides: PyTorch's default lets cuDNN use TF32, turned
off here as C-GPU keeps FP32 unless the matmul precision is "tf32".
Prints: peer model name=... batch=... epoch_s=... held_mib=...
       or "peer: n/a (no PyTorch here)" / "peer: n/a (no GPU)".

  cnn_peers.py [batch...]
"""
import sys
import time


def models(nn):
    def tutorial():
        return nn.Sequential(
            nn.Conv2d(3, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(), nn.Linear(1024, 64), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(64, 10))

    def deeper():
        layers, c = [], 3
        for f, p in ((32, 0.2), (64, 0.3), (128, 0.4)):
            layers += [nn.Conv2d(c, f, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(f, eps=1e-3, momentum=0.01),
                       nn.Conv2d(f, f, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(f, eps=1e-3, momentum=0.01),
                       nn.MaxPool2d(2), nn.Dropout(p)]
            c = f
        layers += [nn.Flatten(), nn.Linear(128 * 4 * 4, 128), nn.ReLU(), nn.BatchNorm1d(128, eps=1e-3, momentum=0.01),
                   nn.Dropout(0.5), nn.Linear(128, 10)]
        return nn.Sequential(*layers)

    def keras_example():
        return nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
            nn.Flatten(), nn.Linear(64 * 6 * 6, 512), nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, 10))

    return [("tf_tutorial_cnn", tutorial), ("deeper_bn_cnn", deeper), ("keras_cifar10_cnn", keras_example)]


def main():
    try:
        import torch
        from torch import nn
    except ImportError:
        print("peer: n/a (no PyTorch here)")
        return
    if not torch.cuda.is_available():
        print("peer: n/a (no GPU)")
        return
    batches = [int(b) for b in sys.argv[1:]] or [64, 256]
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    dev = torch.device("cuda")
    print("peer torch=%s cudnn=%s device=%s" % (torch.__version__, torch.backends.cudnn.version(),
                                                 torch.cuda.get_device_name(0)))
    g = torch.Generator(device=dev).manual_seed(1)
    x = torch.rand(50000, 3, 32, 32, device=dev, generator=g)
    y = torch.arange(50000, device=dev) % 10
    for name, make in models(nn):
        for b in batches:
            torch.manual_seed(0)
            model = make().to(dev)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
            lossf = nn.CrossEntropyLoss()
            torch.cuda.reset_peak_memory_stats()

            def epoch():
                model.train()
                perm = torch.randperm(50000, device=dev)
                for i in range(0, 50000, b):
                    idx = perm[i:i + b]
                    opt.zero_grad(set_to_none=True)
                    loss = lossf(model(x[idx]), y[idx])
                    loss.backward()
                    opt.step()
                torch.cuda.synchronize()

            epoch()
            t0 = time.perf_counter()
            epoch()
            t = time.perf_counter() - t0
            held = torch.cuda.max_memory_reserved() / 1048576.0
            print("peer model name=%s batch=%d epoch_s=%.3f held_mib=%.1f" % (name, b, t, held), flush=True)
            del model, opt
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
