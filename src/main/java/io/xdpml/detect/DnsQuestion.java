package io.xdpml.detect;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * The first question of a DNS message, read in place and bounds-checked (RFC 1035 4.1.2): labels
 * of at most 63 bytes (the length byte's top bits are the label type), a name of at most 255, compression pointers (4.1.4) followed only backwards
 * into the message and at most {@link #MAX_POINTERS} of them (so a pointer loop ends), the
 * reserved label types 0x40 and 0x80 refused. Reusable: the name goes into an owned buffer, nothing
 * is allocated per message.
 *
 * <pre>
 *  0      2      4        6        8        10       12
 *  +------+------+--------+--------+--------+--------+------ ... ----+-------+--------+
 *  |  id  |flags |qdcount |ancount |nscount |arcount | qname (labels) | qtype | qclass |
 *  +------+------+--------+--------+--------+--------+------ ... ----+-------+--------+
 * </pre>
 */
public final class DnsQuestion {
    public static final int HEADER_LENGTH = 12;
    public static final int FLAGS_OFFSET = 2;
    public static final int QDCOUNT_OFFSET = 4;
    public static final int QR_BIT = 0x8000;
    public static final int OPCODE_MASK = 0x7800;
    public static final int MAX_LABEL = 63;
    public static final int MAX_NAME = 255;
    public static final int MAX_POINTERS = 16;
    public static final int MAX_LABELS = 128;

    /** Why a message was not read. */
    public enum Error {
        NONE, TOO_SHORT, NOT_A_QUERY, NOT_A_RESPONSE, NO_QUESTION, TRUNCATED, NAME_TOO_LONG, BAD_LABEL_TYPE, BAD_POINTER, TOO_MANY_POINTERS
    }

    private final byte[] name = new byte[MAX_NAME];
    private final int[] labelStart = new int[MAX_LABELS];
    private final int[] labelLength = new int[MAX_LABELS];
    private final int[] histogram = new int[256];
    private int nameLength;
    private int labels;
    private int qtype;
    private int pointers;
    private Error error = Error.NONE;

    private static int u8(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off) & 0xff;
    }

    /**
     * Reads the first question of the query in {@code length} bytes at {@code offset} of {@code s}
     * (a UDP payload). False (with {@link #error()}) when it is no standard query or is malformed.
     */
    public boolean parse(MemorySegment s, long offset, int length) {
        return read(s, offset, length, false);
    }

    /**
     * Reads the question a standard response repeats (QR set, opcode 0), as {@link #parse} a
     * query's: what {@code amplification} compares among the answers a victim receives.
     */
    public boolean parseResponse(MemorySegment s, long offset, int length) {
        return read(s, offset, length, true);
    }

    private boolean read(MemorySegment s, long offset, int length, boolean response) {
        nameLength = 0;
        labels = 0;
        qtype = -1;
        pointers = 0;
        long avail = Math.min(length, s.byteSize() - offset);
        if (avail < HEADER_LENGTH) {
            return fail(Error.TOO_SHORT);
        }
        int flags = (u8(s, offset + FLAGS_OFFSET) << 8) | u8(s, offset + FLAGS_OFFSET + 1);
        if ((flags & (QR_BIT | OPCODE_MASK)) != (response ? QR_BIT : 0)) {
            return fail(response ? Error.NOT_A_RESPONSE : Error.NOT_A_QUERY);
        }
        if (((u8(s, offset + QDCOUNT_OFFSET) << 8) | u8(s, offset + QDCOUNT_OFFSET + 1)) == 0) {
            return fail(Error.NO_QUESTION);
        }
        int pos = HEADER_LENGTH;
        int end = -1; // where the question continues after the name, once a pointer was followed
        int lowest = pos; // a pointer must point before every place read so far
        while (true) {
            if (pos >= avail) {
                return fail(Error.TRUNCATED);
            }
            int len = u8(s, offset + pos);
            if (len == 0) {
                pos++;
                break;
            }
            int type = len & 0xc0;
            if (type == 0xc0) {
                if (pos + 1 >= avail) {
                    return fail(Error.TRUNCATED);
                }
                int target = ((len & 0x3f) << 8) | u8(s, offset + pos + 1);
                if (++pointers > MAX_POINTERS) {
                    return fail(Error.TOO_MANY_POINTERS);
                }
                if (target < HEADER_LENGTH || target >= lowest) {
                    return fail(Error.BAD_POINTER);
                }
                if (end < 0) {
                    end = pos + 2;
                }
                lowest = target;
                pos = target;
                continue;
            }
            if (type != 0) {
                return fail(Error.BAD_LABEL_TYPE);
            }
            if (pos + 1 + len > avail) {
                return fail(Error.TRUNCATED);
            }
            int needed = nameLength + (labels > 0 ? 1 : 0) + len;
            if (needed + 2 > MAX_NAME || labels == MAX_LABELS) { // wire form: a length byte per label, and the root
                return fail(Error.NAME_TOO_LONG);
            }
            if (labels > 0) {
                name[nameLength++] = '.';
            }
            labelStart[labels] = nameLength;
            labelLength[labels] = len;
            labels++;
            MemorySegment.copy(s, ValueLayout.JAVA_BYTE, offset + pos + 1, name, nameLength, len);
            nameLength += len;
            pos += 1 + len;
            if (end < 0) {
                lowest = pos;
            }
        }
        int typeAt = end >= 0 ? end : pos;
        if (typeAt + 2 > avail) {
            return fail(Error.TRUNCATED);
        }
        qtype = (u8(s, offset + typeAt) << 8) | u8(s, offset + typeAt + 1);
        error = Error.NONE;
        return true;
    }

    private boolean fail(Error e) {
        error = e;
        return false;
    }

    public Error error() {
        return error;
    }

    /** Bytes of the name in dotted form (no trailing dot). */
    public int nameLength() {
        return nameLength;
    }

    public int labelCount() {
        return labels;
    }

    public int longestLabel() {
        int m = 0;
        for (int i = 0; i < labels; i++) {
            m = Math.max(m, labelLength[i]);
        }
        return m;
    }

    /** QTYPE (1 A, 10 NULL, 16 TXT, 28 AAAA, ...). */
    public int qtype() {
        return qtype;
    }

    /** Compression pointers followed. */
    public int pointers() {
        return pointers;
    }

    /** Labels that make the base domain: the last two (no public-suffix list), fewer when the name has fewer. */
    public int baseLabels() {
        return Math.min(2, labels);
    }

    /** Where the base domain starts in the name. */
    private int baseStart() {
        return labels == 0 ? 0 : labelStart[labels - baseLabels()];
    }

    /** Bytes before the base domain, without the separating dot: what a tunnel encodes data in. */
    public int subdomainLength() {
        int b = baseStart();
        return b == 0 ? 0 : b - 1;
    }

    /** Shannon entropy, bits per byte, of the subdomain part (0 when empty). */
    public double subdomainEntropy() {
        int n = subdomainLength();
        if (n == 0) {
            return 0;
        }
        int[] h = histogram;
        for (int i = 0; i < n; i++) {
            h[name[i] & 0xff]++;
        }
        double bits = 0;
        for (int i = 0; i < n; i++) {
            int c = h[name[i] & 0xff];
            if (c > 0) {
                double p = (double) c / n;
                bits -= p * Math.log(p);
                h[name[i] & 0xff] = 0;
            }
        }
        return bits / Math.log(2);
    }

    /** Case-insensitive 64-bit hash of the base domain. */
    public long baseDomainHash() {
        return hash(baseStart(), nameLength);
    }

    /** Case-insensitive 64-bit hash of the whole name (DNS names compare so: a resolver may vary the case it asks in). */
    public long nameHashIgnoringCase() {
        return hash(0, nameLength);
    }

    /** 64-bit hash of the whole name (case kept: tunnels use case to carry data). */
    public long nameHash() {
        long h = 0x84222325cbf29ce4L;
        for (int i = 0; i < nameLength; i++) {
            h = (h ^ (name[i] & 0xff)) * 0x100000001b3L;
        }
        return Addresses.mix(h);
    }

    private long hash(int from, int to) {
        long h = 0xcbf29ce484222325L;
        for (int i = from; i < to; i++) {
            int c = name[i] & 0xff;
            if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
            }
            h = (h ^ c) * 0x100000001b3L;
        }
        return Addresses.mix(h);
    }

    /** The name as text (non-printable bytes as \DDD, like zone files); allocates. */
    public String nameText() {
        return text(0, nameLength);
    }

    /** The base domain as text, lower case; allocates. */
    public String baseDomainText() {
        return text(baseStart(), nameLength).toLowerCase(java.util.Locale.ROOT);
    }

    private String text(int from, int to) {
        StringBuilder sb = new StringBuilder(to - from);
        for (int i = from; i < to; i++) {
            int c = name[i] & 0xff;
            if (c > 0x20 && c < 0x7f) {
                sb.append((char) c);
            } else {
                sb.append('\\').append(String.format("%03d", c));
            }
        }
        return sb.toString();
    }

    /** The name's bytes as ISO-8859-1 text (for comparing with decoders that print raw bytes); allocates. */
    public String nameLatin1() {
        return new String(name, 0, nameLength, StandardCharsets.ISO_8859_1);
    }
}
