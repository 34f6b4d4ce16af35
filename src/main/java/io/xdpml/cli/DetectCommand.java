package io.xdpml.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.detect.CaptureDetection;
import io.xdpml.detect.Detection;
import io.xdpml.detect.DetectorSet;
import io.xdpml.detect.Detectors;
import io.xdpml.output.EveWriter;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code xdpml detect FILE}: runs the detectors over a capture and prints what they find. */
@Command(name = "detect", mixinStandardHelpOptions = true,
        header = "Run attack and anomaly detectors over a capture.",
        description = {"Replays the capture with its own timestamps through the chosen detectors (docs/detectors.md) and prints"
            + " one line per detection: time, detector, subject, score, repeat count and reasons; then a summary.",
            "Reports of one detector about one subject within 10 s of capture time are merged into one detection.",
            "Exit status 0 whether or not anything was detected; 1 when the --eve output could not be written."})
final class DetectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "capture file (pcap or pcapng)")
    Path file;

    @Option(names = "--detectors", defaultValue = "all", paramLabel = "a,b",
            description = "comma-separated detectors: portscan, synflood, amplification, dnstunnel, volumetric, anomaly,"
                    + " udpscan, sweep, slowscan, reflection, flood, connflood, slowconn, reqflood, bruteforce, all"
                    + " (default: ${DEFAULT-VALUE})")
    String detectors;

    @Option(names = "--set", paramLabel = "detector.parameter=value",
            description = {"override a threshold (repeatable); parameters per detector: docs/detectors.md. For example:%n"
                + "portscan.minDistinctPorts=50%nsynflood.windowNanos=5000000000"})
    List<String> settings = new java.util.ArrayList<>();

    @Option(names = "--sample", paramLabel = "N", defaultValue = "1",
            description = {"give the detectors 1 in N packets (the first among them, as the agent's sample stage picks them), each counting N where a detector counts"
                + " packets, SYNs or bytes: what the agent sampling 1 in N by packet sees, without a model or flows (with flows it"
                + " also hands over each flow's first packet in each direction: xdpml replay runs the whole agent) (default: ${DEFAULT-VALUE})"})
    int sample;

    @Option(names = "--json", description = "JSON lines: one object per detection, then one {\"summary\": ...} object")
    boolean json;

    @Option(names = "--eve", paramLabel = "OUT",
            description = {"also write the detections as Suricata EVE JSON alerts (one line each; docs/outputs.md) to OUT;"
                + " '-': to standard output instead of the usual lines (the summary then goes to standard error)"})
    String eve;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        DetectorSet set;
        try {
            set = new DetectorSet(Detectors.create(detectors, settings));
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("xdpml detect: " + e.getMessage());
            return 2;
        }
        if (sample < 1) {
            spec.commandLine().getErr().println("xdpml detect: --sample " + sample + ": must be at least 1");
            return 2;
        }
        if (eve != null && !eve.equals("-") && Files.isDirectory(Path.of(eve))) {
            spec.commandLine().getErr().println("xdpml detect: --eve " + eve + " is a directory");
            return 2;
        }
        CaptureDetection.Result r = CaptureDetection.run(List.of(file), 0, set, sample);
        List<Detection> found = set.detections();
        boolean eveToStdout = "-".equals(eve);
        if (eve != null) {
            // Capture times are epoch nanoseconds already; nothing is blocked offline.
            EveWriter.Options options = EveWriter.Options.defaults();
            try (EveWriter w = eveToStdout ? new EveWriter(out, false, options) : EveWriter.open(Path.of(eve), false, options)) {
                found.forEach(w::report);
                w.close();
                if (w.failed() > 0 || w.writeErrors() > 0) {
                    spec.commandLine().getErr().println("xdpml detect: --eve " + eve + ": " + w.failed() + " detections not converted, "
                            + w.writeErrors() + " write errors" + (w.lastError() == null ? "" : " (" + w.lastError() + ")"));
                    return 1;
                }
            } catch (java.io.IOException e) {
                spec.commandLine().getErr().println("xdpml detect: --eve " + eve + ": " + e.getMessage());
                return 1;
            }
            if (eveToStdout) {
                out = spec.commandLine().getErr();
            }
        }
        ObjectMapper mapper = new ObjectMapper();
        for (Detection d : eveToStdout ? List.<Detection>of() : found) {
            out.println(json ? mapper.writeValueAsString(d) : d.toLine());
        }
        Map<String, Long> byDetector = set.detectionsByDetector();
        if (json) {
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("file", file.toString());
            summary.put("packets", r.packets());
            summary.put("observed", r.observed());
            summary.put("sample", sample);
            summary.put("runts", r.runts());
            summary.put("damage", r.damage() == null ? null : r.damage().getMessage());
            summary.put("detections", found.size());
            summary.put("by_detector", byDetector);
            out.println(mapper.writeValueAsString(Map.of("summary", summary)));
        } else {
            StringBuilder sb = new StringBuilder();
            byDetector.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(k).append(' ').append(v));
            out.println(String.format(Locale.ROOT, "%s: %,d packets (%,d observed%s, %,d runts)%s; %d detections: %s", file, r.packets(),
                    r.observed(), sample > 1 ? ", 1 in " + sample : "", r.runts(), r.damage() == null ? "" : "; damaged: " + r.damage().getMessage(), found.size(), sb));
        }
        out.flush();
        return 0;
    }
}
