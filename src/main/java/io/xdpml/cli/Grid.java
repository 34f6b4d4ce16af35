package io.xdpml.cli;

import io.xdpml.model.train.Balance;
import io.xdpml.model.train.TrainOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** {@code --grid NAME=V,V...}: every combination of the values, over the base options (the first name varies slowest). */
final class Grid {
    private static final List<String> KNOWN = List.of("depth", "trees", "split-inputs", "min-leaf", "balance", "hidden", "epochs");

    private Grid() {}

    static List<TrainOptions> expand(TrainOptions base, List<String> specs) {
        List<TrainOptions> out = new ArrayList<>(List.of(base));
        for (String spec : specs) {
            int eq = spec.indexOf('=');
            if (eq <= 0 || eq == spec.length() - 1) {
                throw new IllegalArgumentException("--grid '" + spec + "': expected NAME=V,V... (names: depth, trees, split-inputs, min-leaf, balance, hidden, epochs)");
            }
            String name = spec.substring(0, eq).trim();
            java.util.Set<String> forKind = switch (base.kind()) {
                case DT -> java.util.Set.of("depth", "min-leaf", "balance");
                case RF -> java.util.Set.of("depth", "trees", "split-inputs", "min-leaf", "balance");
                case MLP -> java.util.Set.of("hidden", "epochs", "balance");
            };
            if (KNOWN.contains(name) && !forKind.contains(name)) {
                throw new IllegalArgumentException("--grid '" + spec + "': " + name + " does not apply to " + base.kind().id()
                        + " (it takes " + String.join(", ", KNOWN.stream().filter(forKind::contains).toList()) + ")");
            }
            String[] values = spec.substring(eq + 1).split(",");
            List<TrainOptions> next = new ArrayList<>();
            for (TrainOptions o : out) {
                for (String raw : values) {
                    String v = raw.trim();
                    try {
                        next.add(switch (name) {
                            case "depth" -> o.withDepth(Integer.parseInt(v));
                            case "trees" -> o.withTrees(Integer.parseInt(v));
                            case "split-inputs" -> o.withSplitInputs(Integer.parseInt(v));
                            case "min-leaf" -> o.withMinLeaf(Double.parseDouble(v));
                            case "balance" -> o.withBalance(Balance.of(v));
                            case "hidden" -> o.withHidden(Arrays.stream(v.split("x")).mapToInt(Integer::parseInt).toArray());
                            case "epochs" -> o.withEpochs(Integer.parseInt(v));
                            default -> throw new IllegalArgumentException("--grid '" + spec + "': unknown name '" + name
                                    + "' (names: depth, trees, split-inputs, min-leaf, balance, hidden, epochs)");
                        });
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--grid '" + spec + "': '" + v + "' is not a number");
                    }
                }
            }
            out = next;
        }
        return out;
    }
}
