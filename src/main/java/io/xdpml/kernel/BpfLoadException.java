package io.xdpml.kernel;

/**
 * {@code bpf_object__load} failed. The message ends with the tail of libbpf's output for that
 * load, which includes the verifier log; {@link #log()} has all of it.
 */
public final class BpfLoadException extends KernelException {
    private static final long serialVersionUID = 1L;
    private static final int MESSAGE_LOG_LINES = 60;
    private final String log;

    BpfLoadException(String call, int errno, String log) {
        super(call, errno, tail(log));
        this.log = log;
    }

    /** Everything libbpf printed during the failed load (verifier log included). */
    public String log() { return log; }

    private static String tail(String log) {
        String[] lines = log.split("\n");
        if (lines.length <= MESSAGE_LOG_LINES) return log;
        StringBuilder sb = new StringBuilder("[... ").append(lines.length - MESSAGE_LOG_LINES)
                .append(" lines, see log() ...]\n");
        for (int i = lines.length - MESSAGE_LOG_LINES; i < lines.length; i++) sb.append(lines[i]).append('\n');
        return sb.toString();
    }
}
