package io.xdpml.detect;

import io.xdpml.util.PacketSampling;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.pcap.PcapFormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs a {@link DetectorSet} over captures with each packet's own timestamp: the offline twin of
 * running it on live frames. Several captures play one after another, each shifted in time to
 * start {@code gapNanos} after the previous one ended (to put an attack after a benign baseline).
 */
public final class CaptureDetection {
    /**
     * @param packets  packets read
     * @param observed of those, given to the detectors (Ethernet framed, at least a header long; 1 in N of them when sampled)
     * @param runts    shorter than an Ethernet header, skipped
     * @param damage   null, or where a capture was damaged (packets before it were observed)
     */
    public record Result(long packets, long observed, long runts, PcapFormatException damage) {}

    private CaptureDetection() {}

    /** Runs one capture through the detectors and finishes them. */
    public static Result run(Path capture, DetectorSet detectors) throws IOException {
        return run(List.of(capture), 0, detectors);
    }

    /** Runs captures back to back ({@code gapNanos} of silence between them) and finishes the detectors. */
    public static Result run(List<Path> captures, long gapNanos, DetectorSet detectors) throws IOException {
        return run(captures, gapNanos, detectors, 1);
    }

    /**
     * As {@link #run(List, long, DetectorSet)}, giving the detectors 1 in {@code sampleEvery} frames
     * (the first among them, as the XDP program's sample stage picks them: {@link PacketSampling}), each
     * weighing {@code sampleEvery} ({@link PacketObservation#weight()}): what the agent sampling 1 in N
     * by packet hands its detectors, without a model. {@link Result#observed()} counts those given.
     */
    public static Result run(List<Path> captures, long gapNanos, DetectorSet detectors, int sampleEvery) throws IOException {
        if (sampleEvery < 1) {
            throw new IllegalArgumentException("1 in " + sampleEvery + " packets: must be at least 1");
        }
        long frames = 0;
        long below = PacketSampling.below(sampleEvery);
        ObservationBuilder builder = new ObservationBuilder(detectors.needsFlows());
        // a flow table of every packet for the detectors that read one (slowconn), as the data plane keeps it whatever the sampling
        ObservationBuilder census = detectors.needsCensus() ? new ObservationBuilder(true) : null;
        EthernetFramer framer = new EthernetFramer();
        long packets = 0;
        long observed = 0;
        long runts = 0;
        long end = Long.MIN_VALUE;
        PcapFormatException damage = null;
        for (Path capture : captures) {
            boolean first = true;
            long shift = 0;
            try (CaptureReader r = CaptureReader.open(capture)) {
                try {
                    while (r.next()) {
                        packets++;
                        long t = r.timestampNanos();
                        if (first) {
                            shift = end == Long.MIN_VALUE ? 0 : end + gapNanos - t;
                            first = false;
                        }
                        t += shift;
                        end = Math.max(end, t);
                        int length = framer.frame(r);
                        if (length < EthernetFramer.ETHERNET_HEADER_LENGTH) {
                            runts++;
                            continue;
                        }
                        if (census != null) {
                            census.observe(framer.frameSegment(), 0, length, t, 1);
                            if (detectors.censusDue(t)) {
                                detectors.census(t, t, census.flows());
                            }
                        }
                        if (PacketSampling.chosen(frames++, sampleEvery, below)) {
                            detectors.observe(builder.observe(framer.frameSegment(), 0, length, t, sampleEvery));
                            observed++;
                        }
                    }
                } catch (InternalError e) {
                    throw r.shrinkDamage(e); // the file shrank under the mapping
                }
            } catch (PcapFormatException e) {
                damage = e;
            }
        }
        if (census != null && end != Long.MIN_VALUE) {
            detectors.censusAll(end, end, census.flows()); // the flows open at the end
        }
        detectors.finish();
        return new Result(packets, observed, runts, damage);
    }
}
