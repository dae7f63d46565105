#!/usr/bin/env bash
# The regression gate's proof campaign (docs/gate.md, "Proof"), on this machine:
#
#   1. A/A: the A/B gate run AA_RUNS times on unchanged code, with CI's settings (the first run builds
#      HEAD in a temporary git worktree, exactly as CI builds HEAD~1; the others reuse one jar for both
#      sides). A trustworthy gate reports no regression here: the false-alarm rate.
#   2. Sensitivity: for each percentage P of LEVELS, PER_LEVEL A/B runs in which the candidate's forks
#      get -Diova.bench.extraPairPercent=P (dev.iova.bench.jmh.InjectedCost: P operations in every 100
#      of AllocFreePairBenchmark do one more pair, a slowdown of P%, nothing else changed). Records the
#      gate's measured slowdown next to the nominal one, and how often it called a regression: the
#      detection rate.
#
# The runs are interleaved (A/A 1, then run 1 of every level, A/A 2, ...), so a campaign stopped early
# still has as many runs of each kind. RESUME=1 continues a campaign in OUT with the jar it built,
# skipping the runs that finished (a run cut short is run again).
#
# Writes OUT (results/gate-proof-<date>/): every run's gate folder and log, campaign.csv (one line per
# benchmark per run), summary.md (the counts, the rates and their 95% Wilson score intervals). Prints
# the estimated time before it starts.
#
#   scripts/gate-proof.sh                           # the full campaign, about 4 hours on 2 cores
#   AA_RUNS=1 PER_LEVEL=1 LEVELS="10" ROUNDS=3 OUT=results/tmp/smoke scripts/gate-proof.sh   # a smoke test
#   RESUME=1 OUT=results/gate-proof-2026-12-03 scripts/gate-proof.sh   # go on with a campaign
#   SUMMARY_ONLY=1 OUT=results/gate-proof-2026-12-03 scripts/gate-proof.sh   # campaign.csv and summary.md of the runs done so far
#
# Settings (environment): AA_RUNS (20), PER_LEVEL (20), LEVELS ("5 10 15 20", percent), SUITE (CI's: the
# cached and tree pairs of AllocFreePairBenchmark), MODE (avgt, CI's), ROUNDS (10, CI's), OFFLINE (1:
# build with mvn -o), OUT, RESUME, SUMMARY_ONLY (1: run nothing, summarize the finished runs), and GATE_OPTS (more gate options for every run). With the defaults
# every run measures exactly what CI's timing gate measures.
set -euo pipefail
cd "$(dirname "$0")/.."

AA_RUNS=${AA_RUNS:-20}
PER_LEVEL=${PER_LEVEL:-20}
LEVELS=${LEVELS:-"5 10 15 20"}
SUITE=${SUITE:-'AllocFreePairBenchmark\.(cached|tree)$'}
MODE=${MODE:-avgt}
ROUNDS=${ROUNDS:-10}
OFFLINE=${OFFLINE:-0}
GATE_OPTS=${GATE_OPTS:-}
RESUME=${RESUME:-0}
SUMMARY_ONLY=${SUMMARY_ONLY:-0}
if [ "$SUMMARY_ONLY" = 1 ]; then RESUME=1; fi
OUT=${OUT:-results/gate-proof-$(date -u +%F)}
JAR="results/tmp/$(basename "$OUT").jar" # outside OUT: OUT gets committed, the jar does not

offline_mvn=""
offline_gate=""
if [ "$OFFLINE" = 1 ]; then offline_mvn="-o"; offline_gate="--offline"; fi

if [ "$RESUME" = 1 ]; then
    if [ ! -f "$JAR" ] || [ ! -f "$OUT/jar-commit" ]; then
        echo "gate-proof: RESUME=1 needs the campaign's jar $JAR and $OUT/jar-commit" >&2
        exit 2
    fi
    echo "gate-proof: resuming $OUT with the jar of $(cat "$OUT/jar-commit")"
else
    if [ -e "$OUT" ]; then
        echo "gate-proof: $OUT exists; set OUT=..., move it away, or RESUME=1 to go on with it" >&2
        exit 2
    fi
    if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
        echo "gate-proof: the working tree has uncommitted changes; the A/A runs need HEAD to be the working tree" >&2
        exit 2
    fi
    mkdir -p "$OUT" "$(dirname "$JAR")"
    echo "gate-proof: building the working tree ($(git rev-parse --short HEAD)) ..."
    mvn -B -q -ntp $offline_mvn package -DskipTests -pl allocator-bench -am
    cp allocator-bench/target/allocator-bench.jar "$JAR"
    git rev-parse --short HEAD > "$OUT/jar-commit"
    {
        echo "campaign settings: AA_RUNS=$AA_RUNS PER_LEVEL=$PER_LEVEL LEVELS=\"$LEVELS\" ROUNDS=$ROUNDS MODE=$MODE SUITE='$SUITE' GATE_OPTS='$GATE_OPTS'"
        echo "started $(date -u +%FT%TZ) on $(hostname) ($(nproc) cores), jar built from $(cat "$OUT/jar-commit")"
    } > "$OUT/campaign.log"
fi
gate() { java -jar "$JAR" gate --rounds "$ROUNDS" --mode "$MODE" $GATE_OPTS "$@"; }

# The schedule, interleaved: aa-01 ab-p5-01 ab-p10-01 ... aa-02 ab-p5-02 ...
schedule=()
most=$(( AA_RUNS > PER_LEVEL ? AA_RUNS : PER_LEVEL ))
for i in $(seq 1 "$most"); do
    n=$(printf %02d "$i")
    if [ "$i" -le "$AA_RUNS" ]; then schedule+=("aa-$n"); fi
    if [ "$i" -le "$PER_LEVEL" ]; then
        for p in $LEVELS; do schedule+=("ab-p$p-$n"); done
    fi
done
done_run() { [ -f "$OUT/$1/gate-verdicts.tsv" ]; }
todo=0
for r in "${schedule[@]}"; do done_run "$r" || todo=$(( todo + 1 )); done

if [ "$SUMMARY_ONLY" != 1 ]; then
# The estimate, from the gate's own dry run (it prints "estimated time: ... = N s").
run_seconds=$(gate --baseline-jar "$JAR" --candidate-jar "$JAR" --suite "$SUITE" --dry-run --out "results/tmp/gate-proof-dry-run" \
    | sed -n 's/^estimated time: .* = \([0-9]*\) s .*/\1/p')
rm -rf results/tmp/gate-proof-dry-run
total=$(( todo * run_seconds ))
echo "gate-proof: ${#schedule[@]} runs in the campaign, $todo to go, ${run_seconds} s each: estimated" \
     "$(( total / 3600 )) h $(( total % 3600 / 60 )) min; into $OUT"

for r in "${schedule[@]}"; do
    if done_run "$r"; then continue; fi
    dir="$OUT/$r"
    rm -rf "$dir"
    rc=0
    case $r in
        aa-01) # the real path: HEAD built in a temporary git worktree, against the campaign's jar
            gate --ab HEAD $offline_gate --candidate-jar "$JAR" --suite "$SUITE" --out "$dir" > "$dir.log" 2>&1 || rc=$? ;;
        aa-*)
            gate --baseline-jar "$JAR" --candidate-jar "$JAR" --suite "$SUITE" --out "$dir" > "$dir.log" 2>&1 || rc=$? ;;
        ab-p*)
            p=${r#ab-p}; p=${p%%-*}
            gate --baseline-jar "$JAR" --candidate-jar "$JAR" --suite "$SUITE" \
                --candidate-jvm-arg=-Diova.bench.extraPairPercent="$p" --out "$dir" > "$dir.log" 2>&1 || rc=$? ;;
    esac
    echo "$rc" > "$dir/exit-code" 2>/dev/null || true
    line="$(date -u +%FT%TZ) $r: exit $rc, $(sed -n '3p' "$dir/gate.md" 2>/dev/null || tail -1 "$dir.log")"
    echo "$line" >> "$OUT/campaign.log"
    echo "gate-proof: $line"
done
fi

# campaign.csv, from every finished run's folder (so a resumed campaign writes it whole)
CSV="$OUT/campaign.csv"
echo "run,kind,extraPairPercent,benchmark,slowdownPercent,lowPercent,highPercent,verdict,exitCode,load1mStart,load1mEnd" > "$CSV"
for r in "${schedule[@]}"; do
    dir="$OUT/$r"
    done_run "$r" || continue
    case $r in aa-*) kind=aa; p=0 ;; *) kind=ab; p=${r#ab-p}; p=${p%%-*} ;; esac
    rc=$(cat "$dir/exit-code" 2>/dev/null || echo "")
    load_start=$(sed -n 's/.*"loadAverage1mStart" *: *\([0-9.]*\).*/\1/p' "$dir/candidate/metadata.json" 2>/dev/null | head -1 || true)
    load_end=$(sed -n 's/.*"loadAverage1mEnd" *: *\([0-9.]*\).*/\1/p' "$dir/candidate/metadata.json" 2>/dev/null | head -1 || true)
    tail -n +2 "$dir/gate-verdicts.tsv" | while IFS=$'\t' read -r benchmark slowdown low high verdict; do
        benchmark=${benchmark//, /; }
        echo "$r,$kind,$p,$benchmark,$slowdown,$low,$high,$verdict,$rc,$load_start,$load_end" >> "$CSV"
    done
done

# summary.md: counts, rates and 95% Wilson score intervals (z = 1.96)
{
    echo "# Regression gate proof"
    echo
    sed 's/^/    /' "$OUT/campaign.log" | head -2
    echo
    echo "\`scripts/gate-proof.sh\` with the jar built from commit $(cat "$OUT/jar-commit"); summary written $(date -u +%FT%TZ)."
    if [ "$todo" != 0 ] && [ "$SUMMARY_ONLY" = 1 ]; then
        echo "**Interim**: $(( ${#schedule[@]} - todo )) of the campaign's ${#schedule[@]} runs are done; the others are still to run."
    fi
    echo "Every line of campaign.csv is one benchmark of one run; each run's folder holds its gate.md, and"
    echo "campaign.log the time each run ended. Rates are given with their 95% Wilson score interval."
    echo
    awk -F, -v levels="$LEVELS" '
        function wilson(k, n,   z, p, c, h, d) {
            if (n == 0) return "n/a";
            z = 1.959964; p = k / n; d = 1 + z * z / n;
            c = (p + z * z / (2 * n)) / d; h = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d;
            return sprintf("%.1f%% (%.1f%% to %.1f%%)", 100 * p, 100 * (c - h < 0 ? 0 : c - h), 100 * (c + h > 1 ? 1 : c + h));
        }
        NR == 1 { next }
        { key = $2 "|" $3; runs[key "|" $1] = 1; if ($9 == 1) alarm[key "|" $1] = 1;
          b = $4; benches[b] = 1; bk = key "|" b; n[bk]++; if ($8 == "REGRESSION") hit[bk]++;
          if ($8 == "IMPROVEMENT") imp[bk]++; if ($8 == "NO_CHANGE") same[bk]++; if ($8 == "INCONCLUSIVE") unsure[bk]++;
          s[bk] += $5; if (!(bk in lo) || $5 < lo[bk]) lo[bk] = $5; if (!(bk in hi) || $5 > hi[bk]) hi[bk] = $5 }
        function count_runs(key,   r, k, m) { m = 0; for (r in runs) { split(r, k, "|"); if (k[1] "|" k[2] == key) m++ } return m }
        function count_alarms(key,   r, k, m) { m = 0; for (r in alarm) { split(r, k, "|"); if (k[1] "|" k[2] == key) m++ } return m }
        END {
            print "## A/A: false alarms (unchanged code)";
            print "";
            r = count_runs("aa|0"); a = count_alarms("aa|0");
            printf "%d runs; runs the gate failed (exit 1): %d, a false-alarm rate per run of %s.\n\n", r, a, wilson(a, r);
            print "| benchmark | verdicts | REGRESSION (false alarm) | IMPROVEMENT | NO_CHANGE | INCONCLUSIVE | measured change, mean (min to max) |";
            print "|---|---|---|---|---|---|---|";
            for (b in benches) { bk = "aa|0|" b; if (!(bk in n)) continue;
                printf "| %s | %d | %d, %s | %d | %d | %d | %+.1f%% (%+.1f%% to %+.1f%%) |\n", b, n[bk], hit[bk], wilson(hit[bk], n[bk]),
                    imp[bk], same[bk], unsure[bk], s[bk] / n[bk], lo[bk], hi[bk] }
            print "";
            print "## Sensitivity: detection of an injected slowdown (P extra pairs per 100 operations, the candidate only)";
            print "";
            print "| nominal slowdown | runs | runs the gate failed (exit 1): detection rate per run |";
            print "|---|---|---|";
            nl = split(levels, L, " ");
            for (i = 1; i <= nl; i++) { key = "ab|" L[i]; r = count_runs(key); a = count_alarms(key);
                printf "| +%s%% | %d | %d, %s |\n", L[i], r, a, wilson(a, r) }
            print "";
            print "| benchmark | nominal slowdown | runs | REGRESSION: detection rate | NO_CHANGE | INCONCLUSIVE | measured slowdown, mean (min to max) |";
            print "|---|---|---|---|---|---|---|";
            for (b in benches) for (i = 1; i <= nl; i++) { bk = "ab|" L[i] "|" b; if (!(bk in n)) continue;
                printf "| %s | +%s%% | %d | %d, %s | %d | %d | %+.1f%% (%+.1f%% to %+.1f%%) |\n", b, L[i], n[bk], hit[bk], wilson(hit[bk], n[bk]),
                    same[bk], unsure[bk], s[bk] / n[bk], lo[bk], hi[bk] }
        }' "$CSV"
} > "$OUT/summary.md"
cat "$OUT/summary.md"
