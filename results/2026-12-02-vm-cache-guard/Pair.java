import dev.iova.IovaDomain;

public class Pair {
    public static void main(String[] a) {
        int reps = Integer.parseInt(a[0]);
        try (IovaDomain d = IovaDomain.builder().granuleBytes(4096).startPfn(1).build()) {
            for (int i = 0; i < 1000; i++) d.allocFast(1, 0xfffffL);
            long best = Long.MAX_VALUE; long sink = 0;
            final int n = 200_000;
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) { long p = d.allocFast(1, 0xfffffL); d.freeFast(p, 1); sink += p; }
                best = Math.min(best, System.nanoTime() - t0);
            }
            System.out.printf("pair best %.2f ns (sink %d)%n", best / (double) n, sink & 1);
        }
    }
}
