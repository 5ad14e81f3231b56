"""The shipped notebooks executed, as a user runs them ("Restart the kernel
and run all cells"): through Jupyter with `jupyter nbconvert --execute`, and
headless with `cgpu-kernel run`. Each check runs on both executions."""
import re
from datetime import datetime

import pytest

from conftest import (NOTEBOOKS, cell_by_id, errors_in, expected_gpus, numbers_in,
                      stdout_of)

EXECUTORS = ["nbconvert", "runner"]
PAIRS = [(-40, -40), (-10, 14), (0, 32), (8, 46), (15, 59), (22, 72), (38, 100), (45, 113)]


@pytest.fixture(params=EXECUTORS)
def execute(request, nbconvert, runner):
    """execute(name) -> the executed notebook, failing with the logs when the
    execution did not finish cleanly."""
    run = nbconvert if request.param == "nbconvert" else runner

    def get(name):
        ex = run(name)
        assert ex.proc.returncode == 0 and ex.nb is not None, ex.explain()
        return ex.nb
    return get


def all_stdout(nb):
    return "".join(stdout_of(c) for c in nb.cells if c.cell_type == "code")


def svg_figures(cell):
    return [o.data["image/svg+xml"] for o in cell.outputs
            if o.output_type in ("display_data", "execute_result") and "image/svg+xml" in o.data]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_runs_clean(execute, name):
    nb = execute(name)
    assert errors_in(nb) == []
    for c in nb.cells:
        if c.cell_type == "code" and c.source.strip():
            assert c.execution_count is not None, "cell %s did not run" % c.get("id")


# ---- num_gpu -------------------------------------------------------------------------------

def test_num_gpu_line(execute):
    nb = execute("num_gpu.ipynb")
    assert stdout_of(cell_by_id(nb, "count-gpus")) == "Num GPUs Available:  %d\n" % expected_gpus()


def test_num_gpu_device_table(execute):
    nb = execute("num_gpu.ipynb")
    results = [o for o in cell_by_id(nb, "all-devices").outputs if o.output_type == "execute_result"]
    assert len(results) == 1, "list_physical_devices() is shown as the cell's result"
    data = results[0].data
    assert "CPU" in data["text/plain"]
    assert "text/html" in data and "<table" in data["text/html"], "the devices are shown as a table"
    if expected_gpus():
        assert "GPU" in data["text/html"]


def test_num_gpu_default_device(execute):
    nb = execute("num_gpu.ipynb")
    want = "GPU:0" if expected_gpus() else "CPU:0"
    lines = stdout_of(cell_by_id(nb, "default-device")).splitlines()
    assert lines[0] == "New arrays are placed on " + want
    if not expected_gpus():
        assert len(lines) == 2 and lines[1].startswith("Why no GPU: ") and len(lines[1]) > 12


# ---- celsius and celsius_mirrored -------------------------------------------------------------

CELSIUS = ["celsius.ipynb", "celsius_mirrored.ipynb"]


@pytest.mark.parametrize("name", CELSIUS)
def test_celsius_prints_the_pairs(execute, name):
    nb = execute(name)
    want = "".join("%s degrees Celsius = %s degrees Fahrenheit\n" % (float(c), float(f)) for c, f in PAIRS)
    assert stdout_of(cell_by_id(nb, "data")) == want


@pytest.mark.parametrize("name", CELSIUS)
def test_celsius_trains_silently(execute, name):
    nb = execute(name)
    model = cell_by_id(nb, "model")
    assert [o for o in model.outputs if o.output_type != "stream" or o.name != "stderr"] == [], \
        "fit(verbose=False) prints nothing"
    assert stdout_of(cell_by_id(nb, "finished")) == "Finished training the model\n"


@pytest.mark.parametrize("name", CELSIUS)
def test_celsius_loss_plot(execute, name):
    nb = execute(name)
    figs = svg_figures(cell_by_id(nb, "plot-loss"))
    assert len(figs) == 1, "one figure, as image/svg+xml"
    assert "Epoch Number" in figs[0] and "Loss Magnitude" in figs[0]


@pytest.mark.parametrize("name", CELSIUS)
def test_celsius_prediction_close_to_212(execute, name):
    nb = execute(name)
    out = stdout_of(cell_by_id(nb, "predict"))
    assert re.fullmatch(r"\[\[\s*[-+0-9.e]+\s*\]\]\n", out), "predict returns one row of one value: %r" % out
    (value,) = numbers_in(out)
    assert 210 <= value <= 214, out


@pytest.mark.parametrize("name", CELSIUS)
def test_celsius_learned_weights(execute, name):
    nb = execute(name)
    out = stdout_of(cell_by_id(nb, "weights"))
    assert out.startswith("These are the layer variables: ")
    learned = [line for line in out.splitlines() if line.startswith("learned:")]
    assert len(learned) == 1, out
    w, b = numbers_in(learned[0].split("=", 1)[1])
    assert 1.7 <= w <= 1.9 and 25 <= b <= 35, learned[0]
    assert "exact:    f = c * 1.8000 + 32.0000" in out


def test_mirrored_replica_count(execute):
    nb = execute("celsius_mirrored.ipynb")
    out = stdout_of(cell_by_id(nb, "strategy"))
    m = re.search(r"^Number of devices: (\d+)$", out, re.M)
    assert m, out
    assert int(m.group(1)) == max(1, expected_gpus())


# ---- gpu_basics -------------------------------------------------------------------------------

def test_gpu_basics_says_what_it_would_show_without_gpu(execute):
    nb = execute("gpu_basics.ipynb")
    text = all_stdout(nb)
    if expected_gpus() == 0:
        assert "No GPU found" in text
    else:
        assert "No GPU found" not in text


def test_gpu_basics_plots(execute):
    nb = execute("gpu_basics.ipynb")
    figs = [f for c in nb.cells if c.cell_type == "code" for f in svg_figures(c)]
    assert figs, "the timing comparison is plotted"


def test_gpu_basics_logs_placement(execute):
    nb = execute("gpu_basics.ipynb")
    out = stdout_of(cell_by_id(nb, "placement")) + "".join(
        o.text for o in cell_by_id(nb, "placement").outputs if o.output_type == "stream")
    dev = "GPU:0" if expected_gpus() else "CPU:0"
    assert re.search(r"\w+ on " + dev, out), out


def test_gpu_basics_is_fast_on_cpu(execute):
    if expected_gpus():
        pytest.skip("timed on machines without a GPU only")
    nb = execute("gpu_basics.ipynb")
    total = 0.0
    for c in nb.cells:
        ex = c.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in ex and "shell.execute_reply" in ex:
            t0 = datetime.fromisoformat(ex["iopub.execute_input"].replace("Z", "+00:00"))
            t1 = datetime.fromisoformat(ex["shell.execute_reply"].replace("Z", "+00:00"))
            total += (t1 - t0).total_seconds()
    assert 0 < total < 30, "cells ran for %.1f s" % total


def test_gpu_basics_gpu_branches_run(tmp_path):
    """The cells' GPU branches, run with CPU:0 standing in for GPU:0, so that
    they are exercised on machines without a GPU too."""
    import subprocess
    import nbformat
    from conftest import NOTEBOOK_DIR, kernel_binary
    nb = nbformat.read(str(NOTEBOOK_DIR / "gpu_basics.ipynb"), as_version=4)
    setup = cell_by_id(nb, "setup")
    assert "has_gpu = len(gpus) > 0" in setup.source
    if expected_gpus() == 0:
        for c in nb.cells:
            if c.cell_type == "code":
                c.source = c.source.replace('"GPU:0"', '"CPU:0"').replace("'GPU:0'", "'CPU:0'")
        setup.source = setup.source.replace("has_gpu = len(gpus) > 0", "has_gpu = True")
    src = tmp_path / "gpu_branches.ipynb"
    nbformat.write(nb, str(src))
    out = tmp_path / "out.ipynb"
    proc = subprocess.run([kernel_binary(), "run", str(src), "-o", str(out), "-q"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    done = nbformat.read(str(out), as_version=4)
    assert errors_in(done) == []
    assert "host->device" in stdout_of(cell_by_id(done, "copies"))
    assert "| GPU" in stdout_of(cell_by_id(done, "bench"))
    figs = svg_figures(cell_by_id(done, "speedup-plot"))
    assert len(figs) == 1 and "speed-up" in figs[0]


# ---- cnn -----------------------------------------------------------------------------------

def test_cnn_summary_has_keras_numbers(execute):
    nb = execute("cnn.ipynb")
    # summary() displays its table (text/plain and text/html), as Keras's rich table
    text = "".join(o.data.get("text/plain", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                   if o.output_type in ("display_data", "execute_result")) + all_stdout(nb)
    # TensorFlow's CNN tutorial model on 28x28x1 images: Keras's summary
    assert "Total params: 93,322 (364.54 KB)" in text
    assert "Non-trainable params: 0 (0.00 B)" in text


def test_cnn_trains_and_times_the_cpu(execute):
    text = all_stdout(execute("cnn.ipynb"))
    cpu = re.search(r"CPU: ([0-9.]+) s per epoch \(timed on (\d+) images\)", text)
    assert cpu and float(cpu.group(1)) > 0
    acc = float(re.search(r"test accuracy: ([0-9.]+)", text).group(1))
    if expected_gpus():
        assert re.search(r"GPU: [0-9.]+ s per epoch", text) and "speed-up:" in text
        assert acc >= 0.90, text            # the whole training set, 3 epochs
    else:
        assert "No GPU on this machine:" in text
        assert "CPU only: training on 12000 of the 60000 training images" in text
        assert acc >= 0.80, text            # a fifth of the training set


def test_cnn_shows_the_image_grids(execute):
    nb = execute("cnn.ipynb")
    figures = [f for c in nb.cells if c.cell_type == "code" for f in svg_figures(c)]
    assert len(figures) == 3                  # samples, accuracy curve, predictions
    samples, _, predictions = figures
    assert samples.count("<image") == 10 and "Ankle boot" in samples
    assert predictions.count("<image") == 15
    assert "data:image/png;base64," in predictions


# ---- fashion_mnist ----------------------------------------------------------------------------

FMNIST = "fashion_mnist.ipynb"
FMNIST_CSV_HEADER = ("epoch,accuracy,cpu_utilization,epoch_time,gpu_memory,gpu_power,gpu_utilization,"
                     "host_memory,loss,val_accuracy,val_loss")


def test_fashion_mnist_loads_keras_arrays(execute):
    nb = execute(FMNIST)
    assert stdout_of(cell_by_id(nb, "load")) == "(60000, 28, 28) uint8 (60000,) uint8\n(10000, 28, 28) (10000,)\n"


def test_fashion_mnist_sample_grid(execute):
    nb = execute(FMNIST)
    (svg,) = svg_figures(cell_by_id(nb, "samples"))
    assert svg.count("<image") == 18, "18 images, embedded as PNG"
    assert "Ankle boot" in svg and "T-shirt/top" in svg, "titled with the class names"


def test_fashion_mnist_reaches_087_in_5_epochs(execute):
    nb = execute(FMNIST)
    fit = stdout_of(cell_by_id(nb, "fit"))
    assert fit.count("469/469") == 5, fit
    (acc,) = numbers_in(stdout_of(cell_by_id(nb, "evaluate")))
    assert acc >= 0.87, "test accuracy %.4f" % acc


def test_fashion_mnist_csv_has_the_monitor_columns(execute):
    nb = execute(FMNIST)
    lines = stdout_of(cell_by_id(nb, "csv")).strip().splitlines()
    assert lines[0] == FMNIST_CSV_HEADER
    assert len(lines) == 6, lines
    header = lines[0].split(",")
    for e, line in enumerate(lines[1:]):
        row = dict(zip(header, line.split(",")))
        assert row["epoch"] == str(e)
        assert float(row["epoch_time"]) > 0 and float(row["host_memory"]) > 0
        assert 0 <= float(row["cpu_utilization"]) <= 100
        gpu = [row["gpu_utilization"], row["gpu_memory"], row["gpu_power"]]
        if expected_gpus() == 0:
            assert gpu == ["nan", "nan", "nan"], "no GPU: the GPU columns hold nan"
        else:
            assert float(row["gpu_memory"]) > 0 and 0 <= float(row["gpu_utilization"]) <= 100, row


def test_fashion_mnist_loss_plot_and_predictions(execute):
    nb = execute(FMNIST)
    (loss,) = svg_figures(cell_by_id(nb, "loss-plot"))
    assert "val_loss" in loss
    cell = cell_by_id(nb, "predictions")
    (svg,) = svg_figures(cell)
    assert svg.count("<image") == 24
    (right, total) = numbers_in(stdout_of(cell))
    assert total == 24 and 16 <= right <= 24
    assert svg.count("✗ ") == 24 - right, "each wrong answer is marked"


def test_fashion_mnist_sweep_and_time_model(execute):
    nb = execute(FMNIST)
    rows = stdout_of(cell_by_id(nb, "sweep")).strip().splitlines()
    assert rows[0] == "batch_size,epochs,seconds" and len(rows) == 13, rows
    grid = [tuple(r.split(",")[:2]) for r in rows[1:]]
    assert grid == [(b, e) for b in ("32", "64", "128", "256") for e in ("1", "2", "3")]
    assert all(float(r.split(",")[2]) > 0 for r in rows[1:])
    out = stdout_of(cell_by_id(nb, "regression"))
    assert out.startswith("R² = "), out
    (r2,) = numbers_in(out)
    assert r2 <= 1.0
    assert len(svg_figures(cell_by_id(nb, "regression-plot"))) == 1
