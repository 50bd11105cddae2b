#!/usr/bin/env bash
# The GPU checks of issue 3, for a machine with CuPy and an NVIDIA GPU: the gpu-marked
# tests (CuPy against NumPy), then the motion benchmark on the CuPy backend.
set -u
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
out=${OUT:-/tmp}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python3 -c "import cupy, numpy, scipy; print('cupy', cupy.__version__, 'numpy', numpy.__version__, 'scipy', scipy.__version__)"
python3 -m pytest -q -m gpu -p no:cacheprovider tests 2>&1 | tee "$out/gpu_tests.log" | tail -15
python3 benchmarks/motion.py --backend cupy --frames "${FRAMES:-2000}" --size 512 --repeats 2 2>&1 | tee "$out/gpu_bench.log"
python3 benchmarks/motion.py --backend numpy --only rigid --frames 500 --size 512 --repeats 1 2>&1 | tail -4 | tee -a "$out/gpu_bench.log"
