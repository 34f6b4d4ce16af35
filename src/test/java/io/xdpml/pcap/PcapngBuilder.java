package io.xdpml.pcap;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** Builds pcapng files block by block for tests; remembers where each block starts. */
final class PcapngBuilder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private ByteOrder order = ByteOrder.LITTLE_ENDIAN;
    final List<Long> blockOffsets = new ArrayList<>();

    /** Starts a section in {@code order}. */
    PcapngBuilder section(ByteOrder order) {
        this.order = order;
        ByteBuffer b = body(16);
        b.putInt(0x1A2B3C4D).putShort((short) 1).putShort((short) 0).putLong(-1);
        return block(0x0A0D0D0A, b.array());
    }

    /** An IDB; {@code tsresol} / {@code tsoffset} are written as options when not null. */
    PcapngBuilder interfaceBlock(int linkType, int snapLength, Integer tsresol, Long tsoffsetSeconds) {
        return interfaceBlock(linkType, snapLength, tsresol, tsoffsetSeconds, null);
    }

    /** An IDB with an if_fcslen option (raw value, 1 byte) when {@code fcslen} is not null. */
    PcapngBuilder interfaceBlock(int linkType, int snapLength, Integer tsresol, Long tsoffsetSeconds, Integer fcslen) {
        ByteBuffer b = body(8 + 8 + 12 + 8 + 4);
        b.putShort((short) linkType).putShort((short) 0).putInt(snapLength);
        if (tsresol != null) {
            b.putShort((short) 9).putShort((short) 1).put((byte) (int) tsresol).put(new byte[3]);
        }
        if (tsoffsetSeconds != null) {
            b.putShort((short) 14).putShort((short) 8).putLong(tsoffsetSeconds);
        }
        if (fcslen != null) {
            b.putShort((short) 13).putShort((short) 1).put((byte) (int) fcslen).put(new byte[3]);
        }
        b.putShort((short) 0).putShort((short) 0); // opt_endofopt
        return block(1, trim(b));
    }

    PcapngBuilder enhancedPacket(int interfaceId, long ticks, byte[] data, long originalLength) {
        ByteBuffer b = body(20 + pad(data.length) + 12);
        b.putInt(interfaceId).putInt((int) (ticks >>> 32)).putInt((int) ticks).putInt(data.length).putInt((int) originalLength);
        b.put(data).put(new byte[pad(data.length) - data.length]);
        // an opt_comment and end of options, to prove options after the data are skipped
        b.putShort((short) 1).putShort((short) 2).put((byte) 'h').put((byte) 'i').putShort((short) 0)
                .putShort((short) 0).putShort((short) 0);
        return block(6, trim(b));
    }

    /** Obsolete Packet Block (type 2). */
    PcapngBuilder packetBlock(int interfaceId, long ticks, byte[] data, long originalLength) {
        ByteBuffer b = body(20 + pad(data.length));
        b.putShort((short) interfaceId).putShort((short) 0).putInt((int) (ticks >>> 32)).putInt((int) ticks)
                .putInt(data.length).putInt((int) originalLength);
        b.put(data).put(new byte[pad(data.length) - data.length]);
        return block(2, b.array());
    }

    /** Simple Packet Block: {@code data} must be min(original length, snap length of interface 0) bytes. */
    PcapngBuilder simplePacket(byte[] data, long originalLength) {
        ByteBuffer b = body(4 + pad(data.length));
        b.putInt((int) originalLength).put(data);
        return block(3, b.array());
    }

    /** Any block; {@code body} is padded to 4 bytes. */
    PcapngBuilder block(int type, byte[] body) {
        int length = 12 + pad(body.length);
        ByteBuffer b = ByteBuffer.allocate(length).order(order);
        b.putInt(type).putInt(length).put(body).position(length - 4);
        b.putInt(length);
        blockOffsets.add((long) out.size());
        out.writeBytes(b.array());
        return this;
    }

    byte[] build() {
        return out.toByteArray();
    }

    private ByteBuffer body(int capacity) {
        return ByteBuffer.allocate(capacity).order(order);
    }

    private static byte[] trim(ByteBuffer b) {
        byte[] a = new byte[b.position()];
        System.arraycopy(b.array(), 0, a, 0, a.length);
        return a;
    }

    static int pad(int n) {
        return (n + 3) & ~3;
    }
}
