#!/bin/bash
# JAX on a lent GPU machine (JAX and CUDA there, no TensorFlow, no Keras): prepared, not yet run.
#
# Here, once, from the project root (wheels for the machine's Python 3.12; see the device README):
#   echo /.whl/ >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
#       -d .whl keras==3.15.1 namex optree
# then run this script there with `.whl` carried:  bash experiments/gpu/run.sh
# It installs the wheels, measures every preset of both kinds at crop 256 in float32 and bfloat16 within
# about 5 minutes ($OUT/table.md), then trains the paper physical CycleGAN on a synthetic Gaussian
# benchmark (phantoms) until TRAIN_SECONDS have passed ($OUT/losses.csv, state.json, degradation.json).
set -u
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/device.txt"
cyclesem() { python3 -c "from cyclesem.cli import main; main()" "$@"; }
timeout 300 python3 -m experiments.gpu.bench --out "$OUT/table.md" --budget 270
cat "$OUT/table.md"
cyclesem synth --recipe gaussian --phantoms 64 --seed 1 --out /tmp/bench-gaussian || exit 1
timeout "${TRAIN_SECONDS:-180}" python3 -c "from cyclesem.cli import main; main()" train --unpaired \
    --blurry /tmp/bench-gaussian/train/blurry --clear /tmp/bench-gaussian/train/clear \
    --out /tmp/paper-run --preset paper --set train.checkpoint_every=100
for f in losses.csv state.json degradation.json; do cp "/tmp/paper-run/$f" "$OUT/" 2>/dev/null; done
