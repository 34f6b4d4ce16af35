package io.xdpml.agent.config;

import io.xdpml.model.classify.ClassAction;
import io.xdpml.model.classify.ClassifyMode;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.quantized.IntegerModel;
import io.xdpml.model.file.ModelFile;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The model stage: a model file of {@code xdpml train} run in XDP, with an action per class and the
 * confidence a class needs for its action (below it the packet goes to Java instead).
 *
 * @param file          the model file (absolute), or null when the section names none (then it is off)
 * @param model         the model read from {@code file}, or null when there is no file
 * @param mode          every packet, or each flow once at its N-th packet (default: the mode the model was trained in)
 * @param actions       class name -> action, for the classes the file names (in its order)
 * @param defaultAction for the classes not in {@code actions}
 * @param minConfidence class name -> the confidence (0 to 1) it needs for its action
 * @param defaultMinConfidence for the classes not in {@code minConfidence}
 */
public record ModelSection(boolean enabled, Path file, ModelFile model, ClassifyMode mode, Map<String, ModelAction> actions,
                           ModelAction defaultAction, Map<String, Double> minConfidence, double defaultMinConfidence) {
    public ModelSection {
        Objects.requireNonNull(mode);
        Objects.requireNonNull(defaultAction);
        actions = Collections.unmodifiableMap(new LinkedHashMap<>(actions));
        minConfidence = Collections.unmodifiableMap(new LinkedHashMap<>(minConfidence));
        if (enabled && model == null) {
            throw new IllegalArgumentException("an enabled model stage needs a model");
        }
        if (file != null && !file.isAbsolute()) {
            throw new IllegalArgumentException("the model file must be an absolute path: " + file);
        }
        if (model != null) {
            for (String c : minConfidence.keySet()) {
                if (!model.classes().contains(c)) {
                    throw new IllegalArgumentException("no class '" + c + "' in the model (classes: " + String.join(", ", model.classes()) + ")");
                }
            }
            for (String c : actions.keySet()) {
                if (!model.classes().contains(c)) {
                    throw new IllegalArgumentException("no class '" + c + "' in the model (classes: " + String.join(", ", model.classes()) + ")");
                }
            }
        }
        for (double v : minConfidence.values()) {
            requireConfidence(v);
        }
        requireConfidence(defaultMinConfidence);
    }

    private static void requireConfidence(double v) {
        if (!(v >= 0 && v <= 1)) {
            throw new IllegalArgumentException("model.min-confidence must be 0 to 1, not " + v);
        }
    }

    /** Off; no model. */
    public static ModelSection defaults() {
        return new ModelSection(false, null, null, ClassifyMode.EVERY_PACKET, Map.of(), ModelAction.COUNT, Map.of(), 0);
    }

    /** The confidence (0 to 1) packets of class {@code className} need for its action. */
    public double minConfidenceFor(String className) {
        return minConfidence.getOrDefault(className, defaultMinConfidence);
    }

    /** The model as the data plane deploys it: actions and confidence thresholds (thousandths) by class. */
    public Deployment deployment() {
        List<ModelAction> byClass = actionsByClass();
        ClassAction[] a = new ClassAction[byClass.size()];
        int[] min = new int[byClass.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = switch (byClass.get(i)) {
                case PASS -> ClassAction.PASS;
                case DROP -> ClassAction.DROP;
                case COUNT -> ClassAction.COUNT;
                case JAVA -> ClassAction.XSK;
            };
            min[i] = (int) Math.round(minConfidenceFor(model.classes().get(i)) * IntegerModel.CONFIDENCE_MAX);
        }
        return new Deployment(model.integerModel(), mode, a, min);
    }

    /** The action for packets of class {@code className}. */
    public ModelAction actionFor(String className) {
        return actions.getOrDefault(className, defaultAction);
    }

    /** The action of each of the model's classes, in the model's class order. */
    public List<ModelAction> actionsByClass() {
        if (model == null) {
            throw new IllegalStateException("no model");
        }
        return model.classes().stream().map(this::actionFor).toList();
    }

    String describe() {
        if (!enabled) {
            return "model: off";
        }
        String perClass = model.classes().stream().map(c -> c + " " + actionFor(c).id()
                + (minConfidenceFor(c) > 0 ? " at confidence >= " + minConfidenceFor(c) : "")).collect(Collectors.joining(", "));
        return "model: on (" + file + ": " + model.kind().id() + ", mode " + mode + "; " + perClass + ")";
    }
}
