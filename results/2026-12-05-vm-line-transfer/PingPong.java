import java.util.concurrent.atomic.AtomicLong;
public class PingPong {
    static final AtomicLong flag = new AtomicLong();
    public static void main(String[] a) throws Exception {
        final int n = 20_000_000;
        for (int rep = 0; rep < 5; rep++) {
            flag.set(0);
            Thread b = new Thread(() -> { for (long i = 1; i < 2L * n; i += 2) { while (flag.get() != i) { } flag.lazySet(i + 1); } });
            b.start();
            long t0 = System.nanoTime();
            for (long i = 0; i < 2L * n; i += 2) { while (flag.get() != i) { } flag.lazySet(i + 1); }
            while (flag.get() != 2L * n) { }
            long t1 = System.nanoTime();
            b.join();
            System.out.printf("round trip (two one-way line transfers): %.1f ns%n", (t1 - t0) / (double) n);
        }
    }
}
