package io.xdpml.detect;

/** Receives what detectors find. */
@FunctionalInterface
public interface DetectionSink {
    void report(Detection detection);
}
