package io.xdpml.pcap;

import static io.xdpml.pcap.PcapngLayout.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/**
 * pcapng: any number of sections, each with its own byte order and its own interfaces (ids restart
 * at 0 in every section). Packets come from Enhanced, Simple and (obsolete) Packet Blocks; every
 * other block type is skipped by its length after the length has been checked.
 */
final class PcapngReader extends CaptureReader {
    /** Interfaces per section: the tables grow with each IDB, so a file of tiny IDBs must not exhaust the heap. */
    static final int MAX_INTERFACES = 1 << 20;

    private ValueLayout.OfShort shortLayout = ByteOrders.SHORT_LE;
    private ValueLayout.OfInt intLayout = ByteOrders.INT_LE;
    private ValueLayout.OfLong longLayout = ByteOrders.LONG_LE;

    // Interfaces of the current section, indexed by interface id.
    private int interfaceCount;
    private int[] ifLinkType = new int[4];
    private long[] ifSnapLength = new long[4];
    private int[] ifTsresol = new int[4];
    private long[] ifTsOffsetNanos = new long[4];
    private int[] ifFcsLength = new int[4];

    PcapngReader(MemorySegment file, String name, Arena arena, FileChannel channel) throws PcapFormatException {
        super(file, name, arena, channel);
        readSectionHeader(0);
    }

    @Override
    public CaptureFormat format() {
        return CaptureFormat.PCAPNG;
    }

    @Override
    boolean advance() throws PcapFormatException {
        while (true) {
            long offset = position;
            long remaining = size - offset;
            if (remaining == 0) {
                return false;
            }
            if (remaining < BLOCK_OVERHEAD) {
                throw corrupt(offset, "block", "truncated block header: " + remaining + " bytes left, a block takes at least " + BLOCK_OVERHEAD);
            }
            int type = file.get(intLayout, offset + BLOCK_TYPE_OFFSET);
            if (type == SHB_TYPE) {
                readSectionHeader(offset);
                continue;
            }
            long length = checkedLength(offset, type, remaining);
            position = offset + length;
            switch (type) {
                case IDB_TYPE -> readInterface(offset, length);
                case EPB_TYPE -> {
                    readEnhancedPacket(offset, length);
                    return true;
                }
                case SPB_TYPE -> {
                    readSimplePacket(offset, length);
                    return true;
                }
                case PB_TYPE -> {
                    readPacketBlock(offset, length);
                    return true;
                }
                default -> { } // statistics, name resolution, secrets, custom, unknown: skipped
            }
        }
    }

    private void readSectionHeader(long offset) throws PcapFormatException {
        long remaining = size - offset;
        if (remaining < BLOCK_OVERHEAD) {
            throw corrupt(offset, "section header block", "truncated: " + remaining + " bytes left, the byte-order magic needs " + BLOCK_OVERHEAD);
        }
        int magic = file.get(ByteOrders.INT_BE, offset + SHB_BYTE_ORDER_OFFSET);
        ByteOrder order;
        if (magic == BYTE_ORDER_MAGIC) {
            order = ByteOrder.BIG_ENDIAN;
        } else if (magic == Integer.reverseBytes(BYTE_ORDER_MAGIC)) {
            order = ByteOrder.LITTLE_ENDIAN;
        } else {
            throw corrupt(offset, "section header block", String.format("unknown byte-order magic %08x (expected 1a2b3c4d in either byte order)", magic));
        }
        shortLayout = ByteOrders.shortLayout(order);
        intLayout = ByteOrders.intLayout(order);
        longLayout = ByteOrders.longLayout(order);
        long length = checkedLength(offset, SHB_TYPE, remaining);
        int major = Short.toUnsignedInt(file.get(shortLayout, offset + SHB_MAJOR_OFFSET));
        int minor = Short.toUnsignedInt(file.get(shortLayout, offset + SHB_MINOR_OFFSET));
        if (major != SHB_MAJOR_VERSION) {
            throw corrupt(offset, "section header block", "unsupported pcapng version " + major + "." + minor);
        }
        interfaceCount = 0;
        position = offset + length;
    }

    /** Checks a block's leading and trailing length and returns it. */
    private long checkedLength(long offset, int type, long remaining) throws PcapFormatException {
        long length = Integer.toUnsignedLong(file.get(intLayout, offset + BLOCK_LENGTH_OFFSET));
        String what = blockName(type);
        if (length % 4 != 0) {
            throw corrupt(offset, what, "block length " + length + " is not a multiple of 4");
        }
        int min = switch (type) {
            case SHB_TYPE -> SHB_MIN_LENGTH;
            case IDB_TYPE -> IDB_MIN_LENGTH;
            case EPB_TYPE -> EPB_MIN_LENGTH;
            case PB_TYPE -> PB_MIN_LENGTH;
            case SPB_TYPE -> SPB_MIN_LENGTH;
            default -> BLOCK_OVERHEAD;
        };
        if (length < min) {
            throw corrupt(offset, what, "block length " + length + " is less than the minimum " + min);
        }
        if (length > remaining) {
            throw corrupt(offset, what, "truncated: block length " + length + " but only " + remaining + " bytes left in the file");
        }
        long trailing = Integer.toUnsignedLong(file.get(intLayout, offset + length - 4));
        if (trailing != length) {
            throw corrupt(offset, what, "trailing block length " + trailing + " differs from the leading block length " + length);
        }
        return length;
    }

    private void readInterface(long offset, long length) throws PcapFormatException {
        int linkTypeValue = Short.toUnsignedInt(file.get(shortLayout, offset + IDB_LINKTYPE_OFFSET));
        long snap = Integer.toUnsignedLong(file.get(intLayout, offset + IDB_SNAPLEN_OFFSET));
        int tsresol = DEFAULT_TSRESOL;
        long tsOffsetSeconds = 0;
        int fcsLength = 0;
        long p = offset + IDB_OPTIONS_OFFSET;
        long end = offset + length - 4;
        while (p + OPTION_HEADER_LENGTH <= end) {
            int code = Short.toUnsignedInt(file.get(shortLayout, p));
            int optionLength = Short.toUnsignedInt(file.get(shortLayout, p + 2));
            if (code == OPT_ENDOFOPT) {
                break;
            }
            long value = p + OPTION_HEADER_LENGTH;
            if (value + optionLength > end) {
                throw corrupt(offset, "interface description block", "option " + code + " at offset " + p
                        + " with length " + optionLength + " runs past the end of the block");
            }
            if (code == IF_TSRESOL) {
                if (optionLength != 1) {
                    throw corrupt(offset, "interface description block", "if_tsresol option has length " + optionLength + ", not 1");
                }
                tsresol = Byte.toUnsignedInt(file.get(ValueLayout.JAVA_BYTE, value));
            } else if (code == IF_TSOFFSET) {
                if (optionLength != 8) {
                    throw corrupt(offset, "interface description block", "if_tsoffset option has length " + optionLength + ", not 8");
                }
                tsOffsetSeconds = file.get(longLayout, value);
            } else if (code == IF_FCSLEN) {
                if (optionLength != 1) {
                    throw corrupt(offset, "interface description block", "if_fcslen option has length " + optionLength + ", not 1");
                }
                fcsLength = fcsBytes(Byte.toUnsignedInt(file.get(ValueLayout.JAVA_BYTE, value)));
            }
            p = value + ((optionLength + 3) & ~3);
        }
        if (interfaceCount == MAX_INTERFACES) {
            throw corrupt(offset, "interface description block", "more than " + MAX_INTERFACES + " interfaces in one section");
        }
        if (interfaceCount == ifLinkType.length) {
            int n = interfaceCount * 2;
            ifLinkType = Arrays.copyOf(ifLinkType, n);
            ifSnapLength = Arrays.copyOf(ifSnapLength, n);
            ifTsresol = Arrays.copyOf(ifTsresol, n);
            ifTsOffsetNanos = Arrays.copyOf(ifTsOffsetNanos, n);
            ifFcsLength = Arrays.copyOf(ifFcsLength, n);
        }
        long tsOffsetNanos;
        try {
            tsOffsetNanos = Math.multiplyExact(tsOffsetSeconds, 1_000_000_000L);
        } catch (ArithmeticException e) {
            throw corrupt(offset, "interface description block", "if_tsoffset " + tsOffsetSeconds
                    + " s is outside what nanoseconds in a long hold (years 1677 to 2262)");
        }
        int id = interfaceCount++;
        ifLinkType[id] = linkTypeValue;
        ifSnapLength[id] = snap;
        ifTsresol[id] = tsresol;
        ifTsOffsetNanos[id] = tsOffsetNanos;
        ifFcsLength[id] = fcsLength;
    }

    private void readEnhancedPacket(long offset, long length) throws PcapFormatException {
        long id = Integer.toUnsignedLong(file.get(intLayout, offset + EPB_INTERFACE_OFFSET));
        readTimestampedPacket(offset, length, id, "enhanced packet block");
    }

    private void readPacketBlock(long offset, long length) throws PcapFormatException {
        long id = Short.toUnsignedInt(file.get(shortLayout, offset + PB_INTERFACE_OFFSET));
        readTimestampedPacket(offset, length, id, "packet block");
    }

    /** EPB and PB share the layout from offset 12 on. */
    private void readTimestampedPacket(long offset, long length, long id, String what) throws PcapFormatException {
        int iface = checkedInterface(offset, id, what);
        long ticks = (Integer.toUnsignedLong(file.get(intLayout, offset + EPB_TS_HIGH_OFFSET)) << 32)
                | Integer.toUnsignedLong(file.get(intLayout, offset + EPB_TS_LOW_OFFSET));
        long caplen = Integer.toUnsignedLong(file.get(intLayout, offset + EPB_CAPLEN_OFFSET));
        long origlen = Integer.toUnsignedLong(file.get(intLayout, offset + EPB_ORIGLEN_OFFSET));
        long room = length - EPB_MIN_LENGTH;
        if (caplen > room) {
            throw corrupt(offset, what, "captured length " + caplen + " exceeds the block's data area of " + room + " bytes");
        }
        checkCapturedLength(offset, what, caplen);
        try {
            timestampNanos = Math.addExact(PcapngTimestamps.toNanos(ticks, ifTsresol[iface]), ifTsOffsetNanos[iface]);
        } catch (ArithmeticException e) {
            throw corrupt(offset, what, "timestamp " + Long.toUnsignedString(ticks) + " (if_tsresol " + ifTsresol[iface]
                    + ", if_tsoffset " + ifTsOffsetNanos[iface] / 1_000_000_000L
                    + " s) is outside what nanoseconds in a long hold (years 1677 to 2262)");
        }
        setPacket(offset, iface, offset + EPB_DATA_OFFSET, caplen, origlen);
    }

    private void readSimplePacket(long offset, long length) throws PcapFormatException {
        if (interfaceCount == 0) {
            throw corrupt(offset, "simple packet block", "no interface description block precedes it in its section");
        }
        long origlen = Integer.toUnsignedLong(file.get(intLayout, offset + SPB_ORIGLEN_OFFSET));
        long snap = ifSnapLength[0];
        long caplen = snap == 0 ? origlen : Math.min(origlen, snap);
        long room = length - SPB_MIN_LENGTH;
        if (caplen > room) {
            throw corrupt(offset, "simple packet block", "captured length " + caplen
                    + " (the smaller of original length and snap length) exceeds the block's data area of " + room + " bytes");
        }
        checkCapturedLength(offset, "simple packet block", caplen);
        timestampNanos = 0;
        setPacket(offset, 0, offset + SPB_DATA_OFFSET, caplen, origlen);
    }

    /** A packet is at most {@code Integer.MAX_VALUE} bytes, as in the pcap reader (a block may be up to 4 GiB). */
    private void checkCapturedLength(long offset, String what, long caplen) throws PcapFormatException {
        if (caplen > Integer.MAX_VALUE) {
            throw corrupt(offset, what, "captured length " + caplen + " exceeds the maximum " + Integer.MAX_VALUE);
        }
    }

    private int checkedInterface(long offset, long id, String what) throws PcapFormatException {
        if (id >= interfaceCount) {
            throw corrupt(offset, what, "interface id " + id + " is not defined (the section has "
                    + interfaceCount + " interface description blocks before it)");
        }
        return (int) id;
    }

    private void setPacket(long offset, int iface, long data, long caplen, long origlen) {
        int fcs = ifFcsLength[iface];
        capturedLength = (int) (caplen - capturedFcs(caplen, origlen, fcs));
        originalLength = origlen;
        fcsLength = fcs;
        interfaceId = iface;
        linkType = ifLinkType[iface];
        snapLength = (int) Math.min(ifSnapLength[iface], Integer.MAX_VALUE);
        recordOffset = offset;
        dataOffset = data;
    }
}
