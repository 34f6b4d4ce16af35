package io.xdpml.cli;

import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code xdpml run}'s SIGHUP handler, put in before the agent is built: a reload asked while the
 * agent loads and attaches (systemd's {@code reload} right after {@code start}, logrotate at boot)
 * is kept and handed to the agent once it runs. Before 2026-12-06 the handler came after the build,
 * and the JVM's own handling of SIGHUP ended the process with 129.
 */
final class EarlyHangup {
    private static final sun.misc.Signal HUP = new sun.misc.Signal("HUP");

    private final AtomicReference<Runnable> agent = new AtomicReference<>();
    private final AtomicBoolean pending = new AtomicBoolean();
    private sun.misc.SignalHandler previous;

    private EarlyHangup() {}

    /** Puts the handler in; says so when the process ignores SIGHUP (nohup), where no handler can be put in. */
    static EarlyHangup install(PrintWriter out) {
        EarlyHangup h = new EarlyHangup();
        h.previous = sun.misc.Signal.handle(HUP, s -> h.hangup());
        if (h.previous == sun.misc.SignalHandler.SIG_IGN) {
            // the JVM leaves a signal ignored at its start ignored: no handler was put in
            h.previous = null;
            out.println("SIGHUP is ignored in this process (started under nohup?): kill -HUP cannot reach this agent;"
                    + " 'xdpml reload --iface IF' can (it asks through the pins)");
            out.flush();
        }
        return h;
    }

    private void hangup() {
        Runnable a = agent.get();
        if (a == null) {
            pending.set(true);
            a = agent.get(); // the agent may have come in between: then it is told here, or by deliverTo
            if (a == null || !pending.getAndSet(false)) {
                return;
            }
        }
        a.run();
    }

    /** From now on SIGHUP runs {@code reload} (the agent's requestReload); one that came while it was being built runs it now. */
    void deliverTo(Runnable reload) {
        agent.set(reload);
        if (pending.getAndSet(false)) {
            reload.run();
        }
    }

    /** Whether a SIGHUP came that no agent has taken yet (tests). */
    boolean pending() {
        return pending.get();
    }

    /** Puts the handler that was there before back. */
    void restore() {
        if (previous != null) {
            sun.misc.Signal.handle(HUP, previous);
            previous = null;
        }
        agent.set(null);
    }
}
