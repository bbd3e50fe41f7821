#!/usr/bin/env bash
# The whole CUDA path in one command, on a GPU machine: small train_sup.py / train_ssl.py / val_sup.py runs with
# mp4 files and with clips rendered on the GPU (DATA.RENDER_DEVICE cuda), torch.compile, then the speed benches;
# prints one markdown table (also in OUT/table.md) and keeps every log in OUT.
#
#   bash bench/cuda_check.sh [OUT]
#
# Without a GPU, RENDER=torch-cpu BASE=resnet18 SIZE=32 BATCH=8 SAMPLES=32 QUICK=1 runs the same steps on the CPU
# (a dry run of the script itself). A machine without network needs yacs, gdown, ffmpeg-python and imageio-ffmpeg
# as wheels in .wheels/ (pip download --only-binary=:all: --python-version 3.12 -d .wheels yacs gdown
# ffmpeg-python imageio-ffmpeg); they are installed from there.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/cuda_check}
RENDER=${RENDER:-cuda}
BASE=${BASE:-resnet50}
SIZE=${SIZE:-112}
BATCH=${BATCH:-32}
SAMPLES=${SAMPLES:-512}
QUICK=${QUICK:-0}
mkdir -p "$OUT"
if [ -d .wheels ]; then
  pip install -q --no-index --find-links .wheels yacs gdown ffmpeg-python imageio-ffmpeg || true
fi
: > "$OUT/table.md"
echo "| step | result | seconds | last line |" >> "$OUT/table.md"
echo "|---|---|---|---|" >> "$OUT/table.md"

step() {
  local name=$1; shift
  local start=$SECONDS status
  if "$@" > "$OUT/$name.log" 2>&1; then status=ok; else status=FAILED; fi
  local last
  last=$(grep -v '^\s*$' "$OUT/$name.log" | grep -E 'clips/s|ACC1|EPOCH|error|Error|saved|took' | tail -1 | cut -c1-150 | tr '|' '/')
  echo "| $name | $status | $((SECONDS - start)) | $last |" >> "$OUT/table.md"
}

COMMON=(DATA.IMG_SIZE "$SIZE" DATA.BATCH_SIZE "$BATCH" MODEL.TSM_BASE "$BASE" TRAIN.EPOCHS 2 TRAIN.EPOCHS_EVAL 1
        DATA.VAL_SAMPLES 32)
FRACTAL=(DATA.SOURCE fractal DATA.RENDER_DEVICE "$RENDER" DATA.SAMPLES_PER_EPOCH "$SAMPLES")

step classes python generate_synthetic.py --type fractal --gen_param 10 --dir_out "$OUT/params"
step videos python generate_synthetic.py --type fractal --samples "$SAMPLES" --dir_in "$OUT/params" --res 128 \
  --codec libx264 --dir_out "$OUT/generated"
step prepare python prepare_data.py --dataset toy --root "$OUT/data" --from "$OUT/generated" --val_per_class 2
FILES=(DATA.ROOT "$OUT/data" DATA.DATASET toy)

step sup_files python train_sup.py --cfg cfg/pretrain_sup/tsm.yaml --opts "${FILES[@]}" "${COMMON[@]}" \
  TRAIN.OUTPUT "$OUT/sup_files"
step sup_rendered python train_sup.py --cfg cfg/pretrain_sup/tsm.yaml --opts "${FRACTAL[@]}" "${COMMON[@]}" \
  DATA.CLASS_PARAMS "$OUT/params" TRAIN.OUTPUT "$OUT/sup_rendered"
step val_sup python val_sup.py --cfg cfg/pretrain_sup/tsm.yaml --opts "${FILES[@]}" "${COMMON[@]}" \
  MODEL.RESUME "$OUT/sup_files/ckpt_last.pth" TRAIN.OUTPUT "$OUT/val"
step resume python train_sup.py --cfg cfg/pretrain_sup/tsm.yaml --opts "${FRACTAL[@]}" "${COMMON[@]}" \
  DATA.CLASS_PARAMS "$OUT/params" TRAIN.EPOCHS 3 MODEL.RESUME "$OUT/sup_rendered/ckpt_last.pth" \
  TRAIN.OUTPUT "$OUT/sup_rendered"
step ssl_files python train_ssl.py --cfg cfg/pretrain_ssl/tsm.yaml --opts "${FILES[@]}" "${COMMON[@]}" \
  MOCO.K $((BATCH * 8)) TRAIN.OUTPUT "$OUT/ssl_files"
step ssl_rendered python train_ssl.py --cfg cfg/pretrain_ssl/tsm.yaml --opts "${FRACTAL[@]}" "${COMMON[@]}" \
  MOCO.K $((BATCH * 8)) TRAIN.OUTPUT "$OUT/ssl_rendered"
if [ "$QUICK" = 0 ]; then
  step sup_compiled python train_sup.py --cfg cfg/pretrain_sup/tsm.yaml --opts "${FRACTAL[@]}" "${COMMON[@]}" \
    DATA.CLASS_PARAMS "$OUT/params" TRAIN.COMPILE True TRAIN.EPOCHS 1 TRAIN.OUTPUT "$OUT/sup_compiled"
  step bench_render python -m bench.bench_online --device "$RENDER" --batch 64 --batches 20 --size "$SIZE"
  step bench_render_cpu python -m bench.bench_online --device cpu --workers "$(nproc)" --batches 20 --size "$SIZE"
  step bench_train python -m bench.bench_train --base "$BASE" --batch 64 --size "$SIZE" --steps 30
  step bench_train_compiled python -m bench.bench_train --base "$BASE" --batch 64 --size "$SIZE" --steps 30 --compile
  if command -v nvidia-smi > /dev/null; then  # how busy rendering + training keep the GPU
    nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 500 > "$OUT/gpu_busy.csv" &
    sampler=$!
  fi
  step bench_train_rendered python -m bench.bench_train --data fractal --base "$BASE" --batch 64 --size "$SIZE" \
    --steps 30 --workers "$(nproc)" --threads budget --render_device "$RENDER"
  if [ -n "${sampler:-}" ]; then
    kill "$sampler"
    echo "" >> "$OUT/table.md"
    echo "GPU busy while training on clips rendered on it: $(awk '{s += $1; n++} END {if (n) printf "%.0f", s / n}' \
      "$OUT/gpu_busy.csv") % on average (target >= 90 %)" >> "$OUT/table.md"
  fi
  step bench_files python -m bench.bench_data --videos 300 --codec libx264 --workers "$(nproc)"
  render=$(grep -o '[0-9.]* clips/s' "$OUT/bench_render.log" | head -1 | cut -d' ' -f1)
  train=$(grep -o '[0-9.]* clips/s' "$OUT/bench_train.log" | head -1 | cut -d' ' -f1)
  if [ -n "$render" ] && [ -n "$train" ]; then
    echo "" >> "$OUT/table.md"
    echo "rendering / training = $render / $train = $(echo "scale=2; $render / $train" | bc) (target >= 2)" \
      >> "$OUT/table.md"
  fi
fi
cat "$OUT/table.md"
! grep -q FAILED "$OUT/table.md"
