package io.xdpml.testing;

import java.util.function.Supplier;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What a test needs from the machine (root and BPF, tshark, ndpiReader, bpftool, the shared
 * captures). Missing: the test is skipped with the reason, never passed silently; and where the
 * run demands everything ({@code -Dxdpml.requireKernelTests=true}, as CI does), it fails instead,
 * so a green CI cannot hide kernel tests that did not run.
 */
public final class Requirements {
    public static final boolean STRICT = Boolean.getBoolean("xdpml.requireKernelTests");

    private Requirements() {}

    public static void require(boolean met, String reason) {
        require(met, () -> reason);
    }

    public static void require(boolean met, Supplier<String> reason) {
        if (met) {
            return;
        }
        if (STRICT) {
            Assertions.fail("required by -Dxdpml.requireKernelTests=true: " + reason.get());
        }
        Assumptions.assumeTrue(false, () -> "SKIPPED: " + reason.get());
    }
}
