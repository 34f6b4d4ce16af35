/**
 * {@code xdpml demo}: the attack, detect, mitigate story on a machine with nothing configured. A
 * scenario mix from {@link io.xdpml.gen} (benign clients, a SYN flood, a port scan, UDP
 * amplification, a DNS tunnel, each kind from its own source range) is sent into a veth pair in a
 * namespace of the demo's own; the live system ({@link io.xdpml.processor.MlPacketProcessor} with
 * the detectors) watches the victim's end, blocks the sources the detections name in XDP, and a
 * {@link io.xdpml.demo.KindTally} counts what still reaches the victim per kind and second.
 * Without root or BPF the same story runs offline on a generated capture
 * ({@link io.xdpml.demo.OfflineDemo}), with blocks applied by the Java reference.
 */
package io.xdpml.demo;
