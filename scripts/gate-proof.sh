#!/usr/bin/env bash
# The regression gate's proof campaign (docs/gate.md, "Proof"), on this machine:
#
#   1. A/A: the A/B gate run AA_RUNS times on unchanged code, with CI's settings (the first run builds
#      HEAD in a temporary git worktree, exactly as CI builds HEAD~1; the others reuse one jar for both
#      sides). Counts the verdicts: a trustworthy gate reports no regression here.
#   2. Sensitivity: for each level of LEVELS ("N:nominal%"), PER_LEVEL A/B runs in which the candidate's
#      forks get -Diova.bench.extraPairEvery=N (dev.iova.bench.jmh.InjectedCost: every N-th operation of
#      AllocFreePairBenchmark does one more pair, a slowdown of 1/N, nothing else changed). Records the
#      gate's measured slowdown next to the nominal one, and how often it called a regression.
#
# Writes results/gate-proof-<date>/: every run's gate folder, campaign.csv (one line per benchmark per
# run), summary.md (the counts). Prints the estimated total time before it starts.
#
#   scripts/gate-proof.sh                       # the default campaign, about 40 minutes on 2 cores
#   AA_RUNS=2 PER_LEVEL=1 LEVELS="10:10" ROUNDS=3 scripts/gate-proof.sh   # a smoke test of the script
#
# Settings (environment): AA_RUNS (6), PER_LEVEL (2), LEVELS ("50:2 20:5 10:10 5:20 2:50"), SUITE
# (CI's: the cached and tree pairs of AllocFreePairBenchmark), MODE (avgt, CI's), ROUNDS (10, CI's),
# OFFLINE (1: build with mvn -o), OUT, and GATE_OPTS (more gate options for every run). With the
# defaults every run measures exactly what CI's timing gate measures.
set -euo pipefail
cd "$(dirname "$0")/.."

AA_RUNS=${AA_RUNS:-6}
PER_LEVEL=${PER_LEVEL:-2}
LEVELS=${LEVELS:-"50:2 20:5 10:10 5:20 2:50"}
SUITE=${SUITE:-'AllocFreePairBenchmark\.(cached|tree)$'}
MODE=${MODE:-avgt}
ROUNDS=${ROUNDS:-10}
OFFLINE=${OFFLINE:-0}
GATE_OPTS=${GATE_OPTS:-}
OUT=${OUT:-results/gate-proof-$(date -u +%F)}

if [ -e "$OUT" ]; then
    echo "gate-proof: $OUT exists; set OUT=... or move it away" >&2
    exit 2
fi
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    echo "gate-proof: the working tree has uncommitted changes; the A/A runs need HEAD to be the working tree" >&2
    exit 2
fi
mkdir -p "$OUT"
offline_mvn=""
offline_gate=""
if [ "$OFFLINE" = 1 ]; then offline_mvn="-o"; offline_gate="--offline"; fi

echo "gate-proof: building the working tree ($(git rev-parse --short HEAD)) ..."
mvn -B -q -ntp $offline_mvn package -DskipTests -pl allocator-bench -am
JAR="$OUT/allocator-bench.jar"
cp allocator-bench/target/allocator-bench.jar "$JAR"
gate() { java -jar "$JAR" gate --rounds "$ROUNDS" --mode "$MODE" $GATE_OPTS "$@"; }

# The estimate, from the gate's own dry runs (it prints "estimated time: ... = N s").
seconds_of() { gate "$@" --dry-run --out "$OUT/dry-run" | sed -n 's/^estimated time: .* = \([0-9]*\) s .*/\1/p'; }
run_seconds=$(seconds_of --baseline-jar "$JAR" --candidate-jar "$JAR" --suite "$SUITE")
levels=$(echo $LEVELS | wc -w)
total=$(( (AA_RUNS + levels * PER_LEVEL) * run_seconds + 30 ))
echo "gate-proof: $AA_RUNS A/A runs and $levels levels x $PER_LEVEL A/B runs, ${run_seconds} s each:" \
     "estimated $(( total / 60 )) min $(( total % 60 )) s; into $OUT"
started=$(date +%s)

CSV="$OUT/campaign.csv"
echo "run,kind,extraPairEvery,nominalPercent,benchmark,slowdownPercent,lowPercent,highPercent,verdict,exitCode,load1mStart,load1mEnd" > "$CSV"

# record DIR KIND EVERY NOMINAL EXIT: one CSV line per benchmark (or finding) of the run's gate-verdicts.tsv
record() {
    local dir=$1 kind=$2 every=$3 nominal=$4 rc=$5 load_start load_end
    load_start=$(sed -n 's/.*"loadAverage1mStart" *: *\([0-9.]*\).*/\1/p' "$dir/candidate/metadata.json" 2>/dev/null | head -1 || true)
    load_end=$(sed -n 's/.*"loadAverage1mEnd" *: *\([0-9.]*\).*/\1/p' "$dir/candidate/metadata.json" 2>/dev/null | head -1 || true)
    if [ ! -f "$dir/gate-verdicts.tsv" ]; then
        echo "$(basename "$dir"),$kind,$every,$nominal,,,,,NO-SUMMARY,$rc,$load_start,$load_end" >> "$CSV"
        return
    fi
    tail -n +2 "$dir/gate-verdicts.tsv" | while IFS=$'\t' read -r benchmark slowdown low high verdict; do
        benchmark=${benchmark//, /; }
        echo "$(basename "$dir"),$kind,$every,$nominal,$benchmark,$slowdown,$low,$high,$verdict,$rc,$load_start,$load_end" >> "$CSV"
    done
}

for i in $(seq 1 "$AA_RUNS"); do
    dir="$OUT/aa-$(printf %02d "$i")"
    rc=0
    if [ "$i" = 1 ]; then
        # the real path: HEAD built in a temporary git worktree, against the working tree's jar
        gate --ab HEAD $offline_gate --candidate-jar "$JAR" --suite "$SUITE" --out "$dir" > "$dir.log" 2>&1 || rc=$?
    else
        gate --baseline-jar "$JAR" --candidate-jar "$JAR" --suite "$SUITE" --out "$dir" > "$dir.log" 2>&1 || rc=$?
    fi
    record "$dir" aa 0 0 "$rc"
    echo "gate-proof: A/A $i/$AA_RUNS: exit $rc, $(sed -n '3p' "$dir/gate.md" 2>/dev/null || tail -1 "$dir.log")"
done

for level in $LEVELS; do
    every=${level%%:*}
    nominal=${level##*:}
    for i in $(seq 1 "$PER_LEVEL"); do
        dir="$OUT/ab-every${every}-$(printf %02d "$i")"
        rc=0
        gate --baseline-jar "$JAR" --candidate-jar "$JAR" --suite "$SUITE" \
            --candidate-jvm-arg=-Diova.bench.extraPairEvery="$every" --out "$dir" > "$dir.log" 2>&1 || rc=$?
        record "$dir" ab "$every" "$nominal" "$rc"
        echo "gate-proof: an extra pair every $every (+$nominal%) $i/$PER_LEVEL: exit $rc, $(sed -n '3p' "$dir/gate.md" 2>/dev/null || tail -1 "$dir.log")"
    done
done
rm -rf "$OUT/dry-run" "$JAR"

elapsed=$(( $(date +%s) - started ))
{
    echo "# Regression gate proof: $(date -u +%FT%TZ)"
    echo
    echo "\`scripts/gate-proof.sh\` at commit $(git rev-parse --short HEAD) on $(hostname) ($(nproc) cores), in $(( elapsed / 60 )) min $(( elapsed % 60 )) s."
    echo "Settings: AA_RUNS=$AA_RUNS PER_LEVEL=$PER_LEVEL LEVELS=\"$LEVELS\" ROUNDS=$ROUNDS MODE=$MODE SUITE='$SUITE' GATE_OPTS='$GATE_OPTS'."
    echo "Every line of campaign.csv is one benchmark of one run; each run's folder holds its gate.md."
    echo
    echo "## A/A (unchanged code)"
    echo
    awk -F, '$2 == "aa" { runs[$1] = 1; n++; v[$9]++; if ($10 == 1) bad[$1] = 1 }
        END { r = 0; for (k in runs) r++; b = 0; for (k in bad) b++;
              printf "%d runs, %d benchmark verdicts: %d REGRESSION, %d IMPROVEMENT, %d NO_CHANGE, %d INCONCLUSIVE; %d runs exited with 1\n",
                  r, n, v["REGRESSION"], v["IMPROVEMENT"], v["NO_CHANGE"], v["INCONCLUSIVE"], b }' "$CSV"
    echo
    echo "## Sensitivity (an extra pair every N operations in the candidate's forks)"
    echo
    echo "| benchmark | N | nominal slowdown | runs | REGRESSION | measured slowdown (mean, min to max) |"
    echo "|---|---|---|---|---|---|"
    awk -F, '$2 == "ab" && $9 != "NO-SUMMARY" { k = $5 "|" $3 "|" $4; n[k]++; if ($9 == "REGRESSION") hit[k]++;
            s[k] += $6; if (!(k in lo) || $6 < lo[k]) lo[k] = $6; if (!(k in hi) || $6 > hi[k]) hi[k] = $6 }
        END { for (k in n) { split(k, p, "|");
              printf "| %s | %s | +%s%% | %d | %d | %+.1f%% (%+.1f%% to %+.1f%%) |\n", p[1], p[2], p[3], n[k], hit[k], s[k] / n[k], lo[k], hi[k] } }' \
        "$CSV" | sort -t'|' -k2,2 -k3,3nr
} > "$OUT/summary.md"
cat "$OUT/summary.md"
