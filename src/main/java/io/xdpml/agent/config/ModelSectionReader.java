package io.xdpml.agent.config;

import io.xdpml.model.classify.ClassifyMode;
import io.xdpml.model.file.ModelFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code model}: the model file read with {@link ModelFile}'s own checks, and the actions checked against its classes. */
final class ModelSectionReader {
    static final List<String> KEYS = List.of("enabled", "file", "mode", "actions", "default-action", "min-confidence");

    private ModelSectionReader() {}

    /** The section, or null when it cannot be made (the problems are reported). */
    static ModelSection read(SectionReader s, boolean enabled, ConfigPaths paths) {
        Problems problems = s.problems();
        int before = problems.count();
        ConfigPaths.Located file = null;
        ModelFile model = null;
        if (s.has("file")) {
            file = paths.read(s, "file");
            if (file != null) {
                model = load(file, problems);
            }
        } else if (enabled) {
            problems.at(s.lineOf("enabled"), "model: enabled, but there is no 'file' (a model file of xdpml train)");
        }
        ClassifyMode mode = mode(s, model);
        Map<String, ModelAction> actions = actions(s, model);
        ModelAction defaultAction = ModelAction.of(s.choice("default-action", ModelAction.ids(), "count"));
        Map<String, Double> minConfidence = new LinkedHashMap<>();
        double defaultMinConfidence = minConfidence(s, model, minConfidence);
        if (problems.count() > before) {
            return null;
        }
        return new ModelSection(enabled, file == null ? null : file.absolute(), model, mode, actions, defaultAction, minConfidence,
                defaultMinConfidence);
    }

    private static ModelFile load(ConfigPaths.Located file, Problems problems) {
        try {
            return ModelFile.parse(Files.readString(file.absolute()), file.shown().toString());
        } catch (NoSuchFileException e) {
            problems.at(file.line(), "model.file: " + file.shown() + " does not exist");
        } catch (IOException e) {
            problems.at(file.line(), "model.file: cannot read " + file.shown() + ": " + ConfigPaths.reason(e));
        } catch (IllegalArgumentException e) { // ModelFileException, and the integer models' own checks
            problems.at(file.line(), "model.file: " + e.getMessage());
        }
        return null;
    }

    /** {@code mode}, else the mode the model was trained in, else packet. */
    private static ClassifyMode mode(SectionReader s, ModelFile model) {
        if (s.has("mode")) {
            String text = s.string("mode", null);
            if (text == null) {
                return ClassifyMode.EVERY_PACKET;
            }
            try {
                return ClassifyMode.parse(text);
            } catch (IllegalArgumentException e) {
                s.problem("mode", e.getMessage());
                return ClassifyMode.EVERY_PACKET;
            }
        }
        if (model != null) {
            try {
                return ClassifyMode.parse(model.provenance().path("mode").asText("packet"));
            } catch (IllegalArgumentException e) {
                return ClassifyMode.EVERY_PACKET;
            }
        }
        return ClassifyMode.EVERY_PACKET;
    }

    /**
     * {@code min-confidence}: a number for every class, or a mapping class -> number (the others
     * 0); fills {@code perClass} and returns the default.
     */
    private static double minConfidence(SectionReader s, ModelFile model, Map<String, Double> perClass) {
        YamlNode value = s.value("min-confidence");
        if (!(value instanceof YamlNode.Mapping m)) {
            return s.number("min-confidence", 0, 1, 0);
        }
        for (YamlNode.Entry e : m.entries()) {
            String what = "model.min-confidence." + e.key();
            if (!(e.value() instanceof YamlNode.Scalar v) || (v.type() != YamlNode.Scalar.Type.INTEGER
                    && v.type() != YamlNode.Scalar.Type.DECIMAL)) {
                s.problems().at(e.line(), what + ": expected a number 0 to 1, not " + e.value().description());
                continue;
            }
            Double n = SectionReader.numberOf(v);
            double d = n == null ? Double.NaN : n;
            if (!(d >= 0 && d <= 1)) {
                s.problems().at(e.line(), what + ": " + v.text() + " is out of range (0 to 1)");
            } else if (model != null && !model.classes().contains(e.key())) {
                s.problems().at(e.line(), "model.min-confidence: the model has no class '" + e.key() + "' (classes: "
                        + String.join(", ", model.classes()) + ")");
            } else {
                perClass.put(e.key(), d);
            }
        }
        return 0;
    }

    private static Map<String, ModelAction> actions(SectionReader s, ModelFile model) {
        Map<String, ModelAction> out = new LinkedHashMap<>();
        YamlNode value = s.value("actions");
        if (value == null || value instanceof YamlNode.Scalar n && n.isNull()) {
            return out;
        }
        if (!(value instanceof YamlNode.Mapping m)) {
            s.problem("actions", "expected a mapping of class -> action ({attack: drop}), not " + value.description());
            return out;
        }
        for (YamlNode.Entry e : m.entries()) {
            String what = "model.actions." + e.key();
            if (!(e.value() instanceof YamlNode.Scalar action) || action.isNull()) {
                s.problems().at(e.line(), what + ": expected " + String.join(" or ", ModelAction.ids()) + ", not "
                        + e.value().description());
                continue;
            }
            String id = s.choice(action, what, ModelAction.ids(), null);
            if (model != null && !model.classes().contains(e.key())) {
                s.problems().at(e.line(), "model.actions: the model has no class '" + e.key() + "' (classes: "
                        + String.join(", ", model.classes()) + ")");
            } else if (id != null) {
                out.put(e.key(), ModelAction.of(id));
            }
        }
        return out;
    }
}
