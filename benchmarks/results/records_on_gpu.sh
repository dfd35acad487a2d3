#!/usr/bin/env bash
# Train results-table entries side by side on one GPU, each code length in its own process
# (records are merged under a lock by benchmarks.results.results_table), after computing the
# features there.  cmhash must be importable by $PYTHON (installed, or PYTHONPATH=src).
#
#   bash benchmarks/results/records_on_gpu.sh DATA_ROOT RECORD:BITS [RECORD:BITS ...]
#   e.g. bash benchmarks/results/records_on_gpu.sh ../shared/data mith-mirflickr:16 \
#        mith-mirflickr:64 math-mirflickr:32 hmah-minilm-mirflickr:16,32,64,128
#
# LIMIT (seconds, default 3600) bounds each process; runs checkpoint every epoch, so a killed
# entry continues with
# `python -m benchmarks.results.results_table --reuse --resume --only RECORD`.
# Logs: $LOGS (default /tmp/cmhash-gpu-logs).  Each row's record names the GPU it trained on.
set -u
DATA=${1:?data root}; shift
LIMIT=${LIMIT:-3600}; LOGS=${LOGS:-/tmp/cmhash-gpu-logs}
cd "$(dirname "$0")/../.."
mkdir -p "$LOGS"
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
PYTHON=${PYTHON:-python3}
$PYTHON -m cmhash encode mirflickr-images --data-root "$DATA" \
  --image-encoder efficientnet_lite0:device=cuda --text-encoder minilm:device=cuda \
  --workers "$(nproc)" --batch-size 256 --no-compile
$PYTHON -c "
import sys
from cmhash.data import load_dataset
from cmhash.inputs import feature_source, label_text_inputs
dataset = load_dataset('mirflickr-images', sys.argv[1])
label_text_inputs(dataset, feature_source(dataset, 'tokens', 'text', 'minilm:device=cuda'))
" "$DATA"
pids=()
for entry in "$@"; do
  record=${entry%%:*}; bits=${entry#*:}
  name="$record-${bits//,/-}"
  timeout "$LIMIT" $PYTHON -m benchmarks.results.results_table --reuse --resume --device cuda \
    --only "$record" --bits ${bits//,/ } --runs "runs/gpu/$name" --out "$LOGS/$name.md" \
    --data-root "$DATA" > "$LOGS/$name.log" 2>&1 &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
