#!/usr/bin/env bash
# scripts/mouth_sync_training.py on a lent GPU, for the mouth-sync check of docs/training.md. Run from the repo
# root with the wheels in .whl/ (the device lacks diffusers' versions) and the prepared training clips packed in
# .gpu/prepared.tar.xz (`mkdir -p .gpu && tar -C data -cJf .gpu/prepared.tar.xz prepared/vfhq prepared/celebvhq
# prepared/hdtf`); models/lipreader travels too. One training run (stage 0, then stage 1) per seed, all seeds at
# once on the one GPU (a mini step is overhead-bound: ~0.2 s at batch 8 and 64 alike), the data workers shared
# out. Every run comes back as OUT/seedS.tar.xz, split in 15 MB parts (the device returns at most 8 files of at
# most 16 MiB): `cat OUT/seed0.tar.xz.part-* | tar -xJ -C DIR`; the device, the runs' logs and the GPU's
# utilisation every 10 s are in OUT/train.log.
#   bash scripts/mouth_sync_gpu.sh OUT_DIR STAGE0_SECONDS STAGE1_SECONDS [SEED ...]   (seeds: default 0)
set -u
out=${1:?usage: mouth_sync_gpu.sh OUT_DIR STAGE0_SECONDS STAGE1_SECONDS [SEED ...]}
seconds=([0]=${2:?stage 0 seconds} [1]=${3:?stage 1 seconds})
shift 3
seeds=("${@:-0}")
workers=$(( ($(nproc) - ${#seeds[@]}) / ${#seeds[@]} ))
work=/tmp/mouth_sync
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 3
# The device has no PyAV (nothing here decodes video) and no dvclive (it needs dvc): an empty av and a dvclive
# shim that writes dvclive's TSV layout (plots/metrics/<name>.tsv, metrics.json) stand in.
mkdir -p /tmp/shim && : >/tmp/shim/av.py
cat >/tmp/shim/dvclive.py <<'PY'
import json
from pathlib import Path


class Live:
    def __init__(self, dir, resume=False, **_):
        self.dir, self.step, self.values = Path(dir), 0, {}

    def log_metric(self, name, value):
        path = self.dir / "plots" / "metrics" / f"{name}.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text(f"step\t{name.split('/')[-1]}\n")
        with path.open("a") as f:
            f.write(f"{self.step}\t{value}\n")
        self.values[name] = value

    def next_step(self):
        (self.dir / "metrics.json").write_text(json.dumps({**self.values, "step": self.step}))

    def end(self):
        pass
PY
export PYTHONPATH=/tmp/site:/tmp/shim:$PWD PYTHONUNBUFFERED=1
mkdir -p data "$out" && tar -C data -xJf .gpu/prepared.tar.xz || exit 4
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >"$out/train.log"
python3 -c "import torch; print('torch', torch.__version__)" >>"$out/train.log"
mkdir -p "$work"
run_seed() {
    local seed=$1 dir=$work/seed$1 log=$work/seed$1.log start
    for stage in 0 1; do
        start=$SECONDS
        python3 scripts/mouth_sync_training.py --work "$dir" --stages "$stage" --seed "$seed" --num-workers "$workers" \
            --stage0-seconds "${seconds[0]}" --stage1-seconds "${seconds[1]}" >>"$log" 2>&1
        echo "seed $seed stage $stage: exit $? after $((SECONDS - start)) s" | tee -a "$log"
    done
    tar -C "$dir" -cf - params.yaml stage0/model stage0/summary.json stage0/dvclive stage1/model stage1/summary.json \
        stage1/dvclive | xz -9 | split -b 15M - "$out/seed$seed.tar.xz.part-"
}
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader -l 10 >"$work/gpu_usage.csv" &
monitor=$!
runs=()
for seed in "${seeds[@]}"; do
    run_seed "$seed" &
    runs+=($!)
done
wait "${runs[@]}"
kill "$monitor" 2>/dev/null
for seed in "${seeds[@]}"; do
    printf '\n== seed %s\n' "$seed" && cat "$work/seed$seed.log"
done >>"$out/train.log"
printf '\n== GPU utilisation, memory used (every 10 s)\n' >>"$out/train.log" && cat "$work/gpu_usage.csv" >>"$out/train.log"
