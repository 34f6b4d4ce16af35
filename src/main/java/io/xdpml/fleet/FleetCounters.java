package io.xdpml.fleet;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** What the fleet detector read, skipped and found (thread-safe; the Streams threads count, the command prints). */
public final class FleetCounters {
    /** Flow events read (parsed) from the flows topic. */
    public final AtomicLong flows = new AtomicLong();
    /** Alerts naming a source read from the alerts topic (the fleet's own excluded). */
    public final AtomicLong alerts = new AtomicLong();
    /** Records of the flows topic skipped: not JSON, not a flow event, a field missing or wrong. */
    public final AtomicLong malformedFlows = new AtomicLong();
    /** Records of the alerts topic skipped: not JSON, not an alert, no src_ip, no signature. */
    public final AtomicLong malformedAlerts = new AtomicLong();
    /** Alerts that name no source (amplification, volumetric, anomaly): valid, but nothing to count per source (ignored). */
    public final AtomicLong alertsWithoutSource = new AtomicLong();
    /** The fleet detector's own alerts read back from the alerts topic (ignored). */
    public final AtomicLong ownAlerts = new AtomicLong();
    /** Findings per detector. */
    public final AtomicLong scans = new AtomicLong();
    public final AtomicLong floods = new AtomicLong();
    public final AtomicLong flagged = new AtomicLong();
    /** Fleet blocks published. */
    public final AtomicLong blocks = new AtomicLong();
    /** The last skipped record's reason. */
    public final AtomicReference<String> lastMalformed = new AtomicReference<>();

    public long findings() {
        return scans.get() + floods.get() + flagged.get();
    }

    void count(Finding f) {
        switch (f.detector()) {
            case "fleet-scan" -> scans.incrementAndGet();
            case "fleet-flood" -> floods.incrementAndGet();
            default -> flagged.incrementAndGet();
        }
    }

    /** One line for the summary. */
    public String summary() {
        return String.format(java.util.Locale.ROOT,
                "read %,d flows, %,d alerts naming a source; skipped %,d malformed flow records, %,d malformed alert records, %,d alerts naming no source, %,d own alerts; found %,d scans, %,d floods, %,d flagged sources; published %,d blocks",
                flows.get(), alerts.get(), malformedFlows.get(), malformedAlerts.get(), alertsWithoutSource.get(), ownAlerts.get(), scans.get(), floods.get(), flagged.get(),
                blocks.get());
    }
}
