package io.xdpml.cli;

import io.xdpml.kernel.BpfSupport;
import io.xdpml.kernel.TestRun;
import io.xdpml.pipeline.JavaParseEngine;
import io.xdpml.pipeline.KernelParseEngine;
import io.xdpml.pipeline.ParseEngine;
import java.util.Optional;

/** {@code --engine kernel|java}. */
public enum EngineChoice {
    kernel,
    java;

    /** Opens the engine; the kernel one fails with the reason when BPF is not usable here. */
    public ParseEngine open(int vxlanPort) {
        if (this == kernel) {
            Optional<String> why = BpfSupport.unavailableReason();
            if (why.isPresent()) {
                throw new IllegalStateException("the kernel engine needs BPF: " + why.get() + " (try --engine java)");
            }
            return new KernelParseEngine(vxlanPort);
        }
        return new JavaParseEngine(vxlanPort, TestRun.maxTestRunFrame());
    }
}
