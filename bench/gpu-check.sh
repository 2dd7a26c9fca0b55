#!/usr/bin/env bash
# bench/gpu-check.sh: the one script for a lent GPU machine (CUDA + PyTorch, no Java, no network).
# Uses the bundle bench/gpu-bundle.sh made (jlinked JRE, stripped jar, test classes, JUnit console, the
# compiled bench/cuda programs): prints the GPU and measures its FP32 peak (bench/gpu/fma_peak.py), compiles
# the kernels `neuroscan kernels --emit DIR --target cuda` writes with this machine's nvcc for sm_90, makes the
# gelu-1l-shaped model and the benchmark corpus, runs the CUDA JUnit tests (kernels with the jar's PTX and with
# NVRTC, the GPU engine contract, the CLI's CUDA scan) and the OpenCL ones where an ICD exists, scans on CUDA
# (manifest: topk_merge device), the CPU engine (and OpenCL), compares the stores, times the seed's and the
# best PyTorch pipelines on the same GPU and the engine's tasks (bench/cuda/CudaKernelTiming.java), and
# writes results.md, results.json, gpu-check.log and logs.tar.gz under $OUT. Then (issue 14, after every
# check above, which runs the FP32 path with --exact-fp32 as before) the tensor-core screen: its JUnit contract on
# CUDA and bench/cuda/ScreenedScanTiming (the screened device-store scan of all DOCS documents against the FP32
# one, bit-identical stores, ratio and counters) into screen.md / screen.json under $OUT (on a GPU, bench/results/ too).
# Every step logs and goes on after a failure; exit 0 only when every check passed (speed goals are
# reported in results.md, not counted). Without a CUDA driver every CUDA step is SKIP with its reason (the
# ones that can run anyway do, to check their classes and command lines), so it can be dry-run anywhere:
# DOCS=200 SEED_DOCS=32 bench/gpu-check.sh (bench/README.md, "GPU check").
#
# Environment: OUT (results; default target/gpu-check-out), DOCS (10000), SEED_DOCS (= DOCS), TOPK (20),
# REPS (3 timed CUDA scans), SCAN_TO (seconds per scan: 180 on a GPU, 600 in a dry run), BUDGET_S (no step starts after this: 540 s on a CUDA machine, to end inside the
# device tool's 10 minutes; 1800 s in a dry run, where nothing is that fast), GPU_BUNDLE (target/gpu-bundle),
# JAVA (a java to use instead of the bundle's), PYTHON (a python3 with torch), WORK (scratch directory).
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 2
OUT=${OUT:-$REPO/target/gpu-check-out}
WORK=${WORK:-${TMPDIR:-/tmp}/neuroscan-gpucheck}
BUNDLE=${GPU_BUNDLE:-$REPO/target/gpu-bundle}
DOCS=${DOCS:-10000}
SEED_DOCS=${SEED_DOCS:-$DOCS}
TOPK=${TOPK:-20}
REPS=${REPS:-3}
# CUDA=0 forces a dry run; otherwise a CUDA machine is one where nvidia-smi lists a GPU
HAVE_CUDA=0
if [ "${CUDA:-}" = 0 ]; then :
elif command -v nvidia-smi >/dev/null && timeout 30 nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then HAVE_CUDA=1
fi
BUDGET_S=${BUDGET_S:-$([ "$HAVE_CUDA" = 1 ] && echo 540 || echo 1800)}
mkdir -p "$OUT"
rm -rf "$WORK" && mkdir -p "$WORK"/{logs,json,runs,bin,tmp} || exit 2
: > "$OUT/gpu-check.log"
exec > >(tee -a "$OUT/gpu-check.log") 2>&1
TEE_PID=$!
STEPS=$WORK/steps.tsv WALLS=$WORK/walls.tsv
: > "$STEPS"; : > "$WALLS"
T_START=$(date +%s.%N)
export PYTHONUNBUFFERED=1 RUST_FLAVOR=cpu DJL_CACHE_DIR="$WORK/djl" OPT_OUT_TRACKING=true HF_HUB_OFFLINE=1

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
left() { awk -v a="$T_START" -v b="$(now)" -v t="$BUDGET_S" 'BEGIN { printf "%d", t - (b - a) }'; }
say() { printf '\n=== [%6ss] %s\n' "$(since "$T_START")" "$*"; }
# record NAME STATUS SECONDS NOTE: one line of the checks table (STATUS: PASS, FAIL, SKIP, INFO)
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >> "$STEPS"; echo "--> $1: $2${4:+ ($4)}"; }

# run NAME TIMEOUT CMD...: CMD with its output in logs/NAME.log (and here); sets RC and SECS. A step
# that would start past the budget is skipped (RC=125), and no step runs past it.
run() {
  local name=$1 to=$2; shift 2
  local l; l=$(left)
  if [ "$l" -le 5 ]; then RC=125 SECS=0; echo "(skipped $name: out of the ${BUDGET_S} s budget)"; return 125; fi
  [ "$to" -gt "$l" ] && to=$l
  say "$name: $*"
  local t0; t0=$(now)
  timeout -k 5 "$to" "$@" 2>&1 | tee "$WORK/logs/$name.log"
  RC=${PIPESTATUS[0]}
  SECS=$(since "$t0")
  [ "$RC" = 124 ] || [ "$RC" = 137 ] && echo "(timed out after ${to} s)"
  return "$RC"
}
# check NAME TIMEOUT CMD...: run, then PASS on exit 0, else FAIL
check() {
  local name=$1; run "$@"
  case $RC in
    0) record "$name" PASS "$SECS" ;;
    125) record "$name" SKIP 0 "out of time budget" ;;
    124|137) record "$name" FAIL "$SECS" "timed out" ;;
    *) record "$name" FAIL "$SECS" "exit $RC: $(lastline "$WORK/logs/$name.log")" ;;
  esac
}
# the last non-empty line of a log (a one-line error, usually), shortened
lastline() { grep -v '^\s*$' "$1" 2>/dev/null | grep -v 'Using incubator modules' | tail -1 | cut -c1-160 | tr '|\t' '/ '; }

# ------------------------------------------------------------------------------------------ tools
say "locating Java, Python, the bundle"
if [ -n "${JAVA:-}" ]; then :
elif [ -x "$BUNDLE/jre/bin/java" ]; then JAVA=$BUNDLE/jre/bin/java
elif [ -f "$BUNDLE/jre.tar.xz" ]; then
  t0=$(now)
  tar -xJf "$BUNDLE/jre.tar.xz" -C "$WORK" 2>/dev/null \
    || python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$BUNDLE/jre.tar.xz" "$WORK"
  JAVA=$WORK/jre/bin/java
  # the class-data archive a JDK install has (jlink leaves it out to stay small): faster JVM starts
  "$JAVA" -Xshare:dump > "$WORK/logs/cds.log" 2>&1 || echo "(no CDS archive: see logs/cds.log)"
  record jre-unpack PASS "$(since "$t0")" "$BUNDLE/jre.tar.xz"
elif [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then JAVA=$JAVA_HOME/bin/java
else JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
fi
pick() { for f in "$@"; do [ -e "$f" ] && { echo "$f"; return 0; }; done; echo "$1"; }
JAR=$(pick "$BUNDLE/neuroscan.jar" "$REPO/target/neuroscan.jar")
TESTCP=$(pick "$BUNDLE/test-classes" "$REPO/target/test-classes")
JUNIT=$(pick "$BUNDLE/junit-platform-console-standalone.jar" $(ls ~/.m2/repository/org/junit/platform/junit-platform-console-standalone/*/*.jar 2>/dev/null | sort -V | tail -1))
BENCHCP=$(pick "$BUNDLE/bench-classes" "$REPO/target/bench-classes")
PY=""
for c in "${PYTHON:-}" python3 /usr/bin/python3; do
  [ -n "$c" ] && "$c" -c 'import torch, numpy' >/dev/null 2>&1 && { PY=$c; break; }
done
PYNP=$PY
[ -z "$PYNP" ] && for c in python3 /usr/bin/python3; do "$c" -c 'import numpy' >/dev/null 2>&1 && { PYNP=$c; break; }; done
XMX=${JAVA_XMX:-$(awk '/MemTotal/ { g = int($2 / 1048576 / 2); print (g > 24 ? 24 : (g < 2 ? 2 : g)) "g" }' /proc/meminfo)}
JFLAGS="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmx$XMX -Djava.io.tmpdir=$WORK/tmp"
NS=$WORK/bin/neuroscan
printf '#!/usr/bin/env bash\nexec %q %s -jar %q "$@"\n' "$JAVA" "$JFLAGS" "$JAR" > "$NS" && chmod +x "$NS"
echo "java:   $JAVA ($("$JAVA" -version 2>&1 | head -1))"
echo "jar:    $JAR ($(du -h "$JAR" 2>/dev/null | cut -f1))"
echo "tests:  $TESTCP; junit: $JUNIT; bench classes: $BENCHCP"
echo "python: ${PY:-none with torch} ${PY:+($("$PY" -c 'import torch; print("torch", torch.__version__)'))}; numpy python: ${PYNP:-none}"
echo "docs $DOCS, seed docs $SEED_DOCS, top-k $TOPK, CUDA scan reps $REPS, budget ${BUDGET_S} s, -Xmx$XMX"
"$JAVA" -version >/dev/null 2>&1 && record java PASS 0 "$("$JAVA" -version 2>&1 | head -1)" || record java FAIL 0 "$JAVA does not run"
[ -f "$JAR" ] && record jar PASS 0 "$JAR" || record jar FAIL 0 "no neuroscan.jar: run bench/gpu-bundle.sh first"
[ -d "$TESTCP/neuroscan" ] && record test-classes PASS 0 "$TESTCP" || record test-classes FAIL 0 "no test classes at $TESTCP"
[ -f "$JUNIT" ] && record junit-console PASS 0 "$JUNIT" || record junit-console FAIL 0 "no junit-platform-console-standalone.jar"

# --------------------------------------------------------------------------------------- machine
NOCUDA="no CUDA driver (nvidia-smi lists no GPU)"
# PyTorch is part of the check on the GPU machine; a dry run elsewhere may lack it (its steps are then skipped)
if [ -n "$PY" ]; then record python-torch PASS 0 "$PY, torch $("$PY" -c 'import torch; print(torch.__version__)' 2>/dev/null)"
elif [ "$HAVE_CUDA" = 1 ]; then record python-torch FAIL 0 "no python3 with torch and numpy"
else record python-torch SKIP 0 "no python3 with torch and numpy on this machine (dry run: the PyTorch steps are skipped)"
fi
NV_ICD=$(grep -lis nvidia /etc/OpenCL/vendors/*.icd 2>/dev/null | head -1)
ANY_ICD=$(ls /etc/OpenCL/vendors/*.icd 2>/dev/null | head -1)
{
  echo "host: $(uname -srm); $(nproc) cores; $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
  grep -m1 'model name' /proc/cpuinfo
  if [ "$HAVE_CUDA" = 1 ]; then
    timeout 30 nvidia-smi
    timeout 30 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.sm,clocks.max.mem,power.limit,pstate,persistence_mode,compute_mode,temperature.gpu --format=csv
  else
    echo "no CUDA driver (nvidia-smi lists no GPU): CUDA steps are skipped"
  fi
  command -v nvcc >/dev/null && nvcc --version | tail -2
  ldconfig -p 2>/dev/null | grep -E 'libcuda\.so|libnvrtc|libOpenCL' | head -8
  echo "OpenCL ICDs: $(ls /etc/OpenCL/vendors/ 2>/dev/null | tr '\n' ' ')"
} 2>&1 | tee "$WORK/logs/machine.log"
if [ "$HAVE_CUDA" = 1 ]; then
  timeout 30 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,persistence_mode --format=csv,noheader,nounits > "$WORK/json/nvidia-smi.csv" 2>/dev/null
  timeout 30 nvidia-smi 2>/dev/null | grep -o 'CUDA Version: *[0-9.]*' | head -1 > "$WORK/json/cuda-version.txt"
fi
if [ -n "$PY" ]; then
  "$PY" - "$WORK/json/torch.json" <<'EOF' 2>&1 | tee -a "$WORK/logs/machine.log"
import json, sys, torch
r = {"torch": torch.__version__, "cuda_available": torch.cuda.is_available(), "torch_cuda": torch.version.cuda}
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    r.update(name=p.name, sms=p.multi_processor_count, capability=[p.major, p.minor], mem_gib=round(p.total_memory / 2**30, 1))
print("torch:", r)
json.dump(r, open(sys.argv[1], "w"))
EOF
fi
if [ "$HAVE_CUDA" = 1 ]; then
  # NVRTC (NEUROSCAN_CUDA_PTX=nvrtc) comes with the toolkit, often outside the loader's path
  if ! ldconfig -p 2>/dev/null | grep -q 'libnvrtc\.so'; then
    for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
      if ls "$d"/libnvrtc.so* >/dev/null 2>&1; then
        export LD_LIBRARY_PATH=$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
        record nvrtc-path INFO 0 "libnvrtc not in ldconfig; added $d to LD_LIBRARY_PATH"; break
      fi
    done
  fi
  # what every new process pays before its first kernel (a floor under one scan's end-to-end time)
  for i in 1 2; do run "cuda-init-$i" 60 "$PYNP" bench/gpu/cuda_init.py --json "$WORK/json/cuda-init.jsonl"; done
  record cuda-init "$([ "$RC" = 0 ] && echo INFO || echo FAIL)" "$SECS" "$(lastline "$WORK/logs/cuda-init-2.log")"
  # the measured FP32 peak (16 FMA chains per thread on every SM), which the MLP GEMM goal is quoted against;
  # with torch, cuBLAS SGEMM too
  run fp32-peak 120 "${PY:-$PYNP}" bench/gpu/fma_peak.py --json "$WORK/json/fma-peak.json" ${PY:+--torch}
  case $RC in
    0) record fp32-peak PASS "$SECS" "$(lastline "$WORK/logs/fp32-peak.log")" ;;
    125) record fp32-peak SKIP 0 "out of time budget" ;;
    *) record fp32-peak FAIL "$SECS" "exit $RC: $(lastline "$WORK/logs/fp32-peak.log")" ;;
  esac
else
  record cuda-init SKIP 0 "$NOCUDA"
  # the peak kernel still compiles here (nvcc or NVRTC), which checks its source; launching it needs the driver
  if [ -n "$PYNP" ] && run fp32-peak-ptx 60 "$PYNP" bench/gpu/fma_peak.py --compile-only; then
    record fp32-peak SKIP 0 "$NOCUDA; its PTX builds here: $(lastline "$WORK/logs/fp32-peak-ptx.log")"
  elif grep -q 'neither nvcc nor libnvrtc' "$WORK/logs/fp32-peak-ptx.log" 2>/dev/null || [ -z "$PYNP" ]; then
    record fp32-peak SKIP 0 "$NOCUDA; no nvcc or NVRTC to build its PTX either"
  else
    record fp32-peak FAIL "$SECS" "the peak kernel does not build: $(lastline "$WORK/logs/fp32-peak-ptx.log")"
  fi
fi
check devices 60 "$NS" devices
record cuda-driver "$([ $HAVE_CUDA = 1 ] && echo INFO || echo SKIP)" 0 "$([ $HAVE_CUDA = 1 ] && head -1 "$WORK/json/nvidia-smi.csv" || echo "$NOCUDA: CUDA steps skipped")"

# ------------------------------------------------------------------- the kernels' CUDA C, this nvcc, sm_90
# `neuroscan kernels --emit DIR --target cuda` writes each Java kernel's generated CUDA C; each must compile as
# it is with this machine's nvcc for Hopper (the jar's PTX is compute_75, JIT-compiled by the driver; this shows
# what sm_90 code the same source becomes: registers, spills, shared memory per kernel, from ptxas -v)
KCU=$WORK/kernels-cu
run kernels-emit 60 "$NS" kernels --emit "$KCU" --target cuda
ncu=$(ls "$KCU"/*.cu 2>/dev/null | wc -l)
nk=$("$NS" kernels 2>/dev/null | grep -c '  =  ')
if [ "$RC" = 0 ] && [ "$ncu" -gt 0 ] && [ "$ncu" = "$nk" ]; then record kernels-emit PASS "$SECS" "$ncu .cu files ($KCU)"
elif [ "$RC" = 125 ]; then record kernels-emit SKIP 0 "out of time budget"
else record kernels-emit FAIL "$SECS" "exit $RC, $ncu .cu files for $nk kernels: $(lastline "$WORK/logs/kernels-emit.log")"
fi
NVCC=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
if [ -z "$NVCC" ]; then record nvcc-sm90 SKIP 0 "no nvcc on this machine"
elif [ "$ncu" = 0 ]; then record nvcc-sm90 "$([ "$RC" = 125 ] && echo SKIP || echo FAIL)" 0 "nothing to compile (kernels-emit did not run)"
else
  nvcc_all() {
    local f ok=0 bad=0
    for f in "$KCU"/*.cu; do
      if "$NVCC" -cubin -arch=sm_90 -Xptxas -v -diag-suppress 177 -o "${f%.cu}.sm_90.cubin" "$f" > "${f%.cu}.nvcc.log" 2>&1; then ok=$((ok + 1))
      else bad=$((bad + 1)); echo "nvcc failed on $f:"; fi
      cat "${f%.cu}.nvcc.log"
    done
    echo "$ok compiled, $bad failed"
    [ "$bad" = 0 ]
  }
  export NVCC KCU; export -f nvcc_all
  run nvcc-sm90 120 bash -c nvcc_all
  # per kernel: registers, spill stores / loads, stack, shared memory (report.py tabulates it)
  for f in "$KCU"/*.nvcc.log; do
    k=$(basename "$f" .nvcc.log)
    regs=$(grep -oE 'Used [0-9]+ registers' "$f" | grep -oE '[0-9]+' | head -1)
    spill=$(grep -oE '[0-9]+ bytes spill stores, [0-9]+ bytes spill loads' "$f" | head -1 | grep -oE '[0-9]+' | paste -sd/ -)
    stack=$(grep -oE '[0-9]+ bytes stack frame' "$f" | grep -oE '[0-9]+' | head -1)
    smem=$(grep -oE '[0-9]+ bytes smem' "$f" | grep -oE '[0-9]+' | head -1)
    printf '%s\t%s\t%s\t%s\t%s\n' "$k" "${regs:-?}" "${spill:-?}" "${stack:-0}" "${smem:-0}"
  done > "$WORK/json/nvcc-sm90.tsv"
  nv=$("$NVCC" --version | grep -o 'release [0-9.]*' | head -1)
  case $RC in
    0) record nvcc-sm90 PASS "$SECS" "$ncu kernels compiled for sm_90 ($nv)" ;;
    125) record nvcc-sm90 SKIP 0 "out of time budget" ;;
    *) record nvcc-sm90 FAIL "$SECS" "$(lastline "$WORK/logs/nvcc-sm90.log") ($nv)" ;;
  esac
fi

# ------------------------------------------------------------------------------- model and corpus
MODEL=$WORK/model CORPUS=$WORK/corpus.jsonl
check model 120 "$JAVA" $JFLAGS -cp "$JAR:$TESTCP" neuroscan.model.TorchCheckpointWriter "$MODEL"
cp src/test/fixtures/data/tokenizer/*.json "$MODEL/" 2>/dev/null
run corpus 60 bash -c '"$1" bench/tools/make_corpus.py "$2" > "$3"' _ "${PYNP:-python3}" "$DOCS" "$CORPUS"
[ "$RC" = 0 ] && record corpus PASS "$SECS" "$DOCS documents, $(du -h "$CORPUS" | cut -f1)" || record corpus FAIL "$SECS" "exit $RC"

# ---------------------------------------------------------------------------------------- JUnit
# junit NAME NEED_DEVICE CLASS|CLASS#METHOD... (env passes through): PASS when tests ran and none failed; all
# of them skipped (JUnit "aborted": no driver) is SKIP, or FAIL where NEED_DEVICE says the device is there.
junit() {
  local name=$1 need=$2; shift 2
  local sel=(); for c in "$@"; do case $c in *'#'*) sel+=(--select-method "$c") ;; *) sel+=(--select-class "$c") ;; esac; done
  run "$name" 300 "$JAVA" $JFLAGS -jar "$JUNIT" execute --disable-banner --disable-ansi-colors --details=tree \
      --class-path "$JAR:$TESTCP" --reports-dir "$WORK/logs/junit-$name" "${sel[@]}"
  local f="$WORK/logs/$name.log"
  n() { grep -E "\[ *[0-9]+ $1 *\]" "$f" | grep -oE '[0-9]+' | head -1; }
  local found ok failed aborted cfailed
  found=$(n 'tests found'); ok=$(n 'tests successful'); failed=$(n 'tests failed')
  aborted=$(n 'tests aborted'); cfailed=$(n 'containers failed')
  found=${found:-0} ok=${ok:-0} failed=${failed:-0} aborted=${aborted:-0} cfailed=${cfailed:-0}
  local note="$ok passed, $failed failed, $aborted skipped of $found${NEUROSCAN_CUDA_PTX:+; NEUROSCAN_CUDA_PTX=$NEUROSCAN_CUDA_PTX}"
  if [ "$RC" = 125 ]; then record "$name" SKIP 0 "out of time budget"
  elif [ "$RC" = 124 ] || [ "$RC" = 137 ]; then record "$name" FAIL "$SECS" "timed out; $note"
  elif grep -qE 'ClassNotFoundException|Could not load class|Could not find method' "$f"; then record "$name" FAIL "$SECS" "test class or method not found in $TESTCP"
  elif [ "$failed" != 0 ] || [ "$cfailed" != 0 ] || [ "$RC" != 0 ]; then
    record "$name" FAIL "$SECS" "$note; $cfailed containers failed; exit $RC"
  elif [ "$found" = 0 ]; then record "$name" FAIL "$SECS" "no tests found"
  elif [ "$ok" = 0 ]; then
    local why; why=$(grep -m1 -oE 'Assumption failed: .*' "$f" | head -1 | cut -c1-160 | tr '|' '/')
    record "$name" "$([ "$need" = 1 ] && echo FAIL || echo SKIP)" "$SECS" "all $aborted skipped${why:+: $why}"
  elif [ "$need" = 0 ] && [ "$aborted" != 0 ] && [ "${JUNIT_PARTIAL_SKIP:-0}" = 1 ]; then
    record "$name" SKIP "$SECS" "$note (the rest need the device)"
  else record "$name" PASS "$SECS" "$note"
  fi
}
# The CUDA tests: on the GPU machine every one must run and pass; without a driver they still run, which
# checks that the bundle has the classes and that each skips itself saying why (SKIP)
JUNIT_PARTIAL_SKIP=$((1 - HAVE_CUDA)) junit cuda-kernels-ptx "$HAVE_CUDA" neuroscan.engine.cuda.CudaKernelsTest
NEUROSCAN_CUDA_PTX=nvrtc JUNIT_PARTIAL_SKIP=$((1 - HAVE_CUDA)) junit cuda-kernels-nvrtc "$HAVE_CUDA" neuroscan.engine.cuda.CudaKernelsTest
JUNIT_PARTIAL_SKIP=$((1 - HAVE_CUDA)) junit cuda-engine "$HAVE_CUDA" neuroscan.engine.cuda.CudaEngineTest
JUNIT_PARTIAL_SKIP=$((1 - HAVE_CUDA)) junit cuda-scan-cli "$HAVE_CUDA" 'neuroscan.cli.ScanShowCliTest#cudaScanMatchesCpuScan'
# OpenCL: on the GPU machine where NVIDIA's ICD is there; in a dry run (no CUDA) on whatever ICD there is (PoCL)
if [ -n "$NV_ICD" ] || { [ "$HAVE_CUDA" = 0 ] && [ -n "$ANY_ICD" ]; }; then
  junit opencl-tests 0 neuroscan.engine.opencl.KernelsTest neuroscan.engine.opencl.OpenClEngineTest
else
  record opencl-tests SKIP 0 "no NVIDIA OpenCL ICD in /etc/OpenCL/vendors"
fi

# ----------------------------------------------------------------------------------------- scans
# scan NAME ARGS...: `neuroscan scan` into runs/NAME, wall clock (JVM start to exit) into walls.tsv; 180 s each
# on a GPU machine, 600 s in a dry run (PoCL on a shared CPU is slow; the budget still bounds the whole run)
SCAN_TO=${SCAN_TO:-$([ "$HAVE_CUDA" = 1 ] && echo 180 || echo 600)}
scan() {
  local name=$1; shift
  check "scan-$name" "$SCAN_TO" "$NS" scan --model "$MODEL" --dataset "$CORPUS" --top-k "$TOPK" --out "$WORK/runs/$name" --quiet "$@"
  [ "$RC" = 0 ] && printf '%s\t%s\n' "$name" "$SECS" >> "$WALLS"
  return "$RC"
}
# merge_at NAME RUN WANT: the run's manifest says "topk_merge": WANT (device: the store stayed on the GPU)
merge_at() {
  local name=$1 m=$WORK/runs/$2/manifest.json want=$3 got
  [ -f "$m" ] || { record "$name" FAIL 0 "no runs/$2/manifest.json (scan-$2 failed)"; return; }
  got=$(grep -oE '"topk_merge" *: *"[a-z]*"' "$m" | grep -oE '"[a-z]*"$' | tr -d '"')
  [ "$got" = "$want" ] && record "$name" PASS 0 "runs/$2/manifest.json: \"topk_merge\": \"$got\"" \
    || record "$name" FAIL 0 "runs/$2/manifest.json: topk_merge is '${got:-missing}', not '$want'"
}
# compare NAME GOT WANT [--positions]: store_compare.py, PASS when the stores are equal
compare() {
  local name=$1 got=$2 want=$3; shift 3
  if [ ! -f "$WORK/runs/$got/store.safetensors" ] || [ ! -f "$WORK/runs/$want/store.safetensors" ]; then
    record "$name" FAIL 0 "missing store: runs/$got or runs/$want did not finish"; return
  fi
  check "$name" 120 "$PYNP" bench/gpu/store_compare.py "$WORK/runs/$got" "$WORK/runs/$want" --label "$name" --json "$WORK/json/$name.json" "$@"
}
TOK=$WORK/runs/cpu-cold
scan cpu-cold --backend cpu                                     # tokenizes; its token cache feeds every other run
merge_at cpu-topk-merge cpu-cold host
CUDA_OK=0
if [ "$HAVE_CUDA" = 1 ]; then
  for i in $(seq 1 "$REPS"); do scan "cuda-$i" --backend cuda --exact-fp32 --tokens-from "$TOK" && CUDA_OK=1; done
  merge_at cuda-topk-merge cuda-1 device
  compare store-cuda-vs-cpu cuda-1 cpu-cold --positions
  if [ "$REPS" -ge 2 ] && [ -f "$WORK/runs/cuda-2/store.safetensors" ]; then
    cmp -s "$WORK/runs/cuda-1/store.safetensors" "$WORK/runs/cuda-2/store.safetensors" \
      && record cuda-deterministic PASS 0 "runs 1 and 2 byte-identical" \
      || record cuda-deterministic INFO 0 "runs 1 and 2 differ in bytes (see store-cuda-vs-cpu for the values)"
  fi
else
  # the command line still runs: --backend cuda must refuse in one line saying why (exit 1), nothing else
  run scan-cuda-1 60 "$NS" scan --model "$MODEL" --dataset "$CORPUS" --top-k "$TOPK" --out "$WORK/runs/cuda-1" --quiet \
      --backend cuda --exact-fp32 --tokens-from "$TOK"
  msg=$(grep -m1 '^neuroscan: --backend cuda: ' "$WORK/logs/scan-cuda-1.log")
  if [ "$RC" = 1 ] && [ -n "$msg" ]; then record scan-cuda SKIP "$SECS" "$NOCUDA; the scan says: ${msg#neuroscan: }"
  elif [ "$RC" = 125 ]; then record scan-cuda SKIP 0 "$NOCUDA; out of time budget"
  else record scan-cuda FAIL "$SECS" "without a driver --backend cuda should exit 1 with one line; exit $RC: $(lastline "$WORK/logs/scan-cuda-1.log")"
  fi
  for s in cuda-topk-merge store-cuda-vs-cpu cuda-deterministic scan-cuda-padded; do record "$s" SKIP 0 "$NOCUDA"; done
fi
# the seed's semantics (PAD to n_ctx, max over pads too), to check the PyTorch seed store: CUDA, else CPU
PADDED=cuda-padded PB=cuda
[ "$CUDA_OK" = 1 ] || PADDED=cpu-padded PB=cpu
scan "$PADDED" --backend "$PB" --include-padding --max-docs "$SEED_DOCS" --tokens-from "$TOK" $([ "$PB" = cuda ] && echo --exact-fp32)
# OpenCL scan: NVIDIA's ICD; PoCL only in a small dry run (it is ~5x slower than the CPU engine)
if [ -n "$NV_ICD" ] || { [ "$HAVE_CUDA" = 0 ] && [ -n "$ANY_ICD" ] && [ "$DOCS" -le 1000 ]; }; then
  scan opencl --backend opencl --exact-fp32 --tokens-from "$TOK"
  merge_at opencl-topk-merge opencl device
  compare store-opencl-vs-cpu opencl cpu-cold --positions
elif [ "$HAVE_CUDA" = 1 ]; then
  record scan-opencl SKIP 0 "no NVIDIA OpenCL ICD in /etc/OpenCL/vendors"
else
  record scan-opencl SKIP 0 "${ANY_ICD:+DOCS > 1000: too slow on a CPU OpenCL}${ANY_ICD:-no OpenCL ICD}"
fi
scan cpu --backend cpu --tokens-from "$TOK"                     # the CPU engine's time with tokens cached
[ -f "$WORK/runs/cpu/store.safetensors" ] && { cmp -s "$WORK/runs/cpu/store.safetensors" "$TOK/store.safetensors" \
  && record cpu-deterministic PASS 0 "cached-token re-scan byte-identical" \
  || record cpu-deterministic FAIL 0 "CPU re-scan from the token cache differs from the first scan"; }

# ---------------------------------------------------------------------------------- kernel timing
# per task of the batch graph (embed ... topk_merge): ms, GFLOP/s, GB/s, % of peak; then docMax end to end. The
# bundle has it compiled (its JRE has no compiler); a JDK can launch the source. Without a driver it exits 2
# saying why, which still checks the class and its classpath.
KT=()
if [ -f "$BENCHCP/CudaKernelTiming.class" ]; then KT=("$JAVA" $JFLAGS -cp "$JAR:$TESTCP:$BENCHCP" CudaKernelTiming 0 5)
elif [ -f bench/cuda/CudaKernelTiming.java ] && "$JAVA" --list-modules 2>/dev/null | grep -q '^jdk.compiler@'; then
  KT=("$JAVA" $JFLAGS -cp "$JAR:$TESTCP" bench/cuda/CudaKernelTiming.java 0 5)
fi
if [ ${#KT[@]} = 0 ]; then record kernel-timing FAIL 0 "CudaKernelTiming not compiled into $BENCHCP and $JAVA has no compiler (rerun bench/gpu-bundle.sh)"
elif [ "$HAVE_CUDA" = 1 ]; then check kernel-timing 240 "${KT[@]}"
else
  run kernel-timing 60 "${KT[@]}"
  msg=$(grep -m1 '^CudaKernelTiming: no CUDA GPU' "$WORK/logs/kernel-timing.log")
  if [ "$RC" = 2 ] && [ -n "$msg" ]; then record kernel-timing SKIP "$SECS" "$NOCUDA; it says: ${msg#CudaKernelTiming: }"
  elif [ "$RC" = 125 ]; then record kernel-timing SKIP 0 "$NOCUDA; out of time budget"
  else record kernel-timing FAIL "$SECS" "exit $RC: $(lastline "$WORK/logs/kernel-timing.log")"
  fi
  mv "$WORK/logs/kernel-timing.log" "$WORK/logs/kernel-timing-nocuda.log"   # no table for the report
fi

# --------------------------------------------------------------------------------- seed in PyTorch
BEST_REF=cpu-cold
if [ "$SEED_DOCS" != "$DOCS" ]; then
  BEST_REF=cpu-seeddocs
  scan cpu-seeddocs --backend cpu --max-docs "$SEED_DOCS" --tokens-from "$TOK"
fi
# the PAD id the padded scan used: the tokenizer's pad_token (tokenizer_config.json), looked up in tokenizer.json
PAD_ID=$("${PYNP:-python3}" - "$MODEL" <<'EOF' 2>/dev/null || echo 2
import json, os, sys
d = sys.argv[1]
cfg = json.load(open(os.path.join(d, "tokenizer_config.json")))
pad = cfg.get("pad_token") or cfg.get("eos_token")
pad = pad.get("content") if isinstance(pad, dict) else pad
tok = json.load(open(os.path.join(d, "tokenizer.json")))
ids = [t["id"] for t in tok.get("added_tokens", []) if t.get("content") == pad] or [tok["model"]["vocab"][pad]]
print(ids[0])
EOF
)
if [ -n "$PY" ] && [ -f "$TOK/tokens.safetensors" ]; then
  tail=(); [ "$HAVE_CUDA" = 1 ] && tail=(--tl-tail)
  echo "PAD id $PAD_ID (the model's tokenizer)"
  run seed-pytorch 400 "$PY" bench/gpu/seed_pipeline.py --model "$MODEL" --tokens "$TOK" --docs "$SEED_DOCS" --top-k "$TOPK" \
      --pad "$PAD_ID" \
      --compare-seed "$WORK/runs/$PADDED" --best --compare-best "$WORK/runs/$BEST_REF" "${tail[@]}" \
      --out-dir "$WORK/runs/pytorch" --json "$WORK/json/seed.json"
  case $RC in
    0) record seed-pytorch PASS "$SECS" "seed and best stores equal neuroscan's" ;;
    1) record seed-pytorch FAIL "$SECS" "a PyTorch store differs from neuroscan's (see logs/seed-pytorch.log)" ;;
    125) record seed-pytorch SKIP 0 "out of time budget" ;;
    *) record seed-pytorch FAIL "$SECS" "exit $RC" ;;
  esac
  if [ "$HAVE_CUDA" = 0 ]; then record seed-on-gpu SKIP 0 "$NOCUDA (the pipelines ran on $(grep -o '"device": "[a-z:0-9]*"' "$WORK/json/seed.json" 2>/dev/null | cut -d'"' -f4))"
  elif grep -q '"device": "cuda' "$WORK/json/seed.json" 2>/dev/null; then record seed-on-gpu PASS 0 "PyTorch ran on $(grep -o '"gpu": "[^"]*"' "$WORK/json/seed.json" | cut -d'"' -f4)"
  else record seed-on-gpu FAIL 0 "PyTorch did not run on the GPU"
  fi
elif [ -z "$PY" ] && [ "$HAVE_CUDA" = 0 ]; then
  record seed-pytorch SKIP 0 "no python3 with torch on this machine (dry run)"
  record seed-on-gpu SKIP 0 "$NOCUDA"
else
  record seed-pytorch FAIL 0 "${PY:+no token cache (scan-cpu-cold failed)}${PY:-no python3 with torch}"
fi

# ------------------------------------------------------------------- issue 14: the tensor-core screen
# After everything above (the FP32 CUDA path first: it had never run on a GPU). Its JUnit contract on CUDA (the
# kernel-level contract, KernelsContract#screen*, already ran in cuda-kernels-*), then bench/cuda/ScreenedScanTiming
# on the cpu-cold run's token cache (all DOCS documents, top-TOPK): the scan's device store with screening ON and
# OFF, REPS times each, the stores bit-identical, the ratio and the counters into screen.md / screen.json. A CLI
# scan keeps statistics, which the screen cannot keep exact yet, so it does not screen: this runs on the engine.
# Dry run: the same on PoCL (the tensor cores' model; one rep, no speed).
JUNIT_PARTIAL_SKIP=$((1 - HAVE_CUDA)) junit cuda-screen "$HAVE_CUDA" neuroscan.engine.cuda.CudaScreenedScanTest
SST=()
if [ -f "$BENCHCP/ScreenedScanTiming.class" ]; then SST=("$JAVA" $JFLAGS -cp "$JAR:$TESTCP:$BENCHCP" ScreenedScanTiming)
elif [ -f bench/cuda/ScreenedScanTiming.java ] && "$JAVA" --list-modules 2>/dev/null | grep -q '^jdk.compiler@'; then
  SST=("$JAVA" $JFLAGS -cp "$JAR:$TESTCP" bench/cuda/ScreenedScanTiming.java)
fi
screen_timing() {   # screen_timing BACKEND REPS
  run screen-scan 420 "${SST[@]}" "$MODEL" "$TOK/tokens.safetensors" "$WORK/screen" "$TOPK" "$2" "$1"
  case $RC in
    0) record screen-identical PASS "$SECS" "screened and FP32 device stores bit-identical ($1)"
       cp "$WORK/screen/screen.md" "$WORK/screen/screen.json" "$OUT/"
       if [ "$1" = cuda ]; then mkdir -p "$REPO/bench/results" && cp "$WORK/screen/screen.md" "$WORK/screen/screen.json" "$REPO/bench/results/"; fi
       record screen-speed INFO 0 "$(grep -m1 'speed-up' "$WORK/screen/screen.md")${3:+; $3}" ;;
    1) record screen-identical FAIL "$SECS" "the screened store differs from the FP32 one (logs/screen-scan.log)" ;;
    125) record screen-identical SKIP 0 "out of time budget" ;;
    *) record screen-identical FAIL "$SECS" "exit $RC: $(lastline "$WORK/logs/screen-scan.log")" ;;
  esac
}
if [ ${#SST[@]} = 0 ]; then record screen-identical FAIL 0 "ScreenedScanTiming not compiled into $BENCHCP and $JAVA has no compiler (rerun bench/gpu-bundle.sh)"
elif [ ! -f "$TOK/tokens.safetensors" ]; then record screen-identical FAIL 0 "no token cache (scan-cpu-cold failed)"
elif [ "$HAVE_CUDA" = 1 ]; then screen_timing cuda "$REPS"
elif [ -n "$ANY_ICD" ] && [ "$DOCS" -le 1000 ]; then screen_timing opencl 1 "dry run on PoCL: mma is only modelled, the times are no measure"
else record screen-identical SKIP 0 "$NOCUDA; ${ANY_ICD:+DOCS > 1000: too slow on a CPU OpenCL}${ANY_ICD:-no OpenCL ICD}"
fi

# ---------------------------------------------------------------------------------------- report
say "report"
if [ -n "$PYNP" ] && "$PYNP" bench/gpu/report.py --work "$WORK" --out "$OUT" --docs "$DOCS" --seed-docs "$SEED_DOCS" \
     --reps "$REPS" --elapsed "$(since "$T_START")"; then :
else
  { echo "# GPU check (report.py failed; raw checks)"; echo; echo '| check | status | s | note |'; echo '|---|---|---:|---|'
    awk -F'\t' '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$STEPS"; } > "$OUT/results.md"
fi
tar -czf "$OUT/logs.tar.gz" -C "$WORK" logs json steps.tsv walls.tsv $(cd "$WORK" && ls -d kernels-cu 2>/dev/null) \
  $(cd "$WORK" && ls runs/*/manifest.json runs/*/store.safetensors runs/pytorch/*.safetensors 2>/dev/null) 2>/dev/null
cat "$OUT/results.md"
FAILS=$(awk -F'\t' '$2 == "FAIL"' "$STEPS" | wc -l)
say "done in $(since "$T_START") s: $FAILS failed checks; results in $OUT"
exec 1>&- 2>&-                                                  # let tee finish the log before exiting
wait "$TEE_PID" 2>/dev/null
[ "$FAILS" = 0 ]
