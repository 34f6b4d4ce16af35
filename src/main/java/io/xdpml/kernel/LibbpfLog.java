package io.xdpml.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;

/**
 * libbpf's print callback: ONE global upcall installed with {@code libbpf_set_print}. It formats
 * each message with {@code vsnprintf} (on x86-64 a {@code va_list} parameter is a pointer, passed
 * through unchanged) and appends it to the calling thread's capture buffer when one is active
 * (libbpf calls back synchronously on the thread that called it), else warnings go to stderr when
 * {@code -Dxdpml.libbpf.log=true}. The upcall catches every Throwable: an exception escaping an
 * upcall kills the JVM.
 */
final class LibbpfLog {
    private LibbpfLog() {}

    /** libbpf_print_level: LIBBPF_WARN=0, LIBBPF_INFO=1, LIBBPF_DEBUG=2. */
    static final int LIBBPF_WARN = 0;
    static final int LIBBPF_INFO = 1;
    /** Formatting buffer; a message longer than this is truncated (verifier logs can be 16 MiB). */
    private static final long BUFFER_SIZE = 4L << 20;
    private static final boolean ECHO = Boolean.getBoolean("xdpml.libbpf.log");

    private static final ThreadLocal<StringBuilder> CAPTURE = new ThreadLocal<>();
    private static MemorySegment buffer;
    private static boolean installed;

    /** Installs the callback once. */
    static synchronized void install() {
        if (installed) return;
        buffer = Arena.global().allocate(BUFFER_SIZE);
        MemorySegment stub = Native.printCallbackStub(MethodHandles.lookup(), LibbpfLog.class, "print");
        Native.libbpfSetPrint(stub);
        installed = true;
    }

    /** Starts capturing libbpf output on this thread. */
    static void begin() {
        install();
        CAPTURE.set(new StringBuilder());
    }

    /** Stops capturing and returns what was captured. */
    static String end() {
        StringBuilder sb = CAPTURE.get();
        CAPTURE.remove();
        return sb == null ? "" : sb.toString();
    }

    /** The upcall target. Never throws. */
    @SuppressWarnings("unused")
    private static int print(int level, MemorySegment fmt, MemorySegment args) {
        try {
            StringBuilder sb = CAPTURE.get();
            if (sb == null && !(ECHO && level <= LIBBPF_INFO)) return 0;
            String msg;
            synchronized (LibbpfLog.class) {
                int n = Native.vsnprintf(buffer, BUFFER_SIZE, fmt, args);
                if (n < 0) return 0;
                msg = buffer.getString(0);
                if (n >= BUFFER_SIZE) msg += "\n[libbpf message truncated: " + n + " bytes]\n";
            }
            if (sb != null) sb.append(msg);
            else System.err.print("libbpf: " + msg);
            return 0;
        } catch (Throwable t) {
            return 0;
        }
    }
}
