package io.xdpml.dataplane;

import io.xdpml.firewall.FirewallConfig;
import io.xdpml.flow.FlowEngine;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.classify.ModelStats;
import io.xdpml.packet.ParseCounters;
import java.lang.foreign.MemorySegment;

/**
 * The composed data plane judging frames one at a time: the kernel program through
 * BPF_PROG_TEST_RUN ({@link KernelDataPlane}) or its Java twin ({@link JavaDataPlane}). Same
 * settings, same frames, same times: same results and counters.
 */
public interface DataPlaneEngine extends AutoCloseable {
    Stages stages();

    /** The firewall stage's configuration (atomic: the next packet uses all of it). */
    void install(FirewallConfig c);

    /** The model stage's model. */
    void deploy(Deployment d);

    /** The sample and deliver stages' settings. */
    void delivery(DeliverySettings.Values v);

    /** The blocks of the Java twin; the kernel engine adds the same through {@link KernelDataPlane#mitigation()}. */
    Object blocks();

    /** Judges one frame at time {@code nowNanos}; the result is valid until the next call. */
    PacketResult packet(MemorySegment frame, int length, long nowNanos);

    PipelineCounters pipelineCounters();

    ParseCounters parseCounters();

    /** The firewall's counters by id (FirewallCounter). */
    long[] firewallCounters();

    /** Hits of the first {@code rules} rules of the installed configuration. */
    long[] ruleHits(int rules);

    /** The sample and deliver stages' counters (XskCounter order). */
    long[] deliverCounters();

    ModelStats modelStats();

    /** The flow table. */
    FlowEngine flows();

    @Override
    void close();
}
