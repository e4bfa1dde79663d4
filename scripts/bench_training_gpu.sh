#!/usr/bin/env bash
# Training steps of the paper configuration on one GPU (random weights: speed and memory only): per-GPU batch 2,
# gradient checkpointing, bf16 autocast; stage 1 with and without the lip-reading term; stage 2 with the paper's
# window F = 2, with F = 3 (which the paper says exceeded its GPUs' memory), with 5 rollout steps instead of 25,
# and the teacher-forcing ablation; stage 3.
#   bash scripts/bench_training_gpu.sh OUT_DIR [RUN ...]   (all runs by default; one JSON per run + bench.log)
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
declare -A RUNS=(
    [stage1]="90 --stage 1 --steps 3"
    [stage1_lipread]="90 --stage 1 --lipread --steps 3"
    [stage2]="150 --stage 2 --steps 1"
    [stage2_rollout5]="90 --stage 2 --sampling-steps 5 --steps 2"
    [stage2_f3]="150 --stage 2 --segments 3 --steps 1"
    [stage2_teacher_forcing]="120 --stage 2 --variant teacher_forcing --steps 2"
    [stage3]="150 --stage 3 --steps 1"
)
shift
names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=("${!RUNS[@]}")
for name in "${names[@]}"; do
    [[ -n "${RUNS[$name]:-}" ]] || { echo "unknown run $name; runs: ${!RUNS[*]}"; exit 2; }
    # shellcheck disable=SC2086  # the table's entries are argument lists
    bench "$name" ${RUNS[$name]}
done
