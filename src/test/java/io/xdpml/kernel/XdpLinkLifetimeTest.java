package io.xdpml.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.pipeline.ParserProgram;
import io.xdpml.testing.TestData;
import org.junit.jupiter.api.Test;

/**
 * An unpinned BPF link detaches its program when its last fd closes, which is what the kernel
 * does for a process that dies however it dies: why `xdpml deploy` attaches through a link.
 */
class XdpLinkLifetimeTest {
    @Test
    void closingTheLastFdDetaches() throws Exception {
        TestData.assumeBpf();
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-link");
             ParserProgram p = ParserProgram.load(4789, false, ParserProgram.XDP_PASS)) {
            ns.createVethPair("lnk0", "lnk1");
            ns.run(() -> {
                int ifindex = Interfaces.indexOf("lnk1");
                XdpLink link = XdpLink.attach(p.program(), ifindex);
                assertThat(XdpAttachment.attachedProgramId(ifindex, XdpMode.NATIVE)).as("attached natively on veth").isPresent();
                link.close();
                for (int i = 0; i < 100 && XdpAttachment.attachedProgramId(ifindex, XdpMode.NATIVE).isPresent(); i++) {
                    Thread.sleep(10); // the release may run as deferred work
                }
                assertThat(XdpAttachment.attachedProgramId(ifindex, XdpMode.NATIVE)).as("detached with the last fd").isEmpty();
                return null;
            });
        }
    }
}
