package io.xdpml.fleet;

import java.nio.file.Path;
import java.util.List;

/** Recorded agent output for tests outside this package: {key, EVE JSON, event time ms} per record. */
public final class FleetTestRecordings {
    private FleetTestRecordings() {}

    /** The capture's flows round-robin over hostA, hostB, hostC, in order of flow.end. */
    public static List<String[]> portscanOverThreeHosts(Path capture) {
        return AgentRecordings.roundRobin(capture, List.of("hostA", "hostB", "hostC")).lines().stream()
                .map(l -> new String[] {l.key(), l.value(), Long.toString(l.timeMs())}).toList();
    }
}
