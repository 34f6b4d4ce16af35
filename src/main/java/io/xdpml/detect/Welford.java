package io.xdpml.detect;

/** Online mean and variance (Welford 1962): numerically stable, one pass, no history kept. */
public final class Welford {
    private long n;
    private double mean;
    private double m2;

    public void add(double x) {
        n++;
        double d = x - mean;
        mean += d / n;
        m2 += d * (x - mean);
    }

    public long count() {
        return n;
    }

    public double mean() {
        return mean;
    }

    /** Sample variance (n - 1); 0 below two values. */
    public double variance() {
        return n < 2 ? 0 : m2 / (n - 1);
    }

    public double standardDeviation() {
        return Math.sqrt(variance());
    }
}
