package io.xdpml.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xdpml.model.data.CaptureSamples;
import io.xdpml.model.data.Dataset;
import io.xdpml.model.data.LabelRules;
import io.xdpml.model.data.SampleMode;
import io.xdpml.model.eval.Evaluation;
import io.xdpml.pcap.PcapFormatException;
import io.xdpml.testing.TestData;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Samples from labeled captures: every packet, or one per flow at its N-th packet. */
class CaptureSamplesTest {
    static final Path RULES = Path.of("models/labels-shared.rules");
    private static final int FWD = ModelInputs.index("fwd_packets");
    private static final int BWD = ModelInputs.index("bwd_packets");

    @Test
    void flowAtNHasOneSampleForEveryFlowOfAtLeastNPacketsAndShorterFlowsAreUnclassified() throws Exception {
        LabelRules rules = LabelRules.read(RULES);
        List<Path> caps = List.of(TestData.capture("benign/ndpi-ftp.pcap"), TestData.capture("attack/ndpi-synscan.pcap"),
                TestData.capture("attack/dns-tunnel-iodine.pcap"));
        Dataset every = CaptureSamples.load(caps, rules, SampleMode.EVERY_PACKET, null);
        int n = 3;
        Dataset atN = CaptureSamples.load(caps, rules, new SampleMode(n), null);
        assertThat(atN.flowCount()).isEqualTo(every.flowCount());
        long[] longest = new long[every.flowCount()];
        for (int i = 0; i < every.size(); i++) {
            long total = every.inputs(i)[FWD] + every.inputs(i)[BWD];
            assertThat(total).as("packets so far grow within a flow").isGreaterThan(longest[every.flowOf(i)]);
            longest[every.flowOf(i)] = total;
        }
        long flowsOfN = java.util.Arrays.stream(longest).filter(t -> t >= n).count();
        assertThat(atN.size()).isEqualTo((int) flowsOfN).isLessThan(every.flowCount());
        for (int i = 0; i < atN.size(); i++) {
            assertThat(atN.inputs(i)[FWD] + atN.inputs(i)[BWD]).isEqualTo(n);
        }
        // every packet of the tunnel capture is labeled, its one flow too
        assertThat(every.classes().getFirst()).isEqualTo("benign");
        int tunnel = every.classes().indexOf("dns-tunnel");
        assertThat(every.classCounts()[tunnel]).isEqualTo(434);
        Evaluation e = Evaluation.of(atN, x -> 0);
        assertThat(e.perFlow().confusion().totalUnclassified()).isEqualTo(every.flowCount() - flowsOfN);
        assertThat(e.perFlow().total()).isEqualTo(every.flowCount());
    }

    /** A rule labeling packets "ignore": they update their flows but give no sample; the others are unchanged. */
    @Test
    void ignoredPacketsGiveNoSampleButStillUpdateTheirFlows(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path scan = TestData.capture("attack/ndpi-synscan.pcap");
        Dataset all = CaptureSamples.load(List.of(scan), LabelRules.read(RULES), SampleMode.EVERY_PACKET, null);
        // the scan's probes come from one address; the victims' answers go back to it
        String attacker = "172.16.0.8";
        Path rules = dir.resolve("attacker.rules");
        java.nio.file.Files.writeString(rules, "default benign\nportscan file=*ndpi-synscan.pcap src=" + attacker
                + "\nignore file=*ndpi-synscan.pcap\n");
        LabelRules r = LabelRules.read(rules);
        assertThat(r.classLabels()).containsExactly("benign", "portscan");
        Dataset probes = CaptureSamples.load(List.of(scan), r, SampleMode.EVERY_PACKET, null);
        assertThat(probes.classes()).containsExactly("benign", "portscan");
        assertThat(probes.classCounts()[0]).as("nothing benign: the rest is ignored").isZero();
        assertThat(probes.size()).as("the attacker's packets (tshark: 1,994 of 2,011)").isEqualTo(1994);
        assertThat(all.size()).isEqualTo(2011);
        // each probe's sample is the one the full labeling gives the same packet: flows updated alike
        java.util.Set<String> allInputs = new java.util.HashSet<>();
        for (int i = 0; i < all.size(); i++) {
            allInputs.add(java.util.Arrays.toString(all.inputs(i)));
        }
        for (int i = 0; i < probes.size(); i++) {
            assertThat(allInputs).contains(java.util.Arrays.toString(probes.inputs(i)));
        }
        Path bad = dir.resolve("bad.rules");
        java.nio.file.Files.writeString(bad, "default ignore\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> LabelRules.read(bad))
                .hasMessageContaining("bad.rules:1").hasMessageContaining("cannot be the default");
    }

    /** A capture cut at 30%: its samples up to the damage are kept, and the damage is told (file, offset, reason). */
    @Test
    void aDamagedCaptureIsToldNotHidden(@TempDir Path dir) throws Exception {
        Path whole = TestData.capture("benign/ndpi-ftp.pcap");
        byte[] bytes = java.nio.file.Files.readAllBytes(whole);
        Path cut = dir.resolve("cut.pcap");
        java.nio.file.Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length * 3 / 10));
        LabelRules rules = LabelRules.read(RULES);
        List<PcapFormatException> told = new java.util.ArrayList<>();
        Dataset part = CaptureSamples.load(List.of(cut), rules, SampleMode.EVERY_PACKET, null, told::add);
        assertThat(told).hasSize(1);
        assertThat(told.getFirst().source()).isEqualTo(cut.toString());
        assertThat(told.getFirst().offset()).isPositive();
        assertThat(told.getFirst().reason()).contains("truncated");
        Dataset all = CaptureSamples.load(List.of(whole), rules, SampleMode.EVERY_PACKET, null, told::add);
        assertThat(told).hasSize(1);
        assertThat(part.size()).isPositive().isLessThan(all.size());

        // not a capture at all is an error, not an empty dataset
        Path notes = dir.resolve("notes.txt");
        java.nio.file.Files.writeString(notes, "not a capture\n");
        assertThatThrownBy(() -> CaptureSamples.load(List.of(notes), rules, SampleMode.EVERY_PACKET, null, told::add))
                .isInstanceOf(PcapFormatException.class).hasMessageContaining("unknown magic number");
    }

    /**
     * An 802.11 capture among others: a file the framer cannot read fails the run, as a file that is
     * not a capture does, and the error names that file, its link type and what is supported.
     */
    @Test
    void anUnsupportedLinkTypeFailsTheRunNamingTheFile(@TempDir Path dir) throws Exception {
        Path wifi = dir.resolve("wifi.pcap");
        try (io.xdpml.pcap.PcapWriter w = io.xdpml.pcap.PcapWriter.open(wifi, io.xdpml.pcap.LinkType.IEEE802_11)) {
            w.write(1_000_000_000L, java.lang.foreign.MemorySegment.ofArray(new byte[40]), 40, 40);
        }
        LabelRules rules = LabelRules.read(RULES);
        List<Path> captures = List.of(TestData.capture("benign/ndpi-ftp.pcap"), wifi);
        assertThatThrownBy(() -> CaptureSamples.load(captures, rules, SampleMode.EVERY_PACKET, null, e -> { }))
                .isInstanceOf(io.xdpml.pcap.UnsupportedLinkTypeException.class)
                .hasMessageStartingWith(wifi + ": packet at offset 24: link type 105 (IEEE802_11) cannot be turned into Ethernet frames")
                .hasMessageContaining("supported: ETHERNET (1)");
    }
}
