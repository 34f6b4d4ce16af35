package io.xdpml.output.ipfix;

import io.xdpml.flow.EndedFlow;
import io.xdpml.flow.FlowLayout;
import io.xdpml.flow.FlowSink;
import io.xdpml.output.Endpoint;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.LongUnaryOperator;

/**
 * IPFIX flow export (RFC 7011) as a {@link FlowSink}: every reported flow becomes one bidirectional
 * data record (RFC 5103 reverse counters) sent over UDP to a collector, written to an IPFIX file
 * (RFC 5655: messages back to back, templates first), or both. Active-timeout reports carry the
 * packets and bytes since the flow's previous export, so a collector's sums over a flow's records
 * equal the flow's totals. docs/ipfix.md.
 *
 * <p>Errors sending or writing are counted ({@link #udp()}, {@link #file()}), never thrown out of
 * {@link #flow}; the UDP socket is non-blocking (a full send buffer drops the message, counted).
 * One thread calls {@link #flow}, {@link #flush} and {@link #close}; the counters may be read, and
 * {@link #reopenFile()} called, from any thread.
 */
public final class IpfixExporter implements FlowSink {
    /** Active flows whose exported totals are kept (oldest forgotten beyond: a flow the kernel's LRU evicted never ends). */
    public static final int DEFAULT_MAX_TRACKED = 1 << 20;

    /** What one transport did: messages and data records sent, bytes, errors (with the last one's message). */
    public record Counters(long messages, long records, long bytes, long errors, String lastError) {
        static final Counters NONE = new Counters(0, 0, 0, 0, null);
    }

    private final LongUnaryOperator toEpochMillis;
    private final Transport udp;
    private final Transport file;
    private final int maxTracked;
    private final LinkedHashMap<FlowId, long[]> exported;
    private final FlowId probe = new FlowId();
    private final AtomicLong flows = new AtomicLong();
    private final AtomicLong activeReports = new AtomicLong();
    private final AtomicLong forgotten = new AtomicLong();
    private volatile int tracked;
    private volatile boolean reopenAsked;
    private boolean closed;

    /**
     * The exporter of {@code outputs.ipfix} ({@code OutputsSection.Ipfix}): UDP messages of at most
     * {@value IpfixEncoder#DEFAULT_MAX_MESSAGE} bytes, the wall clock for export times.
     *
     * @param collector       UDP collector (resolved now), or null
     * @param file            IPFIX file (created or truncated now), or null
     * @param templateRefresh how often the templates are sent again over UDP (zero: in every message)
     * @param domain          observation domain id
     * @param toEpochMillis   a flow's times (EndedFlow's ns: capture epoch ns offline, kernel
     *                        monotonic ns live) to epoch ms: {@link #captureTime()}, {@link #monotonicTime()}
     * @throws IOException              the file cannot be created, the socket not opened
     * @throws IllegalArgumentException the collector's name does not resolve, neither is given
     */
    public static IpfixExporter open(Endpoint collector, Path file, Duration templateRefresh, long domain, LongUnaryOperator toEpochMillis)
            throws IOException {
        return open(collector, file, false, templateRefresh, domain, toEpochMillis);
    }

    /**
     * As {@link #open(Endpoint, Path, Duration, long, LongUnaryOperator)}; {@code append}: the file
     * is appended to (the agent: a restart keeps the previous run's flows; this run's messages
     * follow, its templates first), else truncated ({@code xdpml flows}).
     */
    public static IpfixExporter open(Endpoint collector, Path file, boolean append, Duration templateRefresh, long domain,
            LongUnaryOperator toEpochMillis) throws IOException {
        return new IpfixExporter(collector, file, append, templateRefresh, domain, toEpochMillis, IpfixEncoder.DEFAULT_MAX_MESSAGE,
                System::currentTimeMillis, DEFAULT_MAX_TRACKED);
    }

    /**
     * As {@link #open}, with the UDP message size, the wall clock (export time, template refresh)
     * and the bound on tracked active flows given.
     */
    public IpfixExporter(Endpoint collector, Path file, boolean append, Duration templateRefresh, long domain, LongUnaryOperator toEpochMillis,
            int maxUdpMessage, LongSupplier wallMillis, int maxTracked) throws IOException {
        if (collector == null && file == null) {
            throw new IllegalArgumentException("IPFIX export needs a collector or a file");
        }
        if (maxTracked < 1) {
            throw new IllegalArgumentException("maxTracked " + maxTracked);
        }
        this.toEpochMillis = toEpochMillis;
        this.maxTracked = maxTracked;
        this.exported = new LinkedHashMap<>(1024, 0.75f, true);
        Transport u = null;
        Transport f = null;
        try {
            if (collector != null) {
                u = new UdpTransport(collector);
                u.encoder = new IpfixEncoder(domain, maxUdpMessage, templateRefresh, wallMillis, u);
            }
            if (file != null) {
                FileTransport ft = new FileTransport(file, append, domain);
                f = ft;
                f.encoder = new IpfixEncoder(domain, IpfixEncoder.MAX_MESSAGE, null, wallMillis, f);
                if (ft.sequenceAtOpen >= 0) {
                    f.encoder.sequence(ft.sequenceAtOpen); // the file's sequence goes on (RFC 7011 §3.1), as one reader sees it
                }
            }
        } catch (IOException | RuntimeException e) {
            if (u != null) {
                u.close();
            }
            throw e;
        }
        this.udp = u;
        this.file = f;
        // templates at the start: the collector learns them before any data, the file begins with them
        for (Transport t : transports()) {
            t.encoder.sendTemplates();
        }
    }

    /** Offline: EndedFlow times are capture timestamps, ns since the epoch. */
    public static LongUnaryOperator captureTime() {
        return ns -> Math.floorDiv(ns, 1_000_000L);
    }

    /**
     * Live: EndedFlow times are the kernel's CLOCK_MONOTONIC ns ({@code bpf_ktime_get_ns()}, which
     * {@link System#nanoTime()} reads too on Linux); the offset to the epoch is taken now.
     */
    public static LongUnaryOperator monotonicTime() {
        Instant now = Instant.now();
        long mono = System.nanoTime();
        long epochNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        long offset = epochNanos - mono;
        return ns -> Math.floorDiv(ns + offset, 1_000_000L);
    }

    @Override
    public void flow(EndedFlow flow) {
        if (closed) {
            throw new IllegalStateException("IPFIX exporter closed");
        }
        MemorySegment s = MemorySegment.ofArray(flow.state());
        long fwdPackets = FlowLayout.u64(s, FlowLayout.dirOffset(FlowLayout.FWD) + FlowLayout.D_PACKETS);
        long fwdBytes = FlowLayout.u64(s, FlowLayout.dirOffset(FlowLayout.FWD) + FlowLayout.D_BYTES);
        long bwdPackets = FlowLayout.u64(s, FlowLayout.dirOffset(FlowLayout.BWD) + FlowLayout.D_PACKETS);
        long bwdBytes = FlowLayout.u64(s, FlowLayout.dirOffset(FlowLayout.BWD) + FlowLayout.D_BYTES);
        long first = flow.firstNanos();

        long[] before = flow.ended() ? exported.remove(probe.of(flow.key(), first)) : exported.get(probe.of(flow.key(), first));
        long dFwdPackets = fwdPackets;
        long dFwdBytes = fwdBytes;
        long dBwdPackets = bwdPackets;
        long dBwdBytes = bwdBytes;
        if (before != null && before[0] <= fwdPackets && before[1] <= fwdBytes && before[2] <= bwdPackets && before[3] <= bwdBytes) {
            dFwdPackets -= before[0];
            dFwdBytes -= before[1];
            dBwdPackets -= before[2];
            dBwdBytes -= before[3];
        }
        if (!flow.ended()) {
            activeReports.incrementAndGet();
            if (before == null) {
                before = new long[4];
                exported.put(new FlowId().of(flow.key().clone(), first), before);
                if (exported.size() > maxTracked) {
                    var eldest = exported.entrySet().iterator();
                    eldest.next();
                    eldest.remove();
                    forgotten.incrementAndGet();
                }
            }
            before[0] = fwdPackets;
            before[1] = fwdBytes;
            before[2] = bwdPackets;
            before[3] = bwdBytes;
        }
        tracked = exported.size();

        long start = toEpochMillis.applyAsLong(first);
        long end = toEpochMillis.applyAsLong(flow.lastNanos());
        if (udp != null) {
            udp.encoder.record(flow, start, end, dFwdPackets, dFwdBytes, dBwdPackets, dBwdBytes);
        }
        if (file != null) {
            file.encoder.record(flow, start, end, dFwdPackets, dFwdBytes, dBwdPackets, dBwdBytes);
        }
        if (flow.ended()) {
            flows.incrementAndGet();
        }
    }

    /** Sends (writes) the message under way, even if not full; then opens the file again when {@link #reopenFile()} asked. */
    @Override
    public void flush() {
        for (Transport t : transports()) {
            t.encoder.flush();
            t.flushOut();
        }
        if (reopenAsked && file != null && !closed) {
            reopenAsked = false;
            if (((FileTransport) file).reopen()) {
                file.encoder.sendTemplates(); // a new file (logrotate's create) begins with them, as RFC 5655 wants
                file.flushOut();
            }
        }
    }

    /**
     * Asks for the file to be opened again by its name at the next {@link #flush} (on the thread
     * that writes: this may be called from any): logrotate's {@code create} then a reload, as the
     * EVE file. What was written goes to the old file; the new one (appended to if it is the same)
     * begins with the templates. A failure keeps the old file and is counted in {@link #file()}.
     */
    public void reopenFile() {
        reopenAsked = true;
    }

    /** Bytes of a cut last message taken off the file's end when it was opened to append (0: none). */
    public long cutAtOpen() {
        return file == null ? 0 : ((FileTransport) file).cutAtOpen;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        flush();
        closed = true;
        for (Transport t : transports()) {
            t.close();
        }
    }

    /**
     * Flows exported, each once: the reports of flows that ended; a flow's active-timeout reports
     * ({@link #activeReports()}) are not counted (until 2026-12-05 they were, so a long flow counted
     * once per report). Every report is one data record per transport (the transports' counters).
     */
    public long flows() {
        return flows.get();
    }

    /** Active-timeout reports (the flow went on), besides the flows above. */
    public long activeReports() {
        return activeReports.get();
    }

    /** Active flows whose exported totals are kept now. */
    public int trackedFlows() {
        return tracked;
    }

    /** Active flows forgotten beyond the bound (their next report counts from zero again). */
    public long forgottenFlows() {
        return forgotten.get();
    }

    /** The UDP transport's counters (zeros when there is no collector). */
    public Counters udp() {
        return udp == null ? Counters.NONE : udp.counters();
    }

    /** The file transport's counters (zeros when there is no file). */
    public Counters file() {
        return file == null ? Counters.NONE : file.counters();
    }

    /** The collector's resolved address, or null. */
    public InetSocketAddress collectorAddress() {
        return udp == null ? null : ((UdpTransport) udp).target;
    }

    private Transport[] transports() {
        if (udp != null && file != null) {
            return new Transport[] {udp, file};
        }
        return udp != null ? new Transport[] {udp} : new Transport[] {file};
    }

    /** A flow's key bytes and start: one flow (an idle restart in place gives a new start). */
    private static final class FlowId {
        private byte[] key;
        private long first;
        private int hash;

        FlowId of(byte[] k, long f) {
            key = k;
            first = f;
            hash = Arrays.hashCode(k) * 31 + Long.hashCode(f);
            return this;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof FlowId i && first == i.first && Arrays.equals(key, i.key);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** Where one encoder's messages go, and what it counted. */
    private abstract static class Transport implements IpfixEncoder.MessageOut {
        IpfixEncoder encoder;
        final AtomicLong messages = new AtomicLong();
        final AtomicLong records = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        volatile String lastError;

        @Override
        public final void message(ByteBuffer message, int dataRecords, boolean templates) {
            int length = message.remaining();
            try {
                send(message);
                messages.incrementAndGet();
                records.addAndGet(dataRecords);
                bytes.addAndGet(length);
            } catch (IOException | UncheckedIOException e) {
                error(e);
            }
        }

        void error(Exception e) {
            errors.incrementAndGet();
            lastError = e.toString();
        }

        Counters counters() {
            return new Counters(messages.get(), records.get(), bytes.get(), errors.get(), lastError);
        }

        abstract void send(ByteBuffer message) throws IOException;

        void flushOut() {}

        abstract void close();
    }

    private static final class UdpTransport extends Transport {
        final InetSocketAddress target;
        final DatagramChannel channel;

        UdpTransport(Endpoint collector) throws IOException {
            target = new InetSocketAddress(collector.host(), collector.port());
            if (target.isUnresolved()) {
                throw new IllegalArgumentException("IPFIX collector " + collector + ": cannot resolve " + collector.host());
            }
            channel = DatagramChannel.open();
            channel.configureBlocking(false); // the packet path never waits for the network
        }

        @Override
        void send(ByteBuffer message) throws IOException {
            int length = message.remaining();
            int sent = channel.send(message, target);
            if (sent == 0) {
                throw new IOException("socket send buffer full: message of " + length + " bytes dropped");
            }
        }

        @Override
        void close() {
            try {
                channel.close();
            } catch (IOException e) {
                error(e);
            }
        }
    }

    private static final class FileTransport extends Transport {
        final Path path;
        OutputStream stream;
        /** Bytes of a message cut off the file's end at open (a run that died mid-write): IpfixFileEnd. */
        final long cutAtOpen;

        /** The domain's next sequence number in the file appended to (-1: none, or truncated). */
        final long sequenceAtOpen;

        FileTransport(Path file, boolean append, long domain) throws IOException {
            path = file;
            IpfixFileEnd.End end = append ? IpfixFileEnd.prepareToAppend(file, domain) : new IpfixFileEnd.End(0, -1);
            cutAtOpen = end.cut();
            sequenceAtOpen = end.nextSequence();
            stream = open(file, append);
        }

        private static OutputStream open(Path file, boolean append) throws IOException {
            return new BufferedOutputStream(append ? Files.newOutputStream(file, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND) : Files.newOutputStream(file), 1 << 16);
        }

        /**
         * Writes on to the file by its name again (created if gone), after what is buffered went to
         * the one open so far; true when it opened. A failure keeps the old file and is counted.
         */
        boolean reopen() {
            flushOut();
            OutputStream next;
            try {
                IpfixFileEnd.prepareToAppend(path, -1); // ours ends whole (flushed above); a file put there by another may not
                next = open(path, true);
            } catch (IOException | RuntimeException e) {
                error(e);
                return false;
            }
            try {
                stream.close();
            } catch (IOException e) {
                error(e);
            }
            stream = next;
            return true;
        }

        @Override
        void send(ByteBuffer message) throws IOException {
            stream.write(message.array(), message.arrayOffset() + message.position(), message.remaining());
        }

        @Override
        void flushOut() {
            try {
                stream.flush();
            } catch (IOException e) {
                error(e);
            }
        }

        @Override
        void close() {
            try {
                stream.close();
            } catch (IOException e) {
                error(e);
            }
        }
    }
}
