package io.xdpml.agent;

import io.xdpml.flow.FlowLayout;
import io.xdpml.flow.FlowReason;
import io.xdpml.flow.FlowLog;
import io.xdpml.flow.KernelFlowSweep;
import io.xdpml.flow.KernelFlowTable;
import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.RingBufferConsumer;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The running agent's flows as they end, for the flow outputs (EVE flow events, IPFIX): one thread
 * that drains every interface's flow-record ring buffer ({@code xdpml_flow_records}: TCP close,
 * idle restart, active timeout), sweeps its flow table ({@code xdpml_flows}) every
 * {@link #SWEEP_EVERY_NANOS} (idle flows reported, closed flows removed after {@link #LINGER_NANOS} and
 * reported with their final state, {@link FlowReason#TAIL}),
 * and when the agent stops reports every flow still in the table ({@link FlowReason#END}).
 * Each interface's records go to its own listener, on this thread only. The outputs are flushed
 * every {@link #FLUSH_EVERY_NANOS} (one IPFIX message per flush at most, however many flows came):
 * until 2026-12-05 only at stop, so a quiet link's flows waited for a full buffer or the stop.
 *
 * <p>The kernel stamps records with {@code bpf_ktime_get_ns} (CLOCK_MONOTONIC); the sweeps use
 * {@link System#nanoTime()}, the same clock on Linux.
 */
final class FlowExport implements AutoCloseable {
    static final long SWEEP_EVERY_NANOS = 2_000_000_000L;
    static final long LINGER_NANOS = 5_000_000_000L;
    static final long FLUSH_EVERY_NANOS = 1_000_000_000L;
    private static final int POLL_MILLIS = 100;

    /** One interface: its maps, its sweeper (buffers reused by every sweep) and where its flows go. */
    record Source(String iface, BpfMap flows, KernelFlowSweep sweeper, RingBufferConsumer records, FlowLog log, long idleTimeoutNanos) {
        static Source of(String iface, BpfObject object, FlowLog log, long idleTimeoutNanos) {
            BpfMap ring = object.map("xdpml_flow_records");
            RingBufferConsumer records = new RingBufferConsumer(ring, rec -> log.onRecord(
                    FlowLayout.u64(rec, FlowLayout.RECORD_TIME_NS),
                    FlowReason.of(rec.get(FlowLayout.U32, FlowLayout.RECORD_REASON)),
                    rec.asSlice(FlowLayout.RECORD_KEY, FlowLayout.KEY_SIZE), rec.asSlice(FlowLayout.RECORD_FLOW, FlowLayout.FLOW_SIZE)));
            BpfMap flows = object.map("xdpml_flows");
            return new Source(iface, flows, new KernelFlowSweep(flows), records, log, idleTimeoutNanos);
        }
    }

    private final List<Source> sources;
    private final PrintWriter out;
    private final Runnable flush;
    private final Thread thread;
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong swept = new AtomicLong();
    private volatile boolean stop;
    private volatile Throwable failure;

    /** {@code flush}: sends what the outputs hold (AgentOutputs.flush), on this thread. */
    FlowExport(List<Source> sources, PrintWriter out, Runnable flush) {
        this.sources = new ArrayList<>(sources);
        this.out = out;
        this.flush = flush;
        this.thread = Thread.ofPlatform().name("xdpml-flow-export").daemon().unstarted(this::loop);
    }

    void start() {
        thread.start();
    }

    /** Records received from the kernel so far. */
    long records() {
        return records.get();
    }

    /** Flows the sweeps removed so far. */
    long swept() {
        return swept.get();
    }

    /** Why the thread stopped early, or null. */
    Throwable failure() {
        return failure;
    }

    private void loop() {
        long nextSweep = System.nanoTime() + SWEEP_EVERY_NANOS;
        long nextFlush = System.nanoTime() + FLUSH_EVERY_NANOS;
        try {
            while (!stop) {
                for (Source s : sources) {
                    // one ring per interface: poll the first with a timeout, drain the others; what is
                    // there at each look, so that a flood of records (a RST flood: a record a packet) cannot keep the loop
                    records.addAndGet(s == sources.get(0) ? s.records().poll(POLL_MILLIS) : s.records().drainCommitted());
                }
                long now = System.nanoTime();
                if (now >= nextSweep) {
                    for (Source s : sources) {
                        s.records().drainCommitted(); // what the kernel reported comes before what the sweep finds
                        swept.addAndGet(s.sweeper().sweep(now, s.idleTimeoutNanos(), LINGER_NANOS, s.log()));
                    }
                    nextSweep = now + SWEEP_EVERY_NANOS;
                }
                if (now >= nextFlush) {
                    flush.run();
                    nextFlush = now + FLUSH_EVERY_NANOS;
                }
            }
        } catch (Throwable t) {
            failure = t;
            synchronized (out) {
                out.println("flow export stopped: " + t);
                out.flush();
            }
        }
    }

    /**
     * Stops the thread, then on the caller's thread drains the rings a last time and finishes each
     * interface's {@link FlowLog}: every flow still in the tables is reported (a closed one as
     * tcp_close with its final state, any other as {@link FlowReason#END}). Call before the
     * programs are detached.
     */
    @Override
    public void close() {
        stopped();
    }

    /** {@link #close()}: false when the thread did not stop (the outputs are still its: leave them alone). */
    boolean stopped() {
        stop = true;
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) { // a sink stuck (a hung disk): the logs and rings are its, not to be touched from here
            synchronized (out) {
                out.println("flow export: its thread did not stop within 5 s; the flows still in the tables are not reported");
                out.flush();
            }
            return false;
        }
        long now = System.nanoTime();
        for (Source s : sources) {
            try {
                records.addAndGet(s.records().drainCommitted()); // what was there at the stop: a flood may go on
                s.log().finish(each -> KernelFlowTable.forEach(s.flows(), each), now);
            } finally {
                s.records().close();
                s.sweeper().close();
            }
        }
        return true;
    }
}
