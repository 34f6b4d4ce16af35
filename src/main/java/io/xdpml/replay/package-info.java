/**
 * The agent on captures, without a kernel: {@link io.xdpml.replay.AgentTwin} (the Java twin of the
 * XDP program, the detectors and the mitigation, in capture time) and
 * {@link io.xdpml.replay.CaptureReplay} (a labeled capture through it: what was dropped of each
 * label, by which stage). Used by {@code xdpml replay} and the offline demo.
 */
package io.xdpml.replay;
