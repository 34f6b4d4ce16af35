package io.xdpml.pcap;

import java.io.IOException;

/**
 * A capture file is truncated or corrupt, or is not a capture file at all.
 *
 * <p>This is a checked exception (an {@link IOException}): a damaged file is an I/O condition the
 * caller has to expect. The message names the file, the byte offset of the damaged structure and
 * the reason, e.g. {@code "x.pcap: record at offset 1234: captured length 70000 exceeds the snap
 * length 65535"}.
 */
public final class PcapFormatException extends IOException {
    private final String source;
    private final long offset;
    private final String reason;

    /**
     * @param source name of the capture (usually its path)
     * @param offset byte offset of the damaged structure (file header, record or block)
     * @param what what sits at that offset: "file header", "record", "block", ...
     * @param reason what is wrong with it
     */
    public PcapFormatException(String source, long offset, String what, String reason) {
        super(source + ": " + what + " at offset " + offset + ": " + reason);
        this.source = source;
        this.offset = offset;
        this.reason = reason;
    }

    /** Byte offset, from the start of the file, of the structure that is damaged. */
    public long offset() {
        return offset;
    }

    /** The capture's name as given to the reader (usually its path). */
    public String source() {
        return source;
    }

    /** The reason alone, without file name and offset. */
    public String reason() {
        return reason;
    }
}
