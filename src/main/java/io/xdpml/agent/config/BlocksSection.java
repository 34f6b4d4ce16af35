package io.xdpml.agent.config;

/**
 * The blocks stage: the sources and flows Java has decided to block (closed-loop mitigation),
 * dropped in XDP.
 *
 * @param maxSources capacity of the blocked sources table
 * @param maxFlows   capacity of the blocked flows table
 */
public record BlocksSection(boolean enabled, int maxSources, int maxFlows) {
    public BlocksSection {
        Limits.table("blocks.max-sources", maxSources);
        Limits.table("blocks.max-flows", maxFlows);
    }

    /** On, 65536 sources and 65536 flows. */
    public static BlocksSection defaults() {
        return new BlocksSection(true, Limits.DEFAULT_TABLE, Limits.DEFAULT_TABLE);
    }

    String describe() {
        return "blocks: " + (enabled ? "on (max-sources " + maxSources + ", max-flows " + maxFlows + ")" : "off");
    }
}
