package io.xdpml.flow;

/**
 * The promotion budget of admission at the second packet (docs/flows.md, "The promotion budget";
 * flow_stage.h {@code xdpml_promotion_allowed}): at most {@code perSecond} flows promoted a second
 * on average, {@code depth} at once. Over it a flow's second packet parks in its first's place.
 * Per-key looks cannot tell a spoofer's second UDP datagram from a benign flow's, so the budget
 * bounds the rate instead: what a flood can promote, whatever its packets look like.
 *
 * @param perSecond promotions a second; 0: no budget
 * @param depth     promotions at once (the bucket's size; it starts full); 0 with no budget
 */
public record PromotionBudget(long perSecond, long depth) {
    public static final PromotionBudget OFF = new PromotionBudget(0, 0);
    static final long SECOND = 1_000_000_000L;

    public PromotionBudget {
        if (perSecond < 0 || perSecond > SECOND) {
            throw new IllegalArgumentException("promotions a second must be 0 (no budget) to " + SECOND + ": " + perSecond);
        }
        if ((perSecond == 0) != (depth == 0) || depth < 0 || depth > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("the budget's depth must be 1 to " + Integer.MAX_VALUE + " with a rate, 0 without: "
                    + depth);
        }
    }

    /**
     * The budget sized from the table: a quarter of it at once, a quarter of it per idle timeout.
     * What a flood gets promoted in any one idle timeout (after which the sweeper removes its idle
     * flows) is then at most half the table, so it cannot turn the table over faster than the
     * established flows idle out; the other half stays theirs.
     */
    public static PromotionBudget auto(int maxFlows, long idleTimeoutNanos) {
        long depth = Math.max(1, maxFlows / 4);
        // at most 10^9 a second: a large table with a short idle timeout asks for more, which no
        // packet rate reaches (before 2026-12-06's review it failed the loader with a bare exception)
        long perSecond = Math.min(SECOND, Math.max(1, (long) (depth * (double) SECOND / idleTimeoutNanos)));
        return new PromotionBudget(perSecond, depth);
    }

    /** {@code perSecond} promotions a second, a quarter of the table at once. */
    public static PromotionBudget of(long perSecond, int maxFlows) {
        return perSecond == 0 ? OFF : new PromotionBudget(perSecond, Math.max(1, maxFlows / 4));
    }

    public boolean off() {
        return perSecond == 0;
    }

    /**
     * What one promotion costs, in ns ({@code cfg_promote_interval_ns}; 0: no budget), rounded up so
     * that the rate is never above {@code perSecond} (truncated, 6 x 10^8 a second cost 1 ns: 10^9).
     */
    public long intervalNanos() {
        return off() ? 0 : (SECOND + perSecond - 1) / perSecond;
    }

    /** The bucket's depth in ns ({@code cfg_promote_depth_ns}). */
    public long depthNanos() {
        return depth * intervalNanos();
    }

    @Override
    public String toString() {
        return off() ? "off" : perSecond + "/s, " + depth + " at once";
    }
}
