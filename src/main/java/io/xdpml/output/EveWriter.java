package io.xdpml.output;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xdpml.detect.Detection;
import io.xdpml.detect.DetectionSink;
import io.xdpml.flow.EndedFlow;
import io.xdpml.flow.FlowLayout;
import io.xdpml.flow.FlowReason;
import io.xdpml.flow.FlowSink;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongUnaryOperator;

/**
 * Suricata EVE JSON lines (docs/outputs.md, "EVE JSON"): {@code event_type: alert} for each
 * {@link Detection}, {@code event_type: flow} for each {@link EndedFlow}; one JSON object per line,
 * UTF-8, with Suricata's field names and formats and a Community ID (v1, {@link CommunityId}) where
 * the 5-tuple is complete.
 *
 * <p><b>Threads.</b> Every public method is {@code synchronized}: the agent may report detections
 * from its loop thread and flows from the flow-record thread into one writer; lines never
 * interleave. Each line is built whole before it is written.
 *
 * <p><b>Flushing.</b> Alerts are flushed as they are written (detections are few); flows at
 * {@link #flush()}, which the flow source calls at the end of each batch, and at {@link #close()}.
 *
 * <p><b>Failures.</b> An event that cannot be converted (a detection with odd fields, a damaged
 * flow record) is skipped and counted in {@link #failed()}; a write that fails is counted in
 * {@link #writeErrors()}, the last error kept in {@link #lastError()}; neither throws.
 *
 * <p><b>Time.</b> Our times are nanoseconds of two clocks: the capture's epoch time offline, the
 * kernel's monotonic clock ({@code bpf_ktime_get_ns}) in the agent's flow records. The constructor
 * takes a {@code clock}: a function from a flow's nanoseconds to epoch nanoseconds, used for every
 * time in every flow event: {@link #EPOCH} (identity: captures), {@link #offset(long)}, or
 * {@link #monotonicToEpoch()} (the kernel's CLOCK_MONOTONIC, read by HotSpot's {@code System.nanoTime()} on
 * Linux, shifted by the wall clock's offset measured once). A detection's times are epoch nanoseconds
 * everywhere (a capture's packet times, or the processor's receive times on the wall clock): alerts
 * take them as they are. (Until 2026-12-03 the agent shifted them too: its alerts were dated 2083.)
 */
public final class EveWriter implements FlowSink, DetectionSink, AutoCloseable {
    /** Identity: the times already are epoch nanoseconds (packet times of a capture). */
    public static final LongUnaryOperator EPOCH = t -> t;

    /** Adds {@code nanos} to every time. */
    public static LongUnaryOperator offset(long nanos) {
        return t -> t + nanos;
    }

    /**
     * CLOCK_MONOTONIC nanoseconds (the kernel's {@code bpf_ktime_get_ns}, which HotSpot's
     * {@code System.nanoTime()} reads on Linux) to epoch nanoseconds, with the offset between the two
     * clocks measured now (a later change of the wall clock is not followed).
     */
    public static LongUnaryOperator monotonicToEpoch() {
        Instant now = Instant.now();
        long mono = System.nanoTime();
        return offset(now.getEpochSecond() * 1_000_000_000L + now.getNano() - mono);
    }

    /**
     * @param clock       event nanoseconds to epoch nanoseconds (above)
     * @param inIface     the interface for {@code in_iface}, or null (left out)
     * @param communityId the Community ID's seed
     */
    public record Options(LongUnaryOperator clock, String inIface, CommunityId communityId) {
        public Options {
            if (clock == null || communityId == null) {
                throw new IllegalArgumentException("clock and communityId are required");
            }
        }

        /** Epoch times, no interface, seed 0. */
        public static Options defaults() {
            return new Options(EPOCH, null, CommunityId.DEFAULT);
        }

        public Options withClock(LongUnaryOperator c) {
            return new Options(c, inIface, communityId);
        }

        public Options withInIface(String iface) {
            return new Options(clock, iface, communityId);
        }

        public Options withCommunityId(CommunityId c) {
            return new Options(clock, inIface, c);
        }
    }

    /** Suricata's time format: microseconds and the UTC offset, e.g. {@code 2026-12-03T17:03:34.123456+0000}. */
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSxx").withZone(ZoneOffset.UTC);

    /** flow_id keeps 53 bits: exact in a JSON consumer that reads numbers as doubles. */
    public static final long FLOW_ID_MASK = (1L << 53) - 1;

    /** How long after a detection's last report a flow still counts as {@code alerted} by it. */
    static final long ALERT_LINGER_NANOS = 10_000_000_000L;

    /** Alert patterns kept for {@code flow.alerted}, the oldest dropped first. */
    static final int MAX_PATTERNS = 4096;

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final byte[] NO_ADDRESS = new byte[16];

    private Writer out;
    private Path file; // what open(file, true, ...) opened: reopen() opens it again
    private final boolean closeOut;
    private final Options options;
    private final MessageDigest sha1;
    private final ArrayDeque<AlertPattern> patterns = new ArrayDeque<>();
    private final Map<InetAddress, List<AlertPattern>> patternsByAddress = new HashMap<>();
    private long alerts;
    private long flows;
    private long failed;
    private long writeErrors;
    private Exception lastError;
    private boolean closed;
    private boolean partial; // the output may end in part of a line (a failed write or flush; a file appended to)

    /** Writes to {@code out}; {@link #close()} closes it. */
    public EveWriter(Writer out, Options options) {
        this(out, true, options);
    }

    /** Writes UTF-8 to {@code out} (buffered); {@link #close()} closes it. */
    public EveWriter(java.io.OutputStream out, Options options) {
        this(new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8)), true, options);
    }

    /** Writes to {@code out}; {@link #close()} closes it only when {@code closeOut} (else flushes it). */
    public EveWriter(Writer out, boolean closeOut, Options options) {
        this.out = out;
        this.closeOut = closeOut;
        this.options = options;
        try {
            this.sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-1", e);
        }
    }

    /** Standard output (flushed, never closed). */
    public static EveWriter stdout(Options options) {
        return new EveWriter(new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8)), false, options);
    }

    /** A file, created if needed; appended to (as Suricata does with eve.json) or truncated. */
    public static EveWriter open(Path file, boolean append, Options options) throws IOException {
        boolean partial = append && endsInPartOfALine(file);
        Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
        EveWriter e = new EveWriter(w, true, options);
        e.partial = partial; // a line cut off (a crash, a full disk) is not glued to our first one
        e.file = append ? file : null;
        return e;
    }

    /**
     * Opens the file again by its name (appending; created if gone), after flushing and closing the
     * one written so far: logrotate's {@code create} then a SIGHUP, Suricata's convention; the
     * agent calls it at every reload. Nothing for a writer not opened by {@link #open(Path, boolean, Options)}
     * with append; a failure keeps the old file and is counted and thrown.
     */
    public synchronized void reopen() throws IOException {
        if (file == null || closed) {
            return;
        }
        flushQuietly(); // first: what is buffered would otherwise make the file end in part of a line
        boolean cut = endsInPartOfALine(file);
        Writer next;
        try {
            next = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            writeErrors++;
            lastError = e;
            throw e;
        }
        try {
            out.close();
        } catch (IOException e) {
            writeErrors++;
            lastError = e;
        }
        out = next;
        partial = cut;
    }

    /** Whether {@code file} exists, is not empty and does not end with a newline. */
    private static boolean endsInPartOfALine(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(file, StandardOpenOption.READ)) {
            long size = c.size();
            if (size == 0) {
                return false;
            }
            java.nio.ByteBuffer last = java.nio.ByteBuffer.allocate(1);
            c.read(last, size - 1);
            return last.get(0) != '\n';
        }
    }

    /** {@code -}: standard output, else the file (truncated). */
    public static EveWriter open(String target, Options options) throws IOException {
        return "-".equals(target) ? stdout(options) : open(Path.of(target), false, options);
    }

    // ------------------------------------------------------------------------------------- alerts

    /** An alert per named source (action {@code allowed}); flushed. */
    @Override
    public void report(Detection detection) {
        alert(detection, false);
    }

    /**
     * The alerts of one detection: one per source it names, else one; {@code blocked}: every line
     * {@code alert.action: blocked} (the agent mitigated the detection), else {@code allowed}.
     */
    public void alert(Detection detection, boolean blocked) {
        alert(detection, blocked, java.util.Set.of());
    }

    /**
     * The alerts of one detection, each line's {@code alert.action} its own: {@code blocked} when
     * {@code measured} (a firewall measure was installed for the detection) or when its source is
     * one of {@code blockedSources} (as the detection names it), else {@code allowed}: a source the
     * agent spared (mitigation.never-block, the firewall's allow src, this host) is not blocked.
     */
    public synchronized void alert(Detection detection, boolean measured, java.util.Set<String> blockedSources) {
        List<ObjectNode> lines;
        try {
            lines = alertEvents(detection, measured, blockedSources);
        } catch (RuntimeException e) {
            failed++;
            lastError = e;
            return;
        }
        for (ObjectNode line : lines) {
            if (write(line)) {
                alerts++;
            }
        }
        flushQuietly();
    }

    /**
     * The alert events of a detection as {@link #alert} would write them (one per source), for
     * another transport (Kafka): not written, not counted; a detection that cannot be converted
     * gives none and counts as {@link #failed()}. Remembered for {@code flow.alerted} as written ones are.
     */
    public synchronized List<ObjectNode> alertNodes(Detection detection, boolean blocked) {
        return alertNodes(detection, blocked, java.util.Set.of());
    }

    /** As {@link #alertNodes(Detection, boolean)}, each line's action as {@link #alert(Detection, boolean, java.util.Set)} gives it. */
    public synchronized List<ObjectNode> alertNodes(Detection detection, boolean measured, java.util.Set<String> blockedSources) {
        try {
            return alertEvents(detection, measured, blockedSources);
        } catch (RuntimeException e) {
            failed++;
            lastError = e;
            return List.of();
        }
    }

    /** The flow event of a flow as {@link #flow(EndedFlow, String)} would write it, or null (counted as {@link #failed()}). */
    public synchronized ObjectNode flowNode(EndedFlow flow, String inIface) {
        try {
            return flowEvent(flow, inIface);
        } catch (RuntimeException e) {
            failed++;
            lastError = e;
            return null;
        }
    }

    /**
     * The alert lines of a detection, in source order (no writing, no counting), each blocked when
     * {@code measured} or its source is in {@code blockedSources}.
     */
    List<ObjectNode> alertEvents(Detection d, boolean measured, java.util.Set<String> blockedSources) {
        EveSignatures.Signature sig = EveSignatures.of(d);
        boolean subjectIsSource = subjectIsSource(d.detector());
        InetAddress subject = literal(d.subject());
        InetAddress victim = d.target() != null ? d.target().victim() : subjectIsSource ? null : subject;
        int proto = d.target() != null ? d.target().protocol() : protocolOf(d);
        int srcPort = d.target() != null ? d.target().sourcePort() : 0;
        int destPort = d.target() != null ? d.target().destinationPort() : 0;
        List<InetAddress> sources = new ArrayList<>();
        List<Boolean> blocked = new ArrayList<>();
        for (String s : d.sources()) {
            InetAddress a = literal(s);
            if (a != null) {
                sources.add(a);
                blocked.add(measured || blockedSources.contains(s));
            }
        }
        if (sources.isEmpty()) {
            sources.add(subjectIsSource ? subject : null);
            blocked.add(measured || blockedSources.contains(d.subject()));
        }
        long first = d.timeNanos(); // detections are in epoch time already (see Time, above): no clock
        long last = d.lastNanos();
        List<ObjectNode> lines = new ArrayList<>(sources.size());
        for (int i = 0; i < sources.size(); i++) {
            InetAddress src = sources.get(i);
            ObjectNode o = MAPPER.createObjectNode();
            o.put("timestamp", time(first));
            Tuple t = new Tuple(src, srcPort, victim, destPort, proto);
            if (src != null || victim != null) {
                o.put("flow_id", flowId(t.src, t.srcPort, t.dest, t.destPort, Math.max(proto, 0), 0, 0));
            }
            if (options.inIface() != null) {
                o.put("in_iface", options.inIface());
            }
            o.put("event_type", "alert");
            tuple(o, t);
            String cid = t.communityId(options.communityId());
            if (cid != null) {
                o.put("community_id", cid);
            }
            ObjectNode a = o.putObject("alert");
            a.put("action", blocked.get(i) ? "blocked" : "allowed");
            a.put("gid", EveSignatures.GID);
            a.put("signature_id", sig.id());
            a.put("rev", sig.rev());
            a.put("signature", sig.text());
            a.put("category", sig.category());
            a.put("severity", sig.severity());
            // Suricata's alert.source / alert.target (rules with the target keyword): the attacker and the victim
            endpoint(a, "source", t.src, t.srcPort, proto);
            endpoint(a, "target", t.dest, t.destPort, proto);
            ObjectNode meta = a.putObject("metadata");
            meta.putArray("xdpml_detector").add(d.detector());
            ArrayNode reasons = meta.putArray("xdpml_reason");
            d.reasons().forEach(reasons::add);
            ObjectNode x = o.putObject("xdpml");
            x.put("detector", d.detector());
            x.put("subject", d.subject());
            x.put("score", d.score());
            x.put("count", d.count());
            x.put("first", time(first));
            x.put("last", time(last));
            ArrayNode r = x.putArray("reasons");
            d.reasons().forEach(r::add);
            ArrayNode s = x.putArray("sources");
            d.sources().forEach(s::add);
            if (d.target() != null) {
                x.put("target", d.target().toString());
                x.put("bare_syns", d.target().bareSyns()); // SYNs without TCP options: a crafter's (bare-syn-drop)
            }
            lines.add(o);
            remember(new AlertPattern(t.src, srcPort, victim, destPort, proto, first, last + ALERT_LINGER_NANOS));
        }
        return lines;
    }

    /** {@code {"ip", "port"}} under {@code name}, each part where known; nothing when neither is. */
    private static void endpoint(ObjectNode alert, String name, InetAddress ip, int port, int proto) {
        boolean hasPort = port != 0 && CommunityId.hasPorts(proto);
        if (ip == null && !hasPort) {
            return;
        }
        ObjectNode e = alert.putObject(name);
        if (ip != null) {
            e.put("ip", text(ip));
        }
        if (hasPort) {
            e.put("port", port);
        }
    }

    /** Detectors whose subject is the source of the traffic (the scanner, sweeper, tunnelling client); the others name a destination. */
    static boolean subjectIsSource(String detector) {
        return switch (detector) {
            case "portscan", "dnstunnel", "udpscan", "sweep", "slowscan", "connflood", "slowconn", "reqflood", "bruteforce" -> true;
            default -> false;
        };
    }

    /** The protocol a detector's traffic has when the detection has no target, -1 when it has none. */
    static int protocolOf(Detection d) {
        return switch (d.detector()) {
            case "portscan", "synflood", "connflood", "slowconn", "reqflood", "bruteforce" -> 6; // TCP probes; SYN-ACK reflection; connections
            case "dnstunnel", "udpscan" -> 17; // DNS over UDP only; UDP probes
            default -> -1;
        };
    }

    // -------------------------------------------------------------------------------------- flows

    /** A flow event (written, flushed at {@link #flush()}), {@code in_iface} from the options. */
    @Override
    public void flow(EndedFlow flow) {
        flow(flow, options.inIface());
    }

    /** A flow event of the flow seen on {@code inIface} (null: no {@code in_iface}): one writer for several interfaces. */
    public synchronized void flow(EndedFlow flow, String inIface) {
        ObjectNode line;
        try {
            line = flowEvent(flow, inIface);
        } catch (RuntimeException e) {
            failed++;
            lastError = e;
            return;
        }
        if (write(line)) {
            flows++;
        }
    }

    /** The flow line of a flow (no writing, no counting). */
    ObjectNode flowEvent(EndedFlow f, String inIface) {
        MemorySegment key = MemorySegment.ofArray(f.key());
        MemorySegment st = MemorySegment.ofArray(f.state());
        int version = key.get(java.lang.foreign.ValueLayout.JAVA_BYTE, FlowLayout.KEY_IP_VERSION);
        int proto = key.get(java.lang.foreign.ValueLayout.JAVA_BYTE, FlowLayout.KEY_PROTOCOL) & 0xff;
        boolean aIsSource = st.get(java.lang.foreign.ValueLayout.JAVA_BYTE, FlowLayout.INITIATOR_IS_A) != 0;
        byte[] a = Arrays.copyOfRange(f.key(), FlowLayout.KEY_ADDR_A, FlowLayout.KEY_ADDR_A + 16);
        byte[] b = Arrays.copyOfRange(f.key(), FlowLayout.KEY_ADDR_B, FlowLayout.KEY_ADDR_B + 16);
        int pa = FlowLayout.u16(key, FlowLayout.KEY_PORT_A);
        int pb = FlowLayout.u16(key, FlowLayout.KEY_PORT_B);
        int vlan = FlowLayout.u16(key, FlowLayout.KEY_VLAN);
        long vni = FlowLayout.keyVni(key); // the VNI without the key's tunnel mark: flow_id as before the mark (2026-12-06)
        if (version != 4 && version != 6) {
            throw new IllegalArgumentException("flow key with IP version " + version);
        }
        InetAddress src = address(aIsSource ? a : b, version);
        InetAddress dst = address(aIsSource ? b : a, version);
        int sp = aIsSource ? pa : pb;
        int dp = aIsSource ? pb : pa;
        boolean keyPorts = proto == 6 || proto == 17; // the only ports a flow key holds
        long first = options.clock().applyAsLong(f.firstNanos());
        long last = options.clock().applyAsLong(f.lastNanos());
        long fwdPackets = FlowLayout.u64(st, FlowLayout.dirOffset(FlowLayout.FWD) + FlowLayout.D_PACKETS);
        long bwdPackets = FlowLayout.u64(st, FlowLayout.dirOffset(FlowLayout.BWD) + FlowLayout.D_PACKETS);
        long fwdBytes = FlowLayout.u64(st, FlowLayout.dirOffset(FlowLayout.FWD) + FlowLayout.D_BYTES);
        long bwdBytes = FlowLayout.u64(st, FlowLayout.dirOffset(FlowLayout.BWD) + FlowLayout.D_BYTES);
        int closing = st.get(java.lang.foreign.ValueLayout.JAVA_BYTE, FlowLayout.CLOSING) & 0xff;

        ObjectNode o = MAPPER.createObjectNode();
        o.put("timestamp", time(options.clock().applyAsLong(f.reportNanos())));
        o.put("flow_id", flowId(src, keyPorts ? sp : 0, dst, keyPorts ? dp : 0, proto, vlan, vni));
        if (inIface != null) {
            o.put("in_iface", inIface);
        }
        o.put("event_type", "flow");
        if (vlan != 0) {
            o.putArray("vlan").add(vlan);
        }
        Tuple t = new Tuple(src, keyPorts ? sp : 0, dst, keyPorts ? dp : 0, proto);
        tuple(o, t);
        // ICMP/ICMPv6 need the type and code, SCTP its ports: the flow key has neither.
        if (!CommunityId.isIcmp(proto) && proto != 132) {
            String cid = t.communityId(options.communityId());
            if (cid != null) {
                o.put("community_id", cid);
            }
        }
        ObjectNode fl = o.putObject("flow");
        fl.put("pkts_toserver", fwdPackets);
        fl.put("pkts_toclient", bwdPackets);
        fl.put("bytes_toserver", fwdBytes);
        fl.put("bytes_toclient", bwdBytes);
        fl.put("start", time(first));
        fl.put("end", time(last));
        fl.put("age", Math.floorDiv(last, 1_000_000_000L) - Math.floorDiv(first, 1_000_000_000L));
        boolean tcpClosed = proto == 6 && ((closing & FlowLayout.CLOSE_RST) != 0
                || (closing & (FlowLayout.CLOSE_FIN_FWD | FlowLayout.CLOSE_FIN_BWD)) == (FlowLayout.CLOSE_FIN_FWD | FlowLayout.CLOSE_FIN_BWD));
        fl.put("state", tcpClosed ? "closed" : bwdPackets > 0 ? "established" : "new");
        fl.put("reason", reason(f.reason()));
        fl.put("alerted", alerted(src, t.srcPort, dst, t.destPort, proto, first, last));
        if (proto == 6) {
            ObjectNode tcp = o.putObject("tcp");
            int bits = FlowLayout.tcpFlagsSeen(st);
            tcp.put("tcp_flags", String.format("%02x", bits));
            String[] names = {"fin", "syn", "rst", "psh", "ack", "urg", "ecn", "cwr"};
            for (int i = 0; i < 8; i++) {
                if ((bits & (1 << i)) != 0) {
                    tcp.put(names[i], true);
                }
            }
        }
        ObjectNode x = o.putObject("xdpml");
        x.put("reason", f.reason().label());
        if (FlowLayout.keyTunnelled(key)) { // VNI 0 too: it is not the native flow
            x.put("vni", vni);
        }
        if (f.modelClass() != null) {
            x.put("class", f.modelClass());
            if (!Double.isNaN(f.score())) {
                x.put("score", f.score());
            }
        }
        return o;
    }

    /** Suricata's flow end reasons: a flow that ended is reported as timed out, one still going at the end as shutdown. */
    static String reason(FlowReason r) {
        return switch (r) {
            case TCP_CLOSE, TAIL, IDLE, SWEPT_IDLE -> "timeout"; // a FlowLog reports a tail as its tcp_close
            case END -> "shutdown";
            case ACTIVE -> "active";
        };
    }

    // ------------------------------------------------------------------------------- the tuple

    /** src/dest/ports/proto of a line; null address or port 0 or proto -1: unknown, left out. */
    record Tuple(InetAddress src, int srcPort, InetAddress dest, int destPort, int proto) {
        /** Community ID when the tuple is complete: both addresses of one family, the protocol, and both ports where it has ports. */
        String communityId(CommunityId c) {
            if (src == null || dest == null || proto < 0 || (src instanceof Inet4Address) != (dest instanceof Inet4Address)) {
                return null;
            }
            if (CommunityId.hasPorts(proto) && (srcPort == 0 || destPort == 0)) {
                return null;
            }
            if (CommunityId.isIcmp(proto)) {
                return null; // type and code unknown here
            }
            return c.of(src, dest, proto, srcPort, destPort);
        }
    }

    private static void tuple(ObjectNode o, Tuple t) {
        if (t.src != null) {
            o.put("src_ip", text(t.src));
        }
        if (t.srcPort != 0 && CommunityId.hasPorts(t.proto)) {
            o.put("src_port", t.srcPort);
        }
        if (t.dest != null) {
            o.put("dest_ip", text(t.dest));
        }
        if (t.destPort != 0 && CommunityId.hasPorts(t.proto)) {
            o.put("dest_port", t.destPort);
        }
        if (t.proto >= 0) {
            o.put("proto", protoName(t.proto));
        }
    }

    /** Suricata's names: TCP, UDP, ICMP, IPv6-ICMP, SCTP; other protocols as their number. */
    public static String protoName(int proto) {
        return switch (proto) {
            case 6 -> "TCP";
            case 17 -> "UDP";
            case 1 -> "ICMP";
            case 58 -> "IPv6-ICMP";
            case 132 -> "SCTP";
            default -> Integer.toString(proto);
        };
    }

    /** Suricata's timestamp text of epoch nanoseconds. */
    public static String time(long epochNanos) {
        return TIME.format(Instant.ofEpochSecond(Math.floorDiv(epochNanos, 1_000_000_000L), Math.floorMod(epochNanos, 1_000_000_000L)));
    }

    /** Address text: dotted IPv4, RFC 5952 IPv6 (compressed, lower case). */
    static String text(InetAddress a) {
        if (a instanceof Inet4Address) {
            return a.getHostAddress();
        }
        byte[] b = a.getAddress();
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (b[i] & 0xff);
            lo = (lo << 8) | (b[8 + i] & 0xff);
        }
        return io.xdpml.detect.Addresses.text(hi, lo);
    }

    /**
     * An address literal without any name lookup (detections name addresses as text; anything
     * else, such as {@code all}, is not an address): null when it is not one.
     */
    static InetAddress literal(String s) {
        if (s == null || s.isEmpty()) {
            return null;
        }
        String t = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
        boolean v6 = t.indexOf(':') >= 0 && t.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.');
        boolean v4 = t.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        if (!v4 && !v6) {
            return null;
        }
        try {
            return InetAddress.getByName(t); // a literal: parsed, never looked up
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static InetAddress address(byte[] sixteen, int version) {
        try {
            return InetAddress.getByAddress(version == 4 ? Arrays.copyOfRange(sixteen, 12, 16) : sixteen);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * flow_id: the first 53 bits of SHA-1 over the direction-free flow key (the lower address:port
     * first, addresses as 16 bytes with IPv4 mapped, then protocol, VLAN and VNI). The same for a
     * flow's flow event and for an alert about the same 5-tuple; the same for every flow of the same
     * key (like {@code community_id}, but VLAN and VNI count). Unknown parts count as zero.
     */
    public synchronized long flowId(InetAddress src, int srcPort, InetAddress dst, int dstPort, int proto, int vlan, long vni) {
        byte[] x = src == null ? NO_ADDRESS : io.xdpml.detect.Addresses.mapped(src);
        byte[] y = dst == null ? NO_ADDRESS : io.xdpml.detect.Addresses.mapped(dst);
        int c = Arrays.compareUnsigned(x, y);
        boolean swap = c > 0 || (c == 0 && srcPort > dstPort);
        byte[] buf = new byte[16 + 16 + 2 + 2 + 1 + 2 + 4];
        System.arraycopy(swap ? y : x, 0, buf, 0, 16);
        System.arraycopy(swap ? x : y, 0, buf, 16, 16);
        int p1 = swap ? dstPort : srcPort;
        int p2 = swap ? srcPort : dstPort;
        buf[32] = (byte) (p1 >>> 8);
        buf[33] = (byte) p1;
        buf[34] = (byte) (p2 >>> 8);
        buf[35] = (byte) p2;
        buf[36] = (byte) proto;
        buf[37] = (byte) (vlan >>> 8);
        buf[38] = (byte) vlan;
        buf[39] = (byte) (vni >>> 24);
        buf[40] = (byte) (vni >>> 16);
        buf[41] = (byte) (vni >>> 8);
        buf[42] = (byte) vni;
        sha1.reset();
        byte[] d = sha1.digest(buf);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (d[i] & 0xff);
        }
        return v & FLOW_ID_MASK;
    }

    // ---------------------------------------------------------------------------- flow.alerted

    /** What an alert was about: null / 0 / -1 = any; epoch times. */
    record AlertPattern(InetAddress src, int srcPort, InetAddress dest, int destPort, int proto, long from, long until) {
        boolean matches(InetAddress s, int sp, InetAddress d, int dp, int p, long first, long last) {
            return (src == null || src.equals(s)) && (dest == null || dest.equals(d)) && (srcPort == 0 || srcPort == sp)
                    && (destPort == 0 || destPort == dp) && (proto < 0 || proto == p) && first <= until && last >= from;
        }
    }

    private void remember(AlertPattern p) {
        if (p.src == null && p.dest == null) {
            return;
        }
        if (patterns.size() >= MAX_PATTERNS) {
            AlertPattern old = patterns.removeFirst();
            forget(old.src, old);
            forget(old.dest, old);
        }
        patterns.addLast(p);
        InetAddress index = p.src != null ? p.src : p.dest;
        patternsByAddress.computeIfAbsent(index, k -> new ArrayList<>(2)).add(p);
    }

    private void forget(InetAddress a, AlertPattern p) {
        if (a == null) {
            return;
        }
        List<AlertPattern> l = patternsByAddress.get(a);
        if (l != null && l.remove(p) && l.isEmpty()) {
            patternsByAddress.remove(a);
        }
    }

    /**
     * Whether an alert this writer wrote is about this flow: every part the alert names (source,
     * source port, destination, destination port, protocol) is the flow's, in the flow's direction
     * (source = initiator), and the flow was active between the detection's first report and 10 s
     * after its last. Kept for the last {@link #MAX_PATTERNS} alerts.
     */
    private boolean alerted(InetAddress s, int sp, InetAddress d, int dp, int proto, long first, long last) {
        for (InetAddress a : new InetAddress[] {s, d}) {
            List<AlertPattern> l = patternsByAddress.get(a);
            if (l != null) {
                for (AlertPattern p : l) {
                    if (p.matches(s, sp, d, dp, proto, first, last)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    // ------------------------------------------------------------------------------------ output

    /**
     * Writes the line and its newline in one call; whether it was written. After a failed write or
     * flush part of a line may be out: the next line starts with a newline, so it is never glued
     * to that part (a reader skips one broken line, not two). Until 2026-12-05 the JSON and its
     * newline were two writes, and a failed write counted as written.
     */
    private boolean write(ObjectNode line) {
        if (closed) {
            writeErrors++;
            return false;
        }
        try {
            String text = MAPPER.writeValueAsString(line);
            out.write(partial ? "\n" + text + "\n" : text + "\n");
            partial = false;
            return true;
        } catch (IOException e) {
            partial = true;
            writeErrors++;
            lastError = e;
            return false;
        }
    }

    private void flushQuietly() {
        if (closed) {
            return;
        }
        try {
            out.flush();
        } catch (IOException e) {
            partial = true;
            writeErrors++;
            lastError = e;
        }
    }

    /** Flushes what was written (the end of a batch of flows). */
    @Override
    public synchronized void flush() {
        flushQuietly();
    }

    /** Flushes and closes the file (standard output is flushed only); idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        flushQuietly();
        closed = true;
        if (closeOut) {
            try {
                out.close();
            } catch (IOException e) {
                writeErrors++;
                lastError = e;
            }
        }
    }

    /** Alert lines written. */
    public synchronized long alerts() {
        return alerts;
    }

    /** Flow lines written. */
    public synchronized long flows() {
        return flows;
    }

    /** Events that could not be converted (skipped). */
    public synchronized long failed() {
        return failed;
    }

    /** Writes and flushes that failed. */
    public synchronized long writeErrors() {
        return writeErrors;
    }

    /** The last conversion or write error, or null. */
    public synchronized Exception lastError() {
        return lastError;
    }
}
