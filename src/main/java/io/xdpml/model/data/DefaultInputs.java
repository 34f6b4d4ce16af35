package io.xdpml.model.data;

import java.util.List;

/** The inputs a model reads unless {@code --inputs} says otherwise, per kind of data. */
public final class DefaultInputs {
    private DefaultInputs() {}

    /** Flow CSVs: every input CICFlowMeter measures as xdpml does. */
    public static final List<String> CIC = CicFlowCsv.MAPPED_INPUTS;

    /**
     * Captures: Hara &amp; Sasabe's per-packet inputs (protocol, packet length and direction, running
     * means and mean absolute deviations of length, inter-arrival time and direction) without
     * their two ports, plus the flow's packet counts per direction. Ports are left out because on
     * the shared captures they memorise each capture's services (a flood on port 25565, FTP on 21)
     * and hurt on captures not trained on (docs/models.md); {@code --inputs} adds them back.
     */
    public static final List<String> CAPTURES = List.of("protocol", "packet_length", "packet_forward",
            "hs_len_mean", "hs_len_mad", "hs_iat_mean", "hs_iat_mad", "hs_dir_mean", "hs_dir_mad",
            "fwd_packets", "bwd_packets");

    public static List<String> of(TrainingData.Kind kind) {
        return kind == TrainingData.Kind.CIC_CSV ? CIC : CAPTURES;
    }
}
