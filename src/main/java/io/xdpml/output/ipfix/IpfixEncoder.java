package io.xdpml.output.ipfix;

import io.xdpml.flow.EndedFlow;
import io.xdpml.flow.FlowLayout;
import io.xdpml.flow.FlowReason;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Encodes flows as IPFIX messages (RFC 7011) of one observation domain: a 16-byte message header,
 * the Template Set (id 2) when templates are due, then Data Sets of template 256 (IPv4) or 257
 * (IPv6), as many records as fit in {@code maxMessageBytes}. A finished message goes to a
 * {@link MessageOut}; the header's sequence number is the number of data records in the messages
 * before it (mod 2^32). docs/ipfix.md describes the templates.
 *
 * <p>One thread at a time; no allocation per record.
 */
public final class IpfixEncoder {
    public static final int VERSION = 10;
    public static final int HEADER_SIZE = 16;
    public static final int TEMPLATE_SET_ID = 2;
    public static final int TEMPLATE_V4 = 256;
    public static final int TEMPLATE_V6 = 257;
    /** RFC 5103: the Private Enterprise Number of the reverse Information Elements. */
    public static final long REVERSE_PEN = 29305;
    /** A message fits in one 1500-byte Ethernet frame with IPv6 and UDP headers, tunnels leaving room. */
    public static final int DEFAULT_MAX_MESSAGE = 1400;
    public static final int MAX_MESSAGE = 65535;

    // IANA IPFIX Information Element ids
    public static final int OCTET_DELTA_COUNT = 1;
    public static final int PACKET_DELTA_COUNT = 2;
    public static final int PROTOCOL_IDENTIFIER = 4;
    public static final int TCP_CONTROL_BITS = 6;
    public static final int SOURCE_TRANSPORT_PORT = 7;
    public static final int SOURCE_IPV4_ADDRESS = 8;
    public static final int DESTINATION_TRANSPORT_PORT = 11;
    public static final int DESTINATION_IPV4_ADDRESS = 12;
    public static final int SOURCE_IPV6_ADDRESS = 27;
    public static final int DESTINATION_IPV6_ADDRESS = 28;
    public static final int VLAN_ID = 58;
    public static final int FLOW_END_REASON = 136;
    public static final int FLOW_START_MILLISECONDS = 152;
    public static final int FLOW_END_MILLISECONDS = 153;
    public static final int BIFLOW_DIRECTION = 239;

    // flowEndReason values (IANA)
    public static final int END_IDLE_TIMEOUT = 1;
    public static final int END_ACTIVE_TIMEOUT = 2;
    public static final int END_OF_FLOW_DETECTED = 3;
    public static final int END_FORCED = 4;
    public static final int END_LACK_OF_RESOURCES = 5;

    /** biflowDirection 1: the record's source is the flow's initiator. */
    public static final int BIFLOW_INITIATOR = 1;

    /** One field of a template: Information Element id, length, enterprise number (0: IANA). */
    public record Field(int id, int length, long enterprise) {}

    /** The fields of template 256 (IPv4) or 257 (IPv6), in record order. */
    public static Field[] fields(int ipVersion) {
        int a = ipVersion == 6 ? 16 : 4;
        return new Field[] {
            new Field(ipVersion == 6 ? SOURCE_IPV6_ADDRESS : SOURCE_IPV4_ADDRESS, a, 0),
            new Field(ipVersion == 6 ? DESTINATION_IPV6_ADDRESS : DESTINATION_IPV4_ADDRESS, a, 0),
            new Field(SOURCE_TRANSPORT_PORT, 2, 0),
            new Field(DESTINATION_TRANSPORT_PORT, 2, 0),
            new Field(PROTOCOL_IDENTIFIER, 1, 0),
            new Field(TCP_CONTROL_BITS, 2, 0),
            new Field(VLAN_ID, 2, 0),
            new Field(FLOW_START_MILLISECONDS, 8, 0),
            new Field(FLOW_END_MILLISECONDS, 8, 0),
            new Field(OCTET_DELTA_COUNT, 8, 0),
            new Field(PACKET_DELTA_COUNT, 8, 0),
            new Field(OCTET_DELTA_COUNT, 8, REVERSE_PEN),
            new Field(PACKET_DELTA_COUNT, 8, REVERSE_PEN),
            new Field(FLOW_END_REASON, 1, 0),
            new Field(BIFLOW_DIRECTION, 1, 0),
        };
    }

    /** Bytes of one data record of that address family (67 for IPv4, 91 for IPv6). */
    public static int recordSize(int ipVersion) {
        int n = 0;
        for (Field f : fields(ipVersion)) {
            n += f.length();
        }
        return n;
    }

    /** IANA flowEndReason for why a flow was reported. */
    public static int endReason(FlowReason reason) {
        return switch (reason) {
            case IDLE, SWEPT_IDLE -> END_IDLE_TIMEOUT;
            case ACTIVE -> END_ACTIVE_TIMEOUT;
            case TCP_CLOSE, TAIL -> END_OF_FLOW_DETECTED; // a FlowLog reports a tail as the tcp_close it completes
            case END -> END_FORCED;
        };
    }

    /** Receives each finished message; the buffer (position 0, limit = length) is valid only during the call. */
    @FunctionalInterface
    public interface MessageOut {
        void message(ByteBuffer message, int dataRecords, boolean templates);
    }

    private static final int RECORD_V4 = recordSize(4);
    private static final int RECORD_V6 = recordSize(6);
    private static final byte[] TEMPLATE_SET = templateSet();

    private final long domain;
    private final int maxMessageBytes;
    private final long refreshMillis;
    private final LongSupplier wallMillis;
    private final MessageOut out;
    private final ByteBuffer buffer;

    private boolean open;
    private boolean withTemplates;
    private int setStart = -1;
    private int setId;
    private int recordsInMessage;
    private long sequence;
    private long templatesSentMillis;
    private boolean templatesSent;

    /**
     * @param domain          observation domain id (unsigned 32 bits)
     * @param maxMessageBytes the largest message written (at least 512, at most 65,535)
     * @param templateRefresh how often a message starts with the templates again: null, only the
     *                        first message (a file); zero, every message; else at the first
     *                        message this long after the last templates (UDP)
     * @param wallMillis      the wall clock (epoch ms): export time, template refresh
     * @param out             where finished messages go
     */
    public IpfixEncoder(long domain, int maxMessageBytes, Duration templateRefresh, LongSupplier wallMillis, MessageOut out) {
        if (domain < 0 || domain > 0xffff_ffffL) {
            throw new IllegalArgumentException("observation domain " + domain + " is not in 0..4294967295");
        }
        if (maxMessageBytes < 512 || maxMessageBytes > MAX_MESSAGE) {
            throw new IllegalArgumentException("IPFIX message size " + maxMessageBytes + " is not in 512..65535");
        }
        if (templateRefresh != null && templateRefresh.isNegative()) {
            throw new IllegalArgumentException("negative template refresh " + templateRefresh);
        }
        this.domain = domain;
        this.maxMessageBytes = maxMessageBytes;
        this.refreshMillis = templateRefresh == null ? -1 : templateRefresh.toMillis();
        this.wallMillis = Objects.requireNonNull(wallMillis);
        this.out = Objects.requireNonNull(out);
        this.buffer = ByteBuffer.allocate(maxMessageBytes);
    }

    /** The sequence number the next message carries: data records in the messages finished so far, mod 2^32. */
    public long sequence() {
        return sequence & 0xffff_ffffL;
    }

    /** Sets the next message's sequence number (a file appended to goes on from its last; tests: the wrap at 2^32). */
    void sequence(long next) {
        sequence = next & 0xffff_ffffL;
    }

    /** Makes the current message (or the next one, when none is open) carry the templates, and finishes it. */
    public void sendTemplates() {
        if (open && !withTemplates) {
            finish();
        }
        if (!open) {
            begin(true);
        }
        finish();
    }

    /**
     * Adds one data record for {@code flow}: addresses, ports, protocol, VLAN, TCP flags and end
     * reason from the flow; the times and counts given (deltas since the flow's last export).
     */
    public void record(EndedFlow flow, long startMillis, long endMillis, long fwdPackets, long fwdBytes, long bwdPackets, long bwdBytes) {
        byte[] key = flow.key();
        int version = key[FlowLayout.KEY_IP_VERSION];
        int template = version == 6 ? TEMPLATE_V6 : TEMPLATE_V4;
        int size = version == 6 ? RECORD_V6 : RECORD_V4;
        if (open && buffer.position() + size + (setId == template ? 0 : 4) > maxMessageBytes) {
            finish();
        }
        if (!open) {
            begin(templatesDue());
        }
        if (setId != template) {
            closeSet();
            setStart = buffer.position();
            setId = template;
            buffer.putShort((short) template).putShort((short) 0);
        }

        MemorySegment k = MemorySegment.ofArray(key);
        MemorySegment s = MemorySegment.ofArray(flow.state());
        boolean initiatorIsA = s.get(ValueLayout.JAVA_BYTE, FlowLayout.INITIATOR_IS_A) != 0;
        int src = initiatorIsA ? FlowLayout.KEY_ADDR_A : FlowLayout.KEY_ADDR_B;
        int dst = initiatorIsA ? FlowLayout.KEY_ADDR_B : FlowLayout.KEY_ADDR_A;
        if (version == 6) {
            buffer.put(key, src, 16).put(key, dst, 16);
        } else {
            buffer.put(key, src + 12, 4).put(key, dst + 12, 4);
        }
        buffer.putShort((short) FlowLayout.u16(k, initiatorIsA ? FlowLayout.KEY_PORT_A : FlowLayout.KEY_PORT_B));
        buffer.putShort((short) FlowLayout.u16(k, initiatorIsA ? FlowLayout.KEY_PORT_B : FlowLayout.KEY_PORT_A));
        int protocol = key[FlowLayout.KEY_PROTOCOL] & 0xff;
        buffer.put((byte) protocol);
        buffer.putShort((short) (protocol == 6 ? FlowLayout.tcpFlagsSeen(s) : 0));
        buffer.putShort((short) (FlowLayout.u16(k, FlowLayout.KEY_VLAN) & 0x0fff));
        buffer.putLong(startMillis).putLong(endMillis);
        buffer.putLong(fwdBytes).putLong(fwdPackets);
        buffer.putLong(bwdBytes).putLong(bwdPackets);
        buffer.put((byte) endReason(flow.reason()));
        buffer.put((byte) BIFLOW_INITIATOR);
        recordsInMessage++;
    }

    /** Finishes the open message, if any, and hands it to the {@link MessageOut}. */
    public void flush() {
        if (open) {
            finish();
        }
    }

    private boolean templatesDue() {
        if (!templatesSent || refreshMillis == 0) {
            return true;
        }
        return refreshMillis > 0 && wallMillis.getAsLong() - templatesSentMillis >= refreshMillis;
    }

    private void begin(boolean templates) {
        buffer.clear();
        buffer.position(HEADER_SIZE);
        open = true;
        withTemplates = templates;
        setStart = -1;
        setId = 0;
        recordsInMessage = 0;
        if (templates) {
            buffer.put(TEMPLATE_SET);
        }
    }

    private void closeSet() {
        if (setStart >= 0) {
            buffer.putShort(setStart + 2, (short) (buffer.position() - setStart));
        }
        setStart = -1;
        setId = 0;
    }

    private void finish() {
        closeSet();
        long now = wallMillis.getAsLong();
        int length = buffer.position();
        buffer.putShort(0, (short) VERSION);
        buffer.putShort(2, (short) length);
        buffer.putInt(4, (int) Math.floorDiv(now, 1000));
        buffer.putInt(8, (int) sequence);
        buffer.putInt(12, (int) domain);
        if (withTemplates) {
            templatesSent = true;
            templatesSentMillis = now;
        }
        int records = recordsInMessage;
        sequence = (sequence + records) & 0xffff_ffffL;
        open = false;
        recordsInMessage = 0;
        buffer.flip();
        out.message(buffer, records, withTemplates);
    }

    private static byte[] templateSet() {
        ByteBuffer b = ByteBuffer.allocate(512);
        b.putShort((short) TEMPLATE_SET_ID).putShort((short) 0);
        for (int version : new int[] {4, 6}) {
            Field[] fields = fields(version);
            b.putShort((short) (version == 6 ? TEMPLATE_V6 : TEMPLATE_V4)).putShort((short) fields.length);
            for (Field f : fields) {
                if (f.enterprise() != 0) {
                    b.putShort((short) (0x8000 | f.id())).putShort((short) f.length()).putInt((int) f.enterprise());
                } else {
                    b.putShort((short) f.id()).putShort((short) f.length());
                }
            }
        }
        b.putShort(2, (short) b.position());
        byte[] set = new byte[b.position()];
        b.get(0, set);
        return set;
    }
}
