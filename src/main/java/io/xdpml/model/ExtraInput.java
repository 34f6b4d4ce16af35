package io.xdpml.model;

import io.xdpml.flow.FlowFeature;

/** The model inputs after the flow features (see {@link ModelInputs}). */
public enum ExtraInput {
    FWD_PACKETS("fwd_packets", "packets from the initiator so far"),
    BWD_PACKETS("bwd_packets", "packets to the initiator so far"),
    FWD_BYTES("fwd_bytes", "frame bytes from the initiator so far"),
    BWD_BYTES("bwd_bytes", "frame bytes to the initiator so far"),
    PROTOCOL("protocol", "transport protocol of the flow key"),
    INITIATOR_PORT("initiator_port", "TCP/UDP port of the initiator (0 without one)"),
    RESPONDER_PORT("responder_port", "TCP/UDP port of the responder (0 without one)"),
    PACKET_LENGTH("packet_length", "normalised length of this packet: 14 + its IP length (docs/flows.md)"),
    PACKET_FORWARD("packet_forward", "1 if this packet comes from the initiator, else 0");

    private final String inputName;
    private final String description;

    ExtraInput(String inputName, String description) {
        this.inputName = inputName;
        this.description = description;
    }

    public String inputName() {
        return inputName;
    }

    public String description() {
        return description;
    }

    /** Index in the input vector. */
    public int index() {
        return FlowFeature.values().length + ordinal();
    }
}

