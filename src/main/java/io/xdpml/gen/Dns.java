package io.xdpml.gen;

/** Writes DNS messages (RFC 1035) into a {@link FrameWriter}: header, names as labels. */
final class Dns {
    static final int PORT = 53;
    static final int HEADER_LENGTH = 12;
    static final int TYPE_A = 1;
    static final int TYPE_NULL = 10;
    static final int TYPE_TXT = 16;
    static final int TYPE_AAAA = 28;
    static final int TYPE_ANY = 255;
    static final int CLASS_IN = 1;
    static final int FLAGS_QUERY_RD = 0x0100;
    /** QR, RD, RA: a recursive resolver's answer. */
    static final int FLAGS_RESPONSE = 0x8180;

    private Dns() {}

    static void header(FrameWriter w, int id, int flags, int questions, int answers) {
        w.u16(id).u16(flags).u16(questions).u16(answers).u16(0).u16(0);
    }

    /** A dotted name as labels, ending with the root label. */
    static void name(FrameWriter w, String dotted) {
        int start = 0;
        while (start < dotted.length()) {
            int dot = dotted.indexOf('.', start);
            int end = dot < 0 ? dotted.length() : dot;
            w.u8(end - start);
            for (int i = start; i < end; i++) {
                w.u8(dotted.charAt(i));
            }
            start = end + 1;
        }
        w.u8(0);
    }
}
