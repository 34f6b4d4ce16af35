package io.xdpml.fleet;

import org.apache.kafka.streams.KeyValue;

/**
 * The fleet detector's records of the blocks topic ({@code xdpml.blocks}, compacted): a prefix block
 * per finding, key {@code prefix:A/LEN}, value the {@link FleetBlock} JSON with host {@code fleet},
 * the finding's detector and reasons, created at the finding's event time and ending
 * {@code blockSeconds} later.
 */
final class FleetBlocks {
    private FleetBlocks() {}

    static KeyValue<String, String> of(Finding f, long blockMillis) {
        FleetBlock b = FleetBlock.prefix(f.blockPrefix(), FleetEvents.FLEET_HOST, f.detector(), f.reasons(), f.timeMs(), f.timeMs() + blockMillis);
        return KeyValue.pair(b.key(), b.toJson());
    }
}
