package io.xdpml.agent.config;

import io.xdpml.model.classify.ClassifyMode;
import io.xdpml.model.file.ModelFile;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The model stage: a model file of {@code xdpml train} run in XDP, with an action per class.
 *
 * @param file          the model file (absolute), or null when the section names none (then it is off)
 * @param model         the model read from {@code file}, or null when there is no file
 * @param mode          every packet, or each flow once at its N-th packet (default: the mode the model was trained in)
 * @param actions       class name -> action, for the classes the file names (in its order)
 * @param defaultAction for the classes not in {@code actions}
 * @param minScore      reserved: 0 to 1
 */
public record ModelSection(boolean enabled, Path file, ModelFile model, ClassifyMode mode, Map<String, ModelAction> actions,
                           ModelAction defaultAction, double minScore) {
    public ModelSection {
        Objects.requireNonNull(mode);
        Objects.requireNonNull(defaultAction);
        actions = Collections.unmodifiableMap(new LinkedHashMap<>(actions));
        if (enabled && model == null) {
            throw new IllegalArgumentException("an enabled model stage needs a model");
        }
        if (file != null && !file.isAbsolute()) {
            throw new IllegalArgumentException("the model file must be an absolute path: " + file);
        }
        if (model != null) {
            for (String c : actions.keySet()) {
                if (!model.classes().contains(c)) {
                    throw new IllegalArgumentException("no class '" + c + "' in the model (classes: " + String.join(", ", model.classes()) + ")");
                }
            }
        }
        if (!(minScore >= 0 && minScore <= 1)) {
            throw new IllegalArgumentException("model.min-score must be 0 to 1, not " + minScore);
        }
    }

    /** Off; no model. */
    public static ModelSection defaults() {
        return new ModelSection(false, null, null, ClassifyMode.EVERY_PACKET, Map.of(), ModelAction.COUNT, 0);
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
        String perClass = model.classes().stream().map(c -> c + " " + actionFor(c).id()).collect(Collectors.joining(", "));
        return "model: on (" + file + ": " + model.kind().id() + ", mode " + mode + "; " + perClass + ")";
    }
}
