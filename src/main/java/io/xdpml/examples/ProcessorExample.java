package io.xdpml.examples;

import io.xdpml.processor.MlPacketProcessor;
import io.xdpml.processor.ProcessorConfig;
import io.xdpml.processor.ProcessorStats;
import io.xdpml.processor.Verdict;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The processor API in a few lines: every packet of an interface reaches a callback through
 * AF_XDP with its flow's features; packets of flows that keep sending SYNs without an answer are
 * flagged, and the first 100 flagged are written to a pcap file.
 *
 * <pre>
 * sudo java --enable-native-access=ALL-UNNAMED -cp target/xdpml.jar io.xdpml.examples.ProcessorExample eth0 10 flagged.pcap
 * </pre>
 */
public final class ProcessorExample {
    private ProcessorExample() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ProcessorExample IFACE [SECONDS] [CAPTURE.pcap]");
            System.exit(2);
        }
        ProcessorStats s = run(args[0], args.length > 1 ? Integer.parseInt(args[1]) : 10,
                Path.of(args.length > 2 ? args[2] : "flagged.pcap"), System.out);
        System.exit(s.callbackErrors() == 0 ? 0 : 1);
    }

    /** Runs the example on {@code iface} for {@code seconds}; returns the processor's counts. */
    public static ProcessorStats run(String iface, int seconds, Path capture, PrintStream out) throws Exception {
        ProcessorConfig config = ProcessorConfig.forInterface(iface).withCapture(capture, 100);
        try (MlPacketProcessor p = MlPacketProcessor.open(config, packet -> {
            long syns = packet.input("syn_flag_count");
            long answers = packet.input("bwd_packets");
            return syns >= 3 && answers == 0 ? Verdict.flag(syns, "unanswered SYNs") : Verdict.NORMAL;
        })) {
            out.println("AF_XDP " + p.socketMode() + " mode on " + iface + "; " + config);
            p.start();
            for (int i = 0; i < seconds; i++) {
                Thread.sleep(1000);
                out.println(p.stats());
            }
            p.stop();
            ProcessorStats s = p.stats();
            out.println("done: " + s);
            return s;
        }
    }
}
