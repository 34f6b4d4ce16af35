package io.xdpml.cli;

import io.xdpml.model.quantized.IntegerModel;
import java.util.List;

/**
 * Confidence thresholds from the command line, per class in thousandths: {@code C} for every class,
 * {@code CLASS=C} for one (the later wins), C from 0 to 1; a class not named keeps 0 (its action
 * always taken). The same reading for {@code deploy --min-confidence} and {@code eval --confidence}.
 */
final class ConfidenceOption {
    private ConfidenceOption() {}

    static int[] parse(List<String> specs, List<String> classes, String option) {
        int[] min = new int[classes.size()];
        for (String s : specs) {
            int eq = s.indexOf('=');
            int c = -1;
            if (eq >= 0) {
                c = classes.indexOf(s.substring(0, eq));
                if (c < 0) {
                    throw new IllegalArgumentException(option + ": no class '" + s.substring(0, eq) + "' in the model (classes: " + classes
                            + "); give C or CLASS=C");
                }
            }
            String number = s.substring(eq + 1);
            double v;
            try {
                v = Double.parseDouble(number);
            } catch (NumberFormatException e) {
                v = Double.NaN;
            }
            if (!(v >= 0 && v <= 1)) {
                throw new IllegalArgumentException(option + ": '" + number + "' is not a number 0 to 1");
            }
            int t = (int) Math.round(v * IntegerModel.CONFIDENCE_MAX);
            if (c >= 0) {
                min[c] = t;
            } else {
                java.util.Arrays.fill(min, t);
            }
        }
        return min;
    }
}
