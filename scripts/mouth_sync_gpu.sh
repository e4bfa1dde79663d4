#!/usr/bin/env bash
# scripts/mouth_sync_training.py on a lent GPU, for the mouth-sync check of docs/training.md. Run from the repo
# root with the wheels in .whl/ (the device lacks diffusers' versions) and the prepared training clips packed in
# .gpu/prepared.tar.xz (`mkdir -p .gpu && tar -C data -cJf .gpu/prepared.tar.xz prepared/vfhq prepared/celebvhq
# prepared/hdtf`); models/lipreader travels too. Each trained stage comes back as 15 MB parts of one tar
# (the device returns files of at most 16 MiB): `cat OUT/stage0.tar.part-* | tar -x -C DIR`.
#   bash scripts/mouth_sync_gpu.sh OUT_DIR STAGE0_SECONDS STAGE1_SECONDS
set -u
out=${1:?usage: mouth_sync_gpu.sh OUT_DIR STAGE0_SECONDS STAGE1_SECONDS}
seconds=([0]=${2:?stage 0 seconds} [1]=${3:?stage 1 seconds})
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
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >"$out/device.txt"
python3 -c "import torch; print('torch', torch.__version__)" >>"$out/device.txt"
for stage in 0 1; do
    start=$SECONDS
    python3 scripts/mouth_sync_training.py --work "$work" --stages "$stage" --stage0-seconds "${seconds[0]}" \
        --stage1-seconds "${seconds[1]}" >>"$out/train.log" 2>&1
    echo "stage $stage: exit $? after $((SECONDS - start)) s" | tee -a "$out/train.log"
    tar -C "$work" -cf - params.yaml "stage$stage/model" "stage$stage/summary.json" "stage$stage/dvclive" |
        split -b 15M - "$out/stage$stage.tar.part-"
done
