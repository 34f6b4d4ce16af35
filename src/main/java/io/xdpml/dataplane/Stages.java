package io.xdpml.dataplane;

import java.util.ArrayList;
import java.util.List;

/**
 * Which stages of the composed program are on: fixed at load (read-only globals; the verifier
 * removes the stages that are off). Parse always runs; the end always exists.
 *
 * @param blocks   sources and flows blocked by Java (mitigation.h)
 * @param firewall lists, rules, conntrack, buckets (firewall_stage.h)
 * @param flow     the flow table (flow_stage.h)
 * @param model    the in-kernel model (model_stage.h); needs the flow table
 * @param sample   which packets go to Java: none, 1-in-N packets, or whole flows (by flow needs the
 *                 flow table)
 * @param mirror   the deliver stage copies to the mirror ring (true) or redirects to AF_XDP
 */
public record Stages(boolean blocks, boolean firewall, boolean flow, boolean model, Sampling sample, boolean mirror) {
    /** What goes to Java. */
    public enum Sampling {
        NONE(0), BY_PACKET(1), BY_FLOW(2);

        /** cfg_sample in the program. */
        public final int code;

        Sampling(int code) {
            this.code = code;
        }
    }

    public Stages {
        if (model && !flow) {
            throw new IllegalArgumentException("the model stage needs the flow stage (it classifies from flow features)");
        }
        if (sample == Sampling.BY_FLOW && !flow) {
            throw new IllegalArgumentException("sampling by flow needs the flow stage");
        }
    }

    /** Parse only. */
    public static Stages none() {
        return new Stages(false, false, false, false, Sampling.NONE, false);
    }

    public Stages withBlocks(boolean on) { return new Stages(on, firewall, flow, model, sample, mirror); }

    public Stages withFirewall(boolean on) { return new Stages(blocks, on, flow, model, sample, mirror); }

    public Stages withFlow(boolean on) { return new Stages(blocks, firewall, on, model, sample, mirror); }

    public Stages withModel(boolean on) { return new Stages(blocks, firewall, flow || on, on, sample, mirror); }

    public Stages withSampling(Sampling s, boolean toMirror) { return new Stages(blocks, firewall, flow, model, s, toMirror); }

    /** Whether packets can reach the deliver stage (sampled, or a model class "to Java"). */
    public boolean delivers() {
        return sample != Sampling.NONE || model;
    }

    public boolean on(Stage s) {
        return switch (s) {
            case PARSE, END -> true;
            case BLOCKS -> blocks;
            case FIREWALL -> firewall;
            case FLOW -> flow;
            case MODEL -> model;
            case SAMPLE -> sample != Sampling.NONE;
            case DELIVER -> delivers();
        };
    }

    /** Bit k: stage k on (struct xdpml_agent_info.stages). */
    public int bits() {
        int b = 0;
        for (Stage s : Stage.values()) {
            if (on(s)) {
                b |= 1 << s.ordinal();
            }
        }
        return b;
    }

    /** The stages that are on, in packet order. */
    public List<Stage> list() {
        List<Stage> l = new ArrayList<>();
        for (Stage s : Stage.values()) {
            if (on(s)) {
                l.add(s);
            }
        }
        return l;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (Stage s : list()) {
            if (s == Stage.END) {
                continue;
            }
            if (!b.isEmpty()) {
                b.append(" -> ");
            }
            b.append(s.key());
            if (s == Stage.SAMPLE) {
                b.append(sample == Sampling.BY_FLOW ? "(flow)" : "(packet)");
            }
            if (s == Stage.DELIVER) {
                b.append(mirror ? "(mirror)" : "(af_xdp)");
            }
        }
        return b.toString();
    }
}
