package io.xdpml.demo;

import io.xdpml.detect.DetectorSet;
import io.xdpml.detect.Detectors;
import io.xdpml.detect.NewDetections;
import io.xdpml.detect.ObservationBuilder;
import io.xdpml.gen.ScenarioSettings;
import java.io.PrintWriter;

/** What the live and the offline demo both run on: the mix's settings, the tally and report, the detectors. */
record DemoParts(ScenarioSettings settings, SourceKinds kinds, KindTally tally, DemoReport report, DetectorSet set, NewDetections news,
                 ObservationBuilder observations) {

    static DemoParts of(PrintWriter out, DemoOptions o) {
        ScenarioSettings settings = ScenarioSettings.defaults();
        SourceKinds kinds = new SourceKinds(settings);
        KindTally tally = new KindTally(o.seconds());
        DetectorSet set = new DetectorSet(Detectors.create(DemoOptions.DETECTORS, Detectors.windowSettings(DemoOptions.DETECTORS, o.windowSeconds())));
        return new DemoParts(settings, kinds, tally, new DemoReport(out, kinds, tally), set, new NewDetections(set),
                new ObservationBuilder(set.needsFlows()));
    }
}
