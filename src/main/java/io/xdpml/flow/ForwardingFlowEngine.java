package io.xdpml.flow;

import io.xdpml.packet.ParseCounters;
import java.lang.foreign.MemorySegment;
import java.util.function.BiConsumer;

/**
 * A {@link FlowEngine} that hands every call to another one; subclasses override what they add
 * (typically {@link #packet}: a stage after the flow update, or a tap on the packets).
 */
public abstract class ForwardingFlowEngine implements FlowEngine {
    protected final FlowEngine delegate;

    protected ForwardingFlowEngine(FlowEngine delegate) {
        this.delegate = delegate;
    }

    @Override
    public void packet(MemorySegment frame, int length, long timestampNanos) {
        delegate.packet(frame, length, timestampNanos);
    }

    @Override
    public void forEachFlow(BiConsumer<MemorySegment, MemorySegment> action) {
        delegate.forEachFlow(action);
    }

    @Override
    public long counter(FlowCounter c) {
        return delegate.counter(c);
    }

    @Override
    public long evictions() {
        return delegate.evictions();
    }

    @Override
    public int sweep(long nowNanos, long lingerNanos) {
        return delegate.sweep(nowNanos, lingerNanos);
    }

    @Override
    public ParseCounters parseCounters() {
        return delegate.parseCounters();
    }

    @Override
    public int maxFrameLength() {
        return delegate.maxFrameLength();
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
