/**
 * {@code xdpml demo}: the whole system on a machine with nothing configured. A scenario mix from
 * {@link io.xdpml.gen} (benign clients, a SYN flood from six sources, a port scan, UDP
 * amplification, a DNS tunnel, a SYN flood from spoofed sources, each kind from its own source
 * range) is sent into a veth pair in a namespace of the demo's own; the agent
 * ({@link io.xdpml.agent.Agent}, configured by the file {@link io.xdpml.demo.DemoConfig} writes)
 * runs on the victim's end: blocks, firewall, flows, the shipped tree, every packet mirrored to the
 * detectors, blocks and firewall measures from their detections. A {@link io.xdpml.demo.VictimTap}
 * (a packet socket on the victim's interface) counts what reached the victim per kind and second;
 * {@link io.xdpml.demo.DemoReport} prints it and judges. Without root or BPF the same story runs
 * offline ({@link io.xdpml.demo.OfflineDemo}) on a generated capture through the Java twin of the
 * XDP program ({@link io.xdpml.dataplane.JavaDataPlane}).
 */
package io.xdpml.demo;
