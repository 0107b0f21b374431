#!/bin/bash
# Submits the array job, then the merge job with --dependency=afterok:<array job id>: the merge runs only
# once every task has succeeded.
set -euo pipefail
cd "$(dirname "$0")/../.."
array_id=$(sbatch --parsable scripts/slurm/sweep_array.sbatch)
merge_id=$(sbatch --parsable --dependency="afterok:${array_id}" scripts/slurm/merge.sbatch)
echo "array job ${array_id}, merge job ${merge_id} (runs after every task succeeds)"
