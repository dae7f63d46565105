for r in 1 2 3; do for v in base unsafe; do
 echo "== round $r $v"
 java -Djmh.ignoreLock=true -cp /tmp/ab/$v.jar org.openjdk.jmh.Main 'AllocFreeSizesBenchmark.allocFreePair|TraceReplayBenchmark.replay$' -p pages=1 -p target=tree,treemap-baseline -p shape=network,storage,fragmenting,mixed -f 1 -wi 3 -w 1s -i 4 -r 1s -jvmArgsPrepend "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED" 2>&1 | grep -E '^(AllocFree|TraceReplay)' 
done; done
