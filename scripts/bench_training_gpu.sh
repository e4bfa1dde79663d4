#!/usr/bin/env bash
# Training steps of the paper configuration on one GPU (random weights: speed and memory only): per-GPU batch 2,
# gradient checkpointing, bf16 autocast; stage 2 with the paper's window F = 2 and with F = 3, which the paper
# says exceeded its GPUs' memory, and the teacher-forcing ablation; stage 1 with the lip-reading term on.
#   bash scripts/bench_training_gpu.sh OUT_DIR      (one JSON per run and bench.log in OUT_DIR)
# Results: docs/training.md, "Paper configuration on a GPU".
set -u
out=${1:?usage: bench_training_gpu.sh OUT_DIR}
mkdir -p "$out"
bench() {
    local name=$1 limit=$2
    shift 2
    timeout "$limit" python scripts/bench_training.py --profile paper --preset paper --device cuda --batch 2 \
        --checkpointing --out "$out/$name.json" "$@" >>"$out/bench.log" 2>&1
    echo "$name: exit $?"
    grep -E '"(peak_memory_gib|steps_per_s|build_s)"' "$out/$name.json" 2>/dev/null || tail -n 5 "$out/bench.log"
}
bench stage2 150 --stage 2 --steps 1
bench stage3 150 --stage 3 --steps 1
bench stage1_lipread 90 --stage 1 --lipread --steps 3
bench stage2_f3 150 --stage 2 --segments 3 --steps 1
bench stage2_teacher_forcing 120 --stage 2 --variant teacher_forcing --steps 2
