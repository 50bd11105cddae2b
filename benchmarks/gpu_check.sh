#!/usr/bin/env bash
# The GPU checks (issue 19), for a machine with CuPy and an NVIDIA GPU, in one command of
# about 8 minutes on an H200: the gpu-marked tests (CuPy against NumPy), the motion benchmark on
# CuPy against its FFT bound, and every stage on CuPy beside NumPy on the same inputs
# (benchmarks/stage_profile.py: seconds, agreement of the outputs, bytes moved and bound).
# Logs go to $OUT (default /tmp).
set -u
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
out=${OUT:-/tmp}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import cupy, numpy, scipy; print('cupy', cupy.__version__, 'numpy', numpy.__version__, 'scipy', scipy.__version__)"
# the files holding gpu-marked tests (the rest need the workflow's extras to be collected)
python3 -m pytest -q -m gpu -p no:cacheprovider -W ignore::DeprecationWarning \
    tests/test_backend.py tests/events/test_pixel_events.py tests/correlate tests/motion \
    2>&1 | tee "$out/gpu_tests.log" | tail -15
python3 benchmarks/motion.py --backend cupy --frames "${FRAMES:-1000}" --size 512 --repeats 2 \
    2>&1 | tee "$out/gpu_motion.log"
python3 benchmarks/motion.py --backend numpy --only rigid --frames 500 --size 512 --repeats 1 \
    2>&1 | tail -4 | tee -a "$out/gpu_motion.log"
cd benchmarks && python3 stage_profile.py --backends numpy cupy --size 512 --frames "${PROFILE_FRAMES:-500}" \
    --timeout "${STAGE_TIMEOUT:-100}" --json "$out/gpu_profile.json" 2>&1 | tee "$out/gpu_profile.log"
