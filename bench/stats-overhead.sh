#!/bin/bash
# Whole scans, main (no statistics) vs stats (statistics gathered), alternating, same model, corpus and flags.
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}; export PATH=$JAVA_HOME/bin:$PATH
J="java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar"
for i in ${RUNS:-1 2}; do
  for v in main stats; do
    jar=target/neuroscan.jar; [ $v = main ] && jar=${MAIN_JAR:?a neuroscan.jar built without statistics}
    rm -rf /tmp/r-$v-$i
    /usr/bin/time -f "$v run $i: wall %e s" $J $jar scan --model ${MODEL:-/tmp/benchmodel} --dataset ${CORPUS:-/tmp/c1000.jsonl} --out /tmp/r-$v-$i --quiet --backend cpu 2>&1 | grep -v WARNING
    python3 -c "import json,sys; t=json.load(open('/tmp/r-$v-$i/manifest.json'))['timings']; print('  $v $i', t)"
  done
done
