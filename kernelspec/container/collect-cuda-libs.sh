#!/bin/sh
# collect-cuda-libs.sh LIBDIR DEST — copies the CUDA libraries that the
# C-GPU backend in LIBDIR loads (cudart, cuBLAS/cuBLASLt, NCCL, and cuDNN
# when it exists) into DEST, under the same absolute paths, so that the
# runtime image resolves them as the build image did. Without a backend
# (a CPU-only build) DEST is left empty.
set -eu
libdir=$1; dest=$2
mkdir -p "$dest"
backend=$libdir/libcgpucuda.so
[ -f "$backend" ] || { echo "no CUDA backend: CPU-only image"; exit 0; }
copy() {  # copies a library file and the links that name it
  f=$(readlink -f "$1"); d=$(dirname "$1")
  mkdir -p "$dest$d" "$dest$(dirname "$f")"
  cp -a "$f" "$dest$f"
  for l in "$d"/$(basename "$1" | sed 's/\.so.*/.so/')*; do
    [ -L "$l" ] && cp -a "$l" "$dest$l"
  done
}
# what the backend links (ldd), plus the libraries it loads with dlopen
ldd "$backend" | awk '/=> \//{print $3}' | grep -E 'libcu|libnccl|libcudnn' | while read -r lib; do copy "$lib"; done
for name in libcudnn.so.9 libcudnn_graph.so.9 libcudnn_engines_precompiled.so.9 \
            libcudnn_engines_runtime_compiled.so.9 libcudnn_heuristic.so.9 libcudnn_ops.so.9 libcudnn_cnn.so.9 libcudnn_adv.so.9; do
  p=$(ldconfig -p | awk -v n="$name" '$1 == n {print $NF; exit}')
  [ -n "$p" ] && copy "$p"
done
echo "CUDA libraries for the image:"; find "$dest" -name '*.so*' -type f | sed 's/^/  /'
