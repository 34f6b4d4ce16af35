package io.xdpml.model.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Loads what {@code xdpml train/eval --data} names: CICFlowMeter CSV files (their classes the
 * labels of them all, sorted, "BENIGN" first), or captures (files, or directories searched for
 * *.pcap and *.pcapng) labeled by a rules file.
 */
public final class TrainingData {
    private TrainingData() {}

    /** The kind of data: flow CSVs or captures (never both at once). */
    public enum Kind { CIC_CSV, CAPTURES }

    public static Kind kindOf(List<Path> data) throws IOException {
        boolean csv = false;
        boolean cap = false;
        for (Path p : expand(data)) {
            if (p.toString().toLowerCase(Locale.ROOT).endsWith(".csv")) {
                csv = true;
            } else {
                cap = true;
            }
        }
        if (csv == cap) {
            throw new IllegalArgumentException(csv ? "--data mixes flow CSVs and captures" : "--data names no file");
        }
        return csv ? Kind.CIC_CSV : Kind.CAPTURES;
    }

    /**
     * @param labels the rules file for captures (required for them, ignored for CSV)
     * @param classes null, or the class list to use (as a model's: labels outside it are errors)
     */
    public static Dataset load(List<Path> data, Path labels, SampleMode mode, List<String> classes) throws IOException {
        List<Path> files = expand(data);
        if (kindOf(data) == Kind.CIC_CSV) {
            List<Dataset> parts = new ArrayList<>();
            List<String> seen = new ArrayList<>();
            for (Path f : files) {
                Dataset part = CicFlowCsv.read(f);
                parts.add(part);
                seen.addAll(part.classes());
            }
            // files of different labels (CIC-IDS2017's days): every file on the classes of them all
            List<String> all = CicFlowCsv.classOrder(seen);
            Dataset d = parts.size() == 1 ? parts.getFirst()
                    : Dataset.concat(parts.stream().map(part -> align(part, all)).toList(), files.toString());
            return classes == null ? d : align(d, classes);
        }
        if (labels == null) {
            throw new IllegalArgumentException("captures need --labels RULES (docs/models.md)");
        }
        LabelRules rules = LabelRules.read(labels);
        return CaptureSamples.load(files, rules, mode, classes);
    }

    /** The dataset with its classes renumbered to {@code classes} (a model's). */
    static Dataset align(Dataset d, List<String> classes) {
        int[] map = new int[d.classes().size()];
        for (int c = 0; c < map.length; c++) {
            map[c] = classes.indexOf(d.classes().get(c));
            if (map[c] < 0) {
                throw new IllegalArgumentException("label '" + d.classes().get(c) + "' in the data is not a class of the model " + classes);
            }
        }
        return d.relabel(classes, map);
    }

    /** Files as given, and every *.pcap / *.pcapng / *.csv under given directories, sorted. */
    public static List<Path> expand(List<Path> data) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path p : data) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.walk(p)) {
                    s.filter(Files::isRegularFile)
                            .filter(f -> f.toString().toLowerCase(Locale.ROOT).matches(".*\\.(pcap|pcapng|csv)$"))
                            .sorted().forEach(out::add);
                }
            } else if (Files.isRegularFile(p)) {
                out.add(p);
            } else {
                throw new java.nio.file.NoSuchFileException(p.toString());
            }
        }
        return out;
    }
}
