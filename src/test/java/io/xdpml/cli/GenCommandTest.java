package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpMode;
import io.xdpml.packet.ParseCounter;
import io.xdpml.pipeline.ParserProgram;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code xdpml gen} into a veth pair whose peer runs the XDP parser: every frame sent is parsed
 * there (the parser's per-CPU counters), for a frame kind sent flat out, paced, and for a capture
 * replayed (whose frames the Java parser counts the same way).
 */
class GenCommandTest {
    static String gen(NetworkNamespace ns, String... args) throws Exception {
        return ns.run(() -> {
            CommandLine cl = Main.commandLine();
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            cl.setOut(new PrintWriter(out));
            cl.setErr(new PrintWriter(err));
            assertThat(cl.execute(args)).as("stderr: %s", err).isZero();
            return out.toString();
        });
    }

    @Test
    void everyFrameSentIsSeenByThePeer() throws Exception {
        TestData.assumeBpf();
        Path capture = TestData.capture("tunnel/ndpi-vxlan.pcap");
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-gen")) {
            ns.createVethPair("gen0", "gen1");
            try (ParserProgram parser = ParserProgram.load(4789, false, ParserProgram.XDP_DROP);
                 XdpAttachment att = ns.run(() -> XdpAttachment.attach(parser.program(), Interfaces.indexOf("gen1"), XdpMode.NATIVE))) {
                String out = gen(ns, "gen", "--iface", "gen0", "--count", "200000", "--frame", "qinq", "--size", "128");
                assertThat(out).contains("sent 200000 frames");
                Thread.sleep(50);
                assertThat(parser.readCounters().get(ParseCounter.PACKETS)).isEqualTo(200_000);
                assertThat(parser.readCounters().get(ParseCounter.VLAN)).isEqualTo(200_000);

                gen(ns, "gen", "--iface", "gen0", "--count", "30000", "--rate", "100000");
                Thread.sleep(50);
                assertThat(parser.readCounters().get(ParseCounter.PACKETS)).isEqualTo(230_000);

                gen(ns, "gen", "--iface", "gen0", "--capture", capture.toString(), "--loops", "2");
                Thread.sleep(50);
                EthernetFramer framer = new EthernetFramer();
                long frames = 0;
                try (CaptureReader r = CaptureReader.open(capture)) {
                    while (r.next()) {
                        int n = framer.frame(r);
                        if (n >= 14) {
                            frames++;
                        }
                    }
                }
                assertThat(parser.readCounters().get(ParseCounter.PACKETS)).isEqualTo(230_000 + 2 * frames);
                assertThat(parser.readCounters().get(ParseCounter.VXLAN)).isPositive();
            }
        }
    }
}
