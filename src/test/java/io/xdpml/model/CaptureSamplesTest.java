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

    /**
     * A flow whose packets are all ignored is no flow of the data: it was a default-class flow
     * without a sample (unclassified per flow, counted in flows, split and folds). A wholly ignored
     * capture beside another changes nothing of the other's evaluation.
     */
    @Test
    void aFlowOfIgnoredPacketsOnlyIsNoFlowOfTheData() throws Exception {
        LabelRules r = LabelRules.parse(List.of("default benign", "attack file=*ndpi-synscan.pcap", "ignore file=*ndpi-ftp.pcap"), "t.rules");
        Path firefox = TestData.capture("benign/ndpi-firefox.pcap");
        Path ftp = TestData.capture("benign/ndpi-ftp.pcap");
        Dataset alone = CaptureSamples.load(List.of(firefox), r, SampleMode.EVERY_PACKET, null);
        Dataset both = CaptureSamples.load(List.of(firefox, ftp), r, SampleMode.EVERY_PACKET, null);
        Dataset ftpOnly = CaptureSamples.load(List.of(ftp), r, SampleMode.EVERY_PACKET, null);
        assertThat(ftpOnly.size()).isZero();
        assertThat(ftpOnly.flowCount()).as("flows of ignored packets only").isZero();
        assertThat(alone.flowCount()).isPositive();
        assertThat(both.size()).isEqualTo(alone.size());
        assertThat(both.flowCount()).isEqualTo(alone.flowCount());
        Evaluation e = Evaluation.of(both, x -> 0);
        assertThat(e.perFlow().accuracy()).isEqualTo(Evaluation.of(alone, x -> 0).perFlow().accuracy()).isEqualTo(1.0);
        assertThat(e.perFlow().confusion().totalUnclassified()).isZero();
        Dataset.Split s = both.split(0.3, 1);
        assertThat(s.train().flowCount() + s.test().flowCount()).isEqualTo(alone.flowCount());
    }

    /**
     * Flow at N: a flow's one sample (the vector after its N-th packet) carries the flow's label,
     * also when the N-th packet itself is ignored (a victim's answer): the kernel caches that verdict
     * for the whole flow. Before, such a flow had no sample and was shown unclassified, as if shorter
     * than N.
     */
    @Test
    void flowAtNJudgesAFlowWhoseNthPacketIsIgnored() throws Exception {
        Path scan = TestData.capture("attack/ndpi-synscan.pcap");
        LabelRules attacker = LabelRules.parse(List.of("default benign", "portscan file=*ndpi-synscan.pcap src=172.16.0.8",
                "ignore file=*ndpi-synscan.pcap"), "scan.rules");
        // every packet labeled: each flow's length, the answers counted
        Dataset all = CaptureSamples.load(List.of(scan), LabelRules.read(RULES), SampleMode.EVERY_PACKET, null);
        long[] length = new long[all.flowCount()];
        for (int i = 0; i < all.size(); i++) {
            length[all.flowOf(i)] = all.inputs(i)[FWD] + all.inputs(i)[BWD];
        }
        long ofTwo = java.util.Arrays.stream(length).filter(t -> t >= 2).count();
        assertThat(ofTwo).as("flows answered by the victim").isPositive();
        Dataset atTwo = CaptureSamples.load(List.of(scan), attacker, new SampleMode(2), null);
        assertThat(atTwo.flowCount()).isEqualTo(all.flowCount());
        assertThat(atTwo.size()).as("a sample for every flow of 2 packets or more").isEqualTo((int) ofTwo);
        int portscan = atTwo.classes().indexOf("portscan");
        for (int i = 0; i < atTwo.size(); i++) {
            assertThat(atTwo.label(i)).isEqualTo(atTwo.flowLabel(atTwo.flowOf(i))).isEqualTo(portscan);
            assertThat(atTwo.inputs(i)[FWD] + atTwo.inputs(i)[BWD]).isEqualTo(2);
        }
        Evaluation e = Evaluation.of(atTwo, x -> portscan);
        assertThat(e.perFlow().confusion().totalUnclassified()).as("only the one-packet flows").isEqualTo(all.flowCount() - ofTwo);
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
