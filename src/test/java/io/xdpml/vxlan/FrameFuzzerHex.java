package io.xdpml.vxlan;

import java.util.HexFormat;

/** Hex of frames, for readable assertion messages. */
final class FrameFuzzerHex {
    private FrameFuzzerHex() {}

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
