package io.xdpml.model.data;

import io.xdpml.flow.FlowFeature;
import io.xdpml.model.ExtraInput;
import io.xdpml.model.ModelInputs;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads a CICFlowMeter flow CSV (CIC-IDS2017 columns) into model inputs computed the way xdpml
 * computes them, one sample per row (each row its own flow). Only the inputs that CICFlowMeter
 * measures the same way are filled ({@link #MAPPED_INPUTS}); the others stay 0 and must not be
 * used by a model trained on this data. The mapping is documented in docs/models.md:
 * microsecond times as they are; CIC's sample standard deviation over n values becomes xdpml's
 * floor-based population variance {@code floor(std^2 (n-1)/n + mean^2) - floor(mean)^2}; means
 * are floored; header lengths gain the 20-byte IPv4 header per packet (CIC counts the transport
 * header only); an initial window of -1 (none) becomes 0. Packet-length and byte columns are
 * left out: CIC measures payload, xdpml whole frames.
 */
public final class CicFlowCsv {
    /** The inputs this reader fills, in vector order: the default inputs for CIC data. */
    public static final List<String> MAPPED_INPUTS;

    static {
        List<String> l = new ArrayList<>();
        for (FlowFeature f : List.of(FlowFeature.DURATION_US,
                FlowFeature.FLOW_IAT_MIN, FlowFeature.FLOW_IAT_MAX, FlowFeature.FLOW_IAT_MEAN, FlowFeature.FLOW_IAT_VAR,
                FlowFeature.FWD_IAT_MIN, FlowFeature.FWD_IAT_MAX, FlowFeature.FWD_IAT_MEAN, FlowFeature.FWD_IAT_VAR,
                FlowFeature.BWD_IAT_MIN, FlowFeature.BWD_IAT_MAX, FlowFeature.BWD_IAT_MEAN, FlowFeature.BWD_IAT_VAR,
                FlowFeature.FIN_COUNT, FlowFeature.SYN_COUNT, FlowFeature.RST_COUNT, FlowFeature.PSH_COUNT,
                FlowFeature.ACK_COUNT, FlowFeature.URG_COUNT, FlowFeature.ECE_COUNT, FlowFeature.CWR_COUNT,
                FlowFeature.FWD_INIT_WIN, FlowFeature.BWD_INIT_WIN, FlowFeature.FWD_HEADER_BYTES, FlowFeature.BWD_HEADER_BYTES)) {
            l.add(f.columnName());
        }
        l.add(ExtraInput.FWD_PACKETS.inputName());
        l.add(ExtraInput.BWD_PACKETS.inputName());
        MAPPED_INPUTS = List.copyOf(l);
    }

    private static final long U32_MAX = 0xffff_ffffL;
    private static final int IPV4_HEADER = 20;

    private final Map<String, Integer> column = new HashMap<>();
    private final Path path;
    private String[] row;
    private long line;

    private CicFlowCsv(Path path) {
        this.path = path;
    }

    /** Whether {@code file} starts with a CICFlowMeter header (has "Flow Duration" and "Label" columns). */
    public static boolean looksLike(Path file) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
            String h = r.readLine();
            return h != null && h.contains("Flow Duration") && h.contains("Label");
        }
    }

    /**
     * Reads the file; classes are the labels sorted, "BENIGN" (any case) first.
     * IllegalArgumentException with file, line and reason for a missing column or a bad value.
     */
    public static Dataset read(Path file) throws IOException {
        return new CicFlowCsv(file).load();
    }

    private Dataset load() throws IOException {
        List<long[]> rows = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(path, StandardCharsets.ISO_8859_1)) {
            String header = r.readLine();
            line = 1;
            if (header == null) {
                throw error("empty file, expected a CICFlowMeter header");
            }
            String[] names = header.split(",", -1);
            for (int i = 0; i < names.length; i++) {
                column.putIfAbsent(names[i].trim(), i);
            }
            for (String needed : List.of("Flow Duration", "Total Fwd Packets", "Total Backward Packets", "Label")) {
                if (!column.containsKey(needed)) {
                    throw error("missing column '" + needed + "'");
                }
            }
            String text;
            while ((text = r.readLine()) != null) {
                line++;
                if (text.isBlank()) {
                    continue;
                }
                row = text.split(",", -1);
                if (row.length != names.length) {
                    throw error(row.length + " fields, the header has " + names.length);
                }
                rows.add(map());
                labels.add(row[column.get("Label")].trim());
            }
        }
        List<String> classes = classOrder(labels);
        int n = rows.size();
        int[] y = new int[n];
        int[] flow = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = classes.indexOf(labels.get(i));
            flow[i] = i;
        }
        return new Dataset(classes, rows.toArray(long[][]::new), y, flow, y.clone(), path.getFileName().toString());
    }

    /** The classes of these labels (repeats allowed): sorted, "BENIGN" (any case) first. */
    public static List<String> classOrder(java.util.Collection<String> labels) {
        TreeSet<String> sorted = new TreeSet<>(labels);
        List<String> classes = new ArrayList<>();
        sorted.stream().filter(s -> s.equalsIgnoreCase("benign")).forEach(classes::add);
        sorted.stream().filter(s -> !s.equalsIgnoreCase("benign")).forEach(classes::add);
        return classes;
    }

    private long[] map() {
        long[] x = new long[ModelInputs.COUNT];
        long fwd = count("Total Fwd Packets");
        long bwd = count("Total Backward Packets");
        x[ExtraInput.FWD_PACKETS.index()] = fwd;
        x[ExtraInput.BWD_PACKETS.index()] = bwd;
        x[FlowFeature.DURATION_US.ordinal()] = count("Flow Duration");
        iat(x, "Flow", fwd + bwd - 1, FlowFeature.FLOW_IAT_MIN, FlowFeature.FLOW_IAT_MAX, FlowFeature.FLOW_IAT_MEAN, FlowFeature.FLOW_IAT_VAR);
        iat(x, "Fwd", fwd - 1, FlowFeature.FWD_IAT_MIN, FlowFeature.FWD_IAT_MAX, FlowFeature.FWD_IAT_MEAN, FlowFeature.FWD_IAT_VAR);
        iat(x, "Bwd", bwd - 1, FlowFeature.BWD_IAT_MIN, FlowFeature.BWD_IAT_MAX, FlowFeature.BWD_IAT_MEAN, FlowFeature.BWD_IAT_VAR);
        x[FlowFeature.FIN_COUNT.ordinal()] = count("FIN Flag Count");
        x[FlowFeature.SYN_COUNT.ordinal()] = count("SYN Flag Count");
        x[FlowFeature.RST_COUNT.ordinal()] = count("RST Flag Count");
        x[FlowFeature.PSH_COUNT.ordinal()] = count("PSH Flag Count");
        x[FlowFeature.ACK_COUNT.ordinal()] = count("ACK Flag Count");
        x[FlowFeature.URG_COUNT.ordinal()] = count("URG Flag Count");
        x[FlowFeature.ECE_COUNT.ordinal()] = count("ECE Flag Count");
        x[FlowFeature.CWR_COUNT.ordinal()] = count("CWE Flag Count"); // CICFlowMeter's name for CWR
        x[FlowFeature.FWD_INIT_WIN.ordinal()] = count("Init_Win_bytes_forward"); // -1 (none) -> 0
        x[FlowFeature.BWD_INIT_WIN.ordinal()] = count("Init_Win_bytes_backward");
        x[FlowFeature.FWD_HEADER_BYTES.ordinal()] = count("Fwd Header Length") + IPV4_HEADER * fwd;
        x[FlowFeature.BWD_HEADER_BYTES.ordinal()] = count("Bwd Header Length") + IPV4_HEADER * bwd;
        return x;
    }

    private void iat(long[] x, String prefix, long n, FlowFeature min, FlowFeature max, FlowFeature mean, FlowFeature var) {
        if (n <= 0) {
            return; // no interval: xdpml keeps zeros
        }
        x[min.ordinal()] = Math.min(U32_MAX, count(prefix + " IAT Min"));
        x[max.ordinal()] = Math.min(U32_MAX, count(prefix + " IAT Max"));
        double m = Math.max(0, value(prefix + " IAT Mean"));
        double sd = value(prefix + " IAT Std");
        long floorMean = (long) Math.floor(m + 1e-6);
        x[mean.ordinal()] = floorMean;
        double popVar = n > 1 ? sd * sd * (n - 1) / n : 0;
        long v = (long) Math.floor(popVar + m * m + 1e-6) - floorMean * floorMean;
        x[var.ordinal()] = Math.max(0, v);
    }

    /** A non-negative integer column (negative values, CICFlowMeter's "none" or its bugs, become 0). */
    private long count(String name) {
        double v = value(name);
        return v <= 0 ? 0 : Math.round(v);
    }

    private double value(String name) {
        Integer i = column.get(name);
        if (i == null) {
            throw error("missing column '" + name + "'");
        }
        String s = row[i].trim();
        try {
            double v = Double.parseDouble(s);
            if (!Double.isFinite(v)) {
                throw error("column '" + name + "': not a finite number: '" + s + "'");
            }
            return v;
        } catch (NumberFormatException e) {
            throw error("column '" + name + "': not a number: '" + s + "'");
        }
    }

    private IllegalArgumentException error(String reason) {
        return new IllegalArgumentException(String.format(Locale.ROOT, "%s:%d: %s", path, line, reason));
    }
}
