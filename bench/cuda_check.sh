#!/usr/bin/env bash
# The CUDA path on a GPU machine, in one command:
#
#   bash bench/cuda_check.sh [OUT]
#
# A QUICK pass (a few minutes) prints the headline table first: clips/s of the chaos-game kernel, of TSM training
# (AMP, channels-last, batch 64) and their ratio, then training on clips rendered on the GPU with every host sync
# an error (torch.cuda.set_sync_debug_mode), how busy it keeps the GPU and its peak memory. The full pass then
# runs small train_sup.py / train_ssl.py / val_sup.py runs from files and from rendered clips, a resume,
# torch.compile and the file loader. Every step has a timeout (STEP_S, default 300 s); the table is OUT/table.md
# (default /tmp/cuda_check) and each step's log OUT/<step>.log.
#
# A GPU machine without network lacks some pure-Python packages; carry them as wheels in .wheels/ (31 MiB for
# Python 3.12), fetched where there is a network:
#   python3 -m pip download --only-binary=:all: --python-version 3.12 --platform manylinux2014_x86_64 \
#       --platform any -d .wheels yacs gdown ffmpeg-python imageio-ffmpeg
#
# Without a GPU, RENDER=triton-cpu BASE=resnet18 SIZE=16 BATCH=2 SAMPLES=16 STEPS=1 CLASSES=2 QUICK=1 runs the
# same steps on the CPU (a dry run of this script; the kernel through Triton's interpreter).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/cuda_check}
PY=${PYTHON:-python3}
RENDER=${RENDER:-cuda}
BASE=${BASE:-resnet50}
SIZE=${SIZE:-112}
BATCH=${BATCH:-64}
SAMPLES=${SAMPLES:-512}
STEPS=${STEPS:-30}
QUICK=${QUICK:-0}
CLASSES=${CLASSES:-50}  # fractal classes the render step samples first
STEP_S=${STEP_S:-300}
WORKERS=$(nproc)
mkdir -p "$OUT"

fail() { echo "cuda_check: $*" >&2; exit 2; }

missing=$("$PY" -c "
import importlib.util
print(' '.join(m for m in ('yacs', 'gdown', 'ffmpeg', 'imageio_ffmpeg') if importlib.util.find_spec(m) is None))")
if [ -n "$missing" ]; then
  [ -d .wheels ] || fail "these packages are missing and there is no .wheels/ folder: $missing (see the top of $0)"
  "$PY" -m pip install -q --no-index --find-links .wheels yacs gdown ffmpeg-python imageio-ffmpeg \
    || fail "installing from .wheels/ failed (see above); fetch the wheels as the top of $0 says"
fi
"$PY" -c "import torch, torchvision, triton, numba, cv2, scipy, yacs, gdown, ffmpeg, imageio_ffmpeg, tensorboard, matplotlib, tqdm" \
  || fail "a package does not import (see above)"
if [ "$RENDER" = cuda ]; then
  "$PY" -c "import torch; assert torch.cuda.is_available()" 2> /dev/null || fail "no CUDA GPU is visible"
fi
if [ "$RENDER" = triton-cpu ]; then
  export TRITON_INTERPRET=1  # the kernel in Triton's interpreter, chosen before Triton loads
fi

: > "$OUT/table.md"
echo "| step | result | seconds | last line |" >> "$OUT/table.md"
echo "|---|---|---|---|" >> "$OUT/table.md"

step() {
  local name=$1; shift
  local start=$SECONDS status last
  echo "cuda_check: $name ..."  # a line per step: a slow step on a borrowed GPU is seen while it runs
  timeout "$STEP_S" "$@" > "$OUT/$name.log" 2>&1
  case $? in 0) status=ok ;; 124) status=TIMEOUT ;; *) status=FAILED ;; esac
  echo "cuda_check: $name $status ($((SECONDS - start)) s, log $OUT/$name.log)"
  last=$(grep -v '^\s*$' "$OUT/$name.log" | grep -E 'clips/s|ACC1|EPOCH|rror|saved|took' | tail -1 | cut -c1-160 | tr '|' '/')
  echo "| $name | $status | $((SECONDS - start)) | $last |" >> "$OUT/table.md"
}

figure() {  # the first "N clips/s" of a step's log
  grep -o '[0-9.]* clips/s' "$OUT/$1.log" 2> /dev/null | head -1 | cut -d' ' -f1
}

# QUICK pass: the headline figures
step render "$PY" -m bench.bench_online --device "$RENDER" --batch "$BATCH" --batches "$STEPS" --size "$SIZE" \
  --workers "$WORKERS" --classes "$CLASSES"
step train "$PY" -m bench.bench_train --base "$BASE" --batch "$BATCH" --size "$SIZE" --steps "$STEPS" --threads budget
if command -v nvidia-smi > /dev/null; then
  nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 500 > "$OUT/gpu_busy.csv" &
  sampler=$!
fi
step train_rendered_no_sync "$PY" -m bench.bench_train --data fractal --render_device "$RENDER" --base "$BASE" \
  --batch "$BATCH" --size "$SIZE" --steps "$STEPS" --workers "$WORKERS" --threads budget --sync_debug
if [ -n "${sampler:-}" ]; then
  kill "$sampler"
  busy=$(awk '{s += $1; n++} END {if (n) printf "%.0f", s / n}' "$OUT/gpu_busy.csv")
  echo "" >> "$OUT/table.md"
  echo "GPU busy while training on clips rendered on it: $busy % on average (target >= 90 %)" >> "$OUT/table.md"
fi
render=$(figure render)
train=$(figure train)
if [ -n "$render" ] && [ -n "$train" ]; then
  echo "" >> "$OUT/table.md"
  echo "rendering / training = $render / $train = $("$PY" -c "print(round($render / $train, 2))") (target >= 2)" \
    >> "$OUT/table.md"
fi
peak=$(grep -o 'peak memory [0-9.]* GiB' "$OUT/train_rendered_no_sync.log" | tail -1)
[ -n "$peak" ] && echo "training on rendered clips: $peak" >> "$OUT/table.md"
echo "QUICK pass:"
cat "$OUT/table.md"

if [ "$QUICK" = 0 ]; then
  COMMON=(DATA.IMG_SIZE "$SIZE" DATA.BATCH_SIZE "$BATCH" MODEL.TSM_BASE "$BASE" TRAIN.EPOCHS 2 TRAIN.EPOCHS_EVAL 1
          DATA.VAL_SAMPLES 32)
  FRACTAL=(DATA.SOURCE fractal DATA.RENDER_DEVICE "$RENDER" DATA.SAMPLES_PER_EPOCH "$SAMPLES")
  step classes "$PY" generate_synthetic.py --type fractal --gen_param 10 --dir_out "$OUT/params"
  step videos "$PY" generate_synthetic.py --type fractal --samples "$SAMPLES" --dir_in "$OUT/params" --res 128 \
    --dir_out "$OUT/generated"
  step prepare "$PY" prepare_data.py --dataset toy --root "$OUT/data" --from "$OUT/generated" --val_per_class 2
  FILES=(DATA.ROOT "$OUT/data" DATA.DATASET toy)
  step sup_files "$PY" train_sup.py --cfg cfg/pretrain_sup/tsm.yaml --opts "${FILES[@]}" "${COMMON[@]}" \
    TRAIN.OUTPUT "$OUT/sup_files"
  step sup_rendered "$PY" train_sup.py --cfg cfg/pretrain_sup/tsm.yaml --opts "${FRACTAL[@]}" "${COMMON[@]}" \
    DATA.CLASS_PARAMS "$OUT/params" TRAIN.OUTPUT "$OUT/sup_rendered"
  step val_sup "$PY" val_sup.py --cfg cfg/pretrain_sup/tsm.yaml --opts "${FILES[@]}" "${COMMON[@]}" \
    MODEL.RESUME "$OUT/sup_files/ckpt_last.pth" TRAIN.OUTPUT "$OUT/val"
  step resume "$PY" train_sup.py --cfg cfg/pretrain_sup/tsm.yaml --opts "${FRACTAL[@]}" "${COMMON[@]}" \
    DATA.CLASS_PARAMS "$OUT/params" TRAIN.EPOCHS 3 MODEL.RESUME "$OUT/sup_rendered/ckpt_last.pth" \
    TRAIN.OUTPUT "$OUT/sup_rendered"
  step ssl_files "$PY" train_ssl.py --cfg cfg/pretrain_ssl/tsm.yaml --opts "${FILES[@]}" "${COMMON[@]}" \
    MOCO.K $((BATCH * 8)) TRAIN.OUTPUT "$OUT/ssl_files"
  step ssl_rendered "$PY" train_ssl.py --cfg cfg/pretrain_ssl/tsm.yaml --opts "${FRACTAL[@]}" "${COMMON[@]}" \
    MOCO.K $((BATCH * 8)) TRAIN.OUTPUT "$OUT/ssl_rendered"
  step sup_compiled "$PY" train_sup.py --cfg cfg/pretrain_sup/tsm.yaml --opts "${FRACTAL[@]}" "${COMMON[@]}" \
    DATA.CLASS_PARAMS "$OUT/params" TRAIN.COMPILE True TRAIN.EPOCHS 1 TRAIN.OUTPUT "$OUT/sup_compiled"
  step train_compiled "$PY" -m bench.bench_train --base "$BASE" --batch "$BATCH" --size "$SIZE" --steps "$STEPS" \
    --compile --threads budget
  step render_cpu "$PY" -m bench.bench_online --device cpu --workers "$WORKERS" --batches "$STEPS" --size "$SIZE"
  step files "$PY" -m bench.bench_data --videos 300 --codec libx264 --workers "$WORKERS"
  echo "Full pass:"
  cat "$OUT/table.md"
fi
! grep -q -E 'FAILED|TIMEOUT' "$OUT/table.md"
