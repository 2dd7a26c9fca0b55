#!/usr/bin/env bash
# bench/gpu-bundle.sh: builds, on a machine with JDK 25 and Maven, what bench/gpu-check.sh needs on a GPU
# machine that has no Java, into target/gpu-bundle/ (git-ignored, carried with the device run):
#   jre.tar.xz          a jlinked JRE (the modules jdeps finds + jdk.incubator.vector), xz-compressed; no
#                       jdk.compiler: nothing at run time needs one (the kernels are translated and built to
#                       PTX at build time, bench/cuda/*.java is compiled here)
#   neuroscan.jar       the shaded jar (with the kernels' C and PTX) without other platforms' native libraries
#   test-classes/       the test classes and resources (CudaKernelsTest, CudaEngineTest + GpuEngineContract,
#                       ScanShowCliTest, the OpenCL tests, and src/support: RandomWeights, TorchCheckpointWriter)
#   junit-platform-console-standalone.jar   to run them (Maven Central, through mvn dependency:copy)
#   bench-classes/      bench/cuda/*.java compiled here against target/classes:target/test-classes
#   BUNDLE.txt          what was built from what
# The device tool moves the working tree and the carried paths together, 64 MiB at most: this prints
# both sizes and fails when they add up to more. SKIP_BUILD=1 reuses target/ as it is.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export PATH=$JAVA_HOME/bin:$PATH
B=target/gpu-bundle
LIMIT=$((64 * 1024 * 1024))
die() { echo "gpu-bundle: $*" >&2; exit 1; }
"$JAVA_HOME/bin/java" -version 2>&1 | grep -q '"25' || die "needs JDK 25 at JAVA_HOME ($JAVA_HOME)"
for t in jlink jdeps javac mvn zip unzip xz git; do command -v "$t" >/dev/null || die "needs $t on PATH"; done

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "building target/neuroscan.jar and the test classes (mvn package -DskipTests)..."
  mkdir -p target
  mvn -B -ntp -q -DskipTests package > target/gpu-bundle-build.log 2>&1 || die "mvn package failed; see target/gpu-bundle-build.log"
fi
[ -f target/neuroscan.jar ] && [ -d target/test-classes ] || die "target/neuroscan.jar or target/test-classes missing (mvn package failed?)"
rm -rf "$B" && mkdir -p "$B"

# 1. The jar, less the native libraries of other platforms (DJL tokenizers for macOS/Windows/aarch64,
#    snappy and JNA for a dozen others): ~30 MB -> ~13 MB. The device is linux-x86_64.
cp target/neuroscan.jar "$B/neuroscan.jar"
unzip -Z1 "$B/neuroscan.jar" | grep -E '\.(so|a|dll|dylib|jnilib)$' \
  | grep -vE '^(native/lib/linux-x86_64/|org/xerial/snappy/native/Linux/x86_64/|com/sun/jna/linux-x86-64/)' \
  > "$B/.strip" || true
[ -s "$B/.strip" ] && zip -q -d "$B/neuroscan.jar" -@ < "$B/.strip"
rm -f "$B/.strip"
unzip -l "$B/neuroscan.jar" native/lib/linux-x86_64/cpu/libtokenizers.so >/dev/null || die "stripped jar lost the linux-x86_64 tokenizer library"

unzip -Z1 "$B/neuroscan.jar" > "$B/.list"
grep -q '^neuroscan/kernel/translate/' "$B/.list" && die "neuroscan.jar holds the build-only translator (neuroscan/kernel/translate)"
ptx=$(grep -c '^kernels/ptx/.*\.ptx$' "$B/.list" || true)
rm -f "$B/.list"
[ "$ptx" -gt 0 ] || echo "gpu-bundle: note: the jar has no PTX (nvcc missing at build time): CUDA will compile with NVRTC on the GPU machine" >&2

# 2. Test classes (a directory: some tests find fixtures through class-path URLs turned into paths). What the
#    GPU check runs must be there: the CUDA and OpenCL tests, their contracts, and src/support's classes.
cp -r target/test-classes "$B/test-classes"
for c in neuroscan/engine/cuda/CudaKernelsTest neuroscan/engine/cuda/CudaEngineTest neuroscan/engine/gpu/GpuEngineContract \
         neuroscan/engine/gpu/KernelsContract neuroscan/cli/ScanShowCliTest neuroscan/engine/opencl/KernelsTest \
         neuroscan/engine/opencl/OpenClEngineTest neuroscan/model/RandomWeights neuroscan/model/TorchCheckpointWriter \
         neuroscan/engine/cuda/CudaScreenedScanTest neuroscan/engine/gpu/ScreenedScanContract; do
  [ -f "$B/test-classes/$c.class" ] || die "test-classes lack $c (src/test or src/support changed? update bench/gpu-check.sh too)"
done

# 3. The JUnit console launcher matching the project's JUnit (Jupiter 5.x.y runs on Platform 1.x.y).
jv=$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' pom.xml | head -1)
[ -n "$jv" ] || die "no <junit.version> in pom.xml"
case $jv in 5.*) pv=1.${jv#5.} ;; *) pv=$jv ;; esac
mvn -B -ntp -q dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$pv" \
    -DoutputDirectory="$B" -Dmdep.stripVersion=true > target/gpu-bundle-junit.log 2>&1 \
  || die "mvn dependency:copy of junit-platform-console-standalone:$pv failed; see target/gpu-bundle-junit.log"
[ -f "$B/junit-platform-console-standalone.jar" ] || die "mvn dependency:copy of junit-platform-console-standalone:$pv failed"

# 4. Bench programs for the device, compiled here (against the test classes too: RandomWeights is in src/support).
shopt -s nullglob
bench=(bench/cuda/*.java)
if [ ${#bench[@]} -gt 0 ]; then
  javac -nowarn --release 25 --add-modules jdk.incubator.vector -cp target/classes:target/test-classes -d "$B/bench-classes" "${bench[@]}" \
    || die "bench/cuda/*.java does not compile"
fi
[ -f "$B/bench-classes/CudaKernelTiming.class" ] || die "bench/cuda/CudaKernelTiming.java missing: the GPU check's per-task timing needs it"
[ -f "$B/bench-classes/ScreenedScanTiming.class" ] || die "bench/cuda/ScreenedScanTiming.java missing: the GPU check's screened-vs-FP32 scan needs it"

# 5. The JRE: every module jdeps sees used by the jar, the tests and JUnit, plus jdk.incubator.vector
#    (taken with --add-modules) and jdk.unsupported (reflective users). jlink's own zip compression is
#    off on purpose: xz over the uncompressed image is ~22 MB, over a zip-9 image ~37 MB.
mods=$(jdeps --multi-release 25 --ignore-missing-deps --print-module-deps \
         target/neuroscan.jar target/test-classes "$B/junit-platform-console-standalone.jar" 2>/dev/null | tail -1)
[ -n "$mods" ] || die "jdeps found no modules"
mods=$(echo "$mods,jdk.incubator.vector,jdk.unsupported" | tr , '\n' | sort -u | paste -sd, -)
case ",$mods," in
  *,jdk.compiler,*) compiler="jdk.compiler: in the JRE (jdeps found a run-time user)" ;;
  *) compiler="jdk.compiler: not in the JRE (nothing at run time needs it; bench classes are compiled here)" ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
jlink --add-modules "$mods" --output "$tmp/jre" --compress=zip-0 --strip-debug --no-man-pages --no-header-files \
  2>&1 | grep -v 'Using incubator modules' || true
"$tmp/jre/bin/java" --add-modules jdk.incubator.vector -jar "$B/neuroscan.jar" --help >/dev/null 2>&1 \
  || die "the jlinked JRE does not run neuroscan.jar --help"
echo "compressing the JRE (xz)..."
tar -C "$tmp" -cf - jre | xz -9 -T0 > "$B/jre.tar.xz"

{
  echo "neuroscan $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src kernels pom.xml 2>/dev/null || echo '+changes'), built $(date -u +%Y-%m-%dT%H:%MZ) with $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
  echo "jre modules: $mods"
  echo "$compiler"
  echo "neuroscan.jar: $ptx PTX files (kernels/ptx), translator left out"
  echo "junit-platform-console-standalone $pv"
  echo "bench classes: ${bench[*]:-none}"
} > "$B/BUNDLE.txt"

size() { du -sb "$1" | cut -f1; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
echo
for f in "$B/jre.tar.xz" "$B/neuroscan.jar" "$B/test-classes" "$B/junit-platform-console-standalone.jar" \
         $( [ -d "$B/bench-classes" ] && echo "$B/bench-classes"); do
  printf '  %-50s %s\n' "$f" "$(mib "$(size "$f")")"
done
bundle=$(size "$B")
echo "$compiler"
tree=$(git ls-files -z -co --exclude-standard | xargs -0 -r stat -c %s -- 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
printf '  %-50s %s\n' "bundle ($B)" "$(mib "$bundle")" "working tree (tracked + untracked, not ignored)" "$(mib "$tree")"
total=$((bundle + tree))
printf '  %-50s %s of %s\n' "together (what the device tool moves)" "$(mib "$total")" "$(mib "$LIMIT")"
[ "$total" -le "$LIMIT" ] || die "bundle + working tree is $(mib "$total"), over the device tool's 64 MiB limit"
echo "ok: carry $B (see bench/README.md, GPU check)"
