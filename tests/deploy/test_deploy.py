"""The container image and the JupyterHub configuration, as far as this
machine can check them without a registry or a cluster.

- kernelspec/jupyterhub/values.yaml parses, uses only keys that the Zero to
  JupyterHub chart documents (its values schema) and, inside profiles, only
  KubeSpawner options; its image tag is C-GPU's version and the version label
  of kernelspec/container/Containerfile.
- The kernel honours what each profile sets: started with the profile's
  environment and a cgroup memory.max of the profile's memory limit (as
  Kubernetes writes it), it reports those limits.
- The Containerfile takes its base images as build arguments, installs the
  kernel system-wide and executes every shipped notebook as its last step.
"""
import os
import re
import subprocess
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
VALUES = ROOT / "kernelspec/jupyterhub/values.yaml"
CONTAINERFILE = ROOT / "kernelspec/container/Containerfile"
BUILD = Path(os.environ.get("BUILD", "build"))
KERNEL = (ROOT / BUILD / "cgpu-kernel") if not BUILD.is_absolute() else BUILD / "cgpu-kernel"

# The keys of the chart's values schema (jupyterhub/values.schema.yaml of
# Zero to JupyterHub 4.x) at the levels this file uses.
CHART_TOP = {"enabled", "fullnameOverride", "nameOverride", "imagePullSecret", "imagePullSecrets", "hub",
             "proxy", "singleuser", "scheduling", "ingress", "httpRoute", "prePuller", "custom", "cull",
             "debug", "rbac", "global"}
CHART_SINGLEUSER = {"networkPolicy", "podNameTemplate", "cpu", "memory", "image", "initContainers",
                    "profileList", "extraFiles", "extraEnv", "nodeSelector", "extraTolerations",
                    "extraNodeAffinity", "extraPodAffinity", "extraPodAntiAffinity", "cloudMetadata", "cmd",
                    "defaultUrl", "events", "extraAnnotations", "extraContainers", "extraLabels",
                    "extraPodConfig", "extraResource", "fsGid", "lifecycleHooks", "networkTools",
                    "serviceAccountName", "startTimeout", "storage", "allowPrivilegeEscalation", "uid"}
CHART_SUB = {
    "singleuser.image": {"name", "tag", "pullPolicy", "pullSecrets"},
    "singleuser.memory": {"limit", "guarantee"},
    "singleuser.cpu": {"limit", "guarantee"},
    "singleuser.storage": {"type", "extraLabels", "extraVolumes", "extraVolumeMounts", "static", "capacity",
                           "homeMountPath", "dynamic"},
    "singleuser.lifecycleHooks": {"postStart", "preStop"},
    "cull": {"enabled", "users", "adminUsers", "removeNamedServers", "timeout", "every", "concurrency",
             "maxAge"},
}
# A profileList entry (KubeSpawner's profile_list) and the KubeSpawner
# traits a profile overrides here.
PROFILE_KEYS = {"display_name", "description", "default", "kubespawner_override", "profile_options", "slug"}
KUBESPAWNER_TRAITS = {"image", "extra_resource_limits", "extra_resource_guarantees", "environment", "mem_limit",
                      "mem_guarantee", "cpu_limit", "cpu_guarantee", "lifecycle_hooks", "node_selector",
                      "tolerations", "volumes", "volume_mounts", "default_url"}


@pytest.fixture(scope="module")
def values():
    with open(VALUES) as f:
        return yaml.safe_load(f)


def cgpu_version():
    m = re.search(r'#define CGPU_VERSION "([^"]+)"', (ROOT / "kernel/cli.h").read_text())
    return m.group(1)


def test_values_use_only_documented_keys(values):
    assert set(values) <= CHART_TOP, set(values) - CHART_TOP
    assert set(values["singleuser"]) <= CHART_SINGLEUSER, set(values["singleuser"]) - CHART_SINGLEUSER
    for path, allowed in CHART_SUB.items():
        node = values
        for part in path.split("."):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        assert set(node) <= allowed, (path, set(node) - allowed)
    for profile in values["singleuser"]["profileList"]:
        assert set(profile) <= PROFILE_KEYS, set(profile) - PROFILE_KEYS
        assert set(profile.get("kubespawner_override", {})) <= KUBESPAWNER_TRAITS
    assert sum(1 for p in values["singleuser"]["profileList"] if p.get("default")) == 1


def test_profiles_cover_cpu_one_gpu_and_shared_gpu(values):
    profiles = values["singleuser"]["profileList"]
    limits = [p.get("kubespawner_override", {}).get("extra_resource_limits", {}) for p in profiles]
    assert {} in limits                                     # CPU only
    assert {"nvidia.com/gpu": "1"} in limits                # a whole GPU
    shared = [p for p in profiles
              if "nvidia.com/gpu.shared" in p.get("kubespawner_override", {}).get("extra_resource_limits", {})]
    assert shared and "CGPU_GPU_MEMORY_LIMIT" in shared[0]["kubespawner_override"]["environment"]


def test_image_tag_matches_the_version_and_the_containerfile(values):
    version = cgpu_version()
    assert values["singleuser"]["image"]["tag"] == version
    label = re.search(r'org\.opencontainers\.image\.version="([^"]+)"', CONTAINERFILE.read_text())
    assert label and label.group(1) == version


def test_containerfile_shape():
    text = CONTAINERFILE.read_text()
    assert re.search(r"^ARG BUILD_BASE=", text, re.M) and re.search(r"^ARG RUNTIME_BASE=", text, re.M)
    assert "FROM ${BUILD_BASE} AS build" in text and "FROM ${RUNTIME_BASE}" in text
    assert "make install PREFIX=/usr/local" in text
    # the last RUN that does work executes every shipped notebook
    runs = [block for block in re.split(r"\n(?=[A-Z]+ )", text) if block.startswith("RUN ")]
    assert any("jupyter nbconvert --to notebook --execute" in r and "notebooks/*.ipynb" in r for r in runs)
    for script in ("packages.sh", "collect-cuda-libs.sh"):
        path = ROOT / "kernelspec/container" / script
        assert path.exists() and os.access(path, os.X_OK)
        assert subprocess.run(["sh", "-n", str(path)]).returncode == 0


def kube_bytes(quantity):
    """KubeSpawner's byte specification: K, M, G, T are powers of 1024."""
    m = re.fullmatch(r"([0-9.]+)([KMGT]?)", str(quantity))
    return int(float(m.group(1)) * 1024 ** " KMGT".index(m.group(2) or " "))


def fake_cgroup(tmp_path, memory_max):
    with open("/proc/self/cgroup") as f:
        rel = next(line[3:].strip() for line in f if line.startswith("0::"))
    leaf = tmp_path / "cgroup" / rel.lstrip("/")
    leaf.mkdir(parents=True, exist_ok=True)
    (leaf / "memory.max").write_text(f"{memory_max}\n")
    return tmp_path / "cgroup"


def margin(total):
    return min(max(total // 16, 64 << 20), 512 << 20, total // 2)


@pytest.mark.parametrize("index", [0, 1, 2])
def test_the_kernel_honours_each_profile(values, tmp_path, index):
    if not KERNEL.exists():
        pytest.skip(f"{KERNEL} is not built")
    profile = values["singleuser"]["profileList"][index]
    override = profile.get("kubespawner_override", {})
    memory = kube_bytes(override.get("mem_limit", values["singleuser"]["memory"]["limit"]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CGPU_")}
    env.update({k: str(v) for k, v in override.get("environment", {}).items()})
    env["CGPU_CGROUP_ROOT"] = str(fake_cgroup(tmp_path, memory))
    cell = tmp_path / "cell.cg"
    cell.write_text('print(memory_info("CPU:0")["limit"])\n'
                    'print([(memory_info(d.name)["limit"], memory_info(d.name)["total"]) '
                    'for d in list_logical_devices("GPU")])\n')
    r = subprocess.run([str(KERNEL), "exec", str(cell)], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "ignoring" not in r.stderr, r.stderr          # every limit the profile sets is well-formed
    host, gpus = r.stdout.splitlines()
    assert int(host) == memory - margin(memory)
    fraction = override.get("environment", {}).get("CGPU_GPU_MEMORY_LIMIT")
    if fraction:
        if gpus == "[]":
            pytest.skip("skipped: no GPU (host limit checked; the GPU memory cap needs a GPU)")
        for limit, total in eval(gpus):
            assert limit == int(float(fraction) * total), (limit, total)
