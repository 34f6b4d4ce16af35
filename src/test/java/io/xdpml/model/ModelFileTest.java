package io.xdpml.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xdpml.model.data.CicFlowCsv;
import io.xdpml.model.data.Dataset;
import io.xdpml.model.file.ModelFile;
import io.xdpml.model.file.ModelFileException;
import io.xdpml.model.file.ModelKind;
import io.xdpml.model.train.ModelTraining;
import io.xdpml.model.train.TrainOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model file: written and read back unchanged, and every kind of broken file refused with the field named. */
class ModelFileTest {
    @TempDir
    Path dir;

    private static ModelFile dt;
    private static ModelFile rf;
    private static ModelFile mlp;

    private static synchronized void train() {
        if (dt == null) {
            Dataset train = CicData.split().train();
            dt = ModelTraining.train(train, TrainOptions.defaults(ModelKind.DT, CicFlowCsv.MAPPED_INPUTS, 1).withDepth(4));
            rf = ModelTraining.train(train, TrainOptions.defaults(ModelKind.RF, CicFlowCsv.MAPPED_INPUTS, 1).withDepth(4).withTrees(3));
            mlp = ModelTraining.train(train, TrainOptions.defaults(ModelKind.MLP, CicFlowCsv.MAPPED_INPUTS.subList(0, 12), 1).withEpochs(3));
        }
    }

    @Test
    void everyKindSurvivesARoundTripThroughAFile() throws Exception {
        train();
        Dataset all = CicData.all();
        for (ModelFile m : new ModelFile[] {dt, rf, mlp}) {
            Path f = dir.resolve(m.kind().id() + ".json");
            m.write(f);
            ModelFile back = ModelFile.read(f);
            assertThat(back.kind()).isEqualTo(m.kind());
            assertThat(back.classes()).isEqualTo(m.classes());
            assertThat(back.inputs()).isEqualTo(m.inputs());
            assertThat(back.toJson().toString()).isEqualTo(m.toJson().toString());
            for (int i = 0; i < all.size(); i++) {
                long[] x = all.inputs(i);
                assertThat(back.integerModel().classify(x)).isEqualTo(m.integerModel().classify(x));
                assertThat(back.floatModel().classify(x)).isEqualTo(m.floatModel().classify(x));
            }
        }
        assertThat(Files.readString(dir.resolve("dt.json"))).contains("\"format\" : \"xdpml-model\"", "\"version\" : 1", "\"kind\" : \"dt\"");
    }

    private static void rejects(ModelFile m, Consumer<ObjectNode> breakIt, String... messageParts) {
        ObjectNode j = m.toJson();
        breakIt.accept(j);
        assertThatThrownBy(() -> ModelFile.parse(j.toString(), "M.json"))
                .isInstanceOf(ModelFileException.class)
                .hasMessageStartingWith("M.json: ")
                .hasMessageContainingAll(messageParts);
    }

    private static ObjectNode integer(ObjectNode j) {
        return (ObjectNode) j.get("integer");
    }

    private static ObjectNode layer(ObjectNode j, String section, int l) {
        return (ObjectNode) j.get(section).get("layers").get(l);
    }

    @Test
    void brokenFilesAreRefusedNamingTheFieldAndTheReason() {
        train();
        assertThatThrownBy(() -> ModelFile.parse("{\"format\": ", "M.json")).hasMessageContaining("M.json: not JSON");
        assertThatThrownBy(() -> ModelFile.parse("[1]", "M.json")).hasMessageContaining("must hold a JSON object");
        rejects(dt, j -> j.put("format", "onnx"), "field 'format'", "xdpml-model");
        rejects(dt, j -> j.put("version", 2), "field 'version'", "unsupported version 2");
        rejects(dt, j -> j.put("version", "1"), "field 'version'", "must be an integer");
        rejects(dt, j -> j.put("kind", "svm"), "field 'kind'", "unknown model kind 'svm'");
        rejects(dt, j -> j.remove("classes"), "field 'classes': missing");
        rejects(mlp, j -> ((ArrayNode) j.get("classes")).add("extra"), "field 'classes'", "8 classes, the models have 7");
        rejects(dt, j -> ((ArrayNode) j.get("classes")).remove(6), "field 'integer'", "leaf class 6 out of range");
        rejects(dt, j -> ((ArrayNode) j.get("classes")).set(1, "BENIGN"), "field 'classes'", "distinct");
        rejects(dt, j -> ((ArrayNode) j.get("inputs")).set(0, "nope"), "field 'inputs[0]'", "unknown model input 'nope'");
        rejects(dt, j -> integer(j).remove("right"), "field 'integer.right': missing");
        rejects(dt, j -> ((ArrayNode) integer(j).get("feature")).set(0, 99), "field 'integer.feature[0]'", "not a position in 'inputs'");
        rejects(dt, j -> ((ArrayNode) integer(j).get("threshold")).set(0, -1), "field 'integer.threshold[0]'", "0..2^64-1");
        rejects(dt, j -> ((ArrayNode) integer(j).get("threshold")).set(0, 1.5), "field 'integer.threshold[0]'", "must be an integer");
        rejects(dt, j -> ((ArrayNode) integer(j).get("right")).set(0, 0), "field 'integer'", "right child");
        rejects(dt, j -> ((ArrayNode) integer(j).get("leaf_class")).set(integer(j).get("feature").size() - 1, 9), "field 'integer'", "leaf class 9 out of range");
        rejects(dt, j -> ((ArrayNode) j.get("float").get("threshold")).remove(0), "field 'float.threshold'", "thresholds for");
        rejects(dt, j -> ((ArrayNode) j.get("float").get("threshold")).set(0, j.get("float").get("threshold").get(0).asDouble() + 5),
                "field 'float.threshold[0]'", "is not the integer threshold");
        rejects(rf, j -> j.put("kind", "dt"), "field 'kind'", "'dt' does not match");
        rejects(dt, j -> j.put("kind", "mlp"), "field 'integer.input': missing");
        rejects(dt, j -> j.put("provenance", 3), "field 'provenance'", "must be an object");
        rejects(mlp, j -> ((ArrayNode) layer(j, "integer", 0).get("weights")).set(0, 200), "field 'integer.layers[0].weights[0]'", "-127..127");
        rejects(mlp, j -> ((ArrayNode) layer(j, "integer", 1).get("multiplier")).set(0, -4), "field 'integer'", "layer 1: multiplier -4 out of range");
        rejects(mlp, j -> layer(j, "integer", 1).put("in", 15), "field 'integer'", "layer 1: 15 inputs, the layer before gives 16");
        rejects(mlp, j -> ((ArrayNode) integer(j).get("input_max")).set(0, 0), "field 'integer'", "input 0: needs 0 <= min < max");
        rejects(mlp, j -> ((ArrayNode) layer(j, "float", 0).get("bias")).remove(0), "field 'float.layers[0]'", "layer shape");
        rejects(mlp, j -> integer(j).putArray("layers"), "field 'integer'", "layers must be 1..3, not 0");
    }

    /**
     * A key the format does not have is refused by name and place (a misspelled optional
     * {@code leaf_confidences} read as a file from before confidences: every leaf at 1000, the
     * minimum confidence silently off); an MLP's float model must be its integer model's: a
     * reversed float input list loaded, and eval compared two different models.
     */
    @Test
    void unknownKeysAndAFloatMlpThatIsNotTheIntegerOnesAreRefused() throws Exception {
        train();
        rejects(dt, j -> integer(j).set("leaf_confidences", integer(j).remove("leaf_confidence")),
                "field 'integer.leaf_confidences': unknown key", "leaf_confidence");
        rejects(dt, j -> j.put("comment", "x"), "field 'comment': unknown key");
        rejects(dt, j -> ((ObjectNode) j.get("float")).put("thresholds", 1), "field 'float.thresholds': unknown key");
        rejects(mlp, j -> ((ObjectNode) integer(j).get("confidence")).put("levels", 1), "field 'integer.confidence.levels': unknown key");
        rejects(mlp, j -> layer(j, "integer", 2).put("multipliers", 1), "field 'integer.layers[2].multipliers': unknown key");
        rejects(mlp, j -> layer(j, "float", 0).put("activation", "relu"), "field 'float.layers[0].activation': unknown key");
        rejects(mlp, j -> ((ObjectNode) j.get("float")).put("scale", 1), "field 'float.scale': unknown key");
        rejects(mlp, j -> {
            ArrayNode in = (ArrayNode) j.get("float").get("input");
            ArrayNode reversed = in.arrayNode();
            for (int i = in.size() - 1; i >= 0; i--) {
                reversed.add(in.get(i));
            }
            ((ObjectNode) j.get("float")).set("input", reversed);
        }, "field 'float.input'", "are not the integer model's");
        rejects(mlp, j -> ((ArrayNode) j.get("float").get("input_min")).set(0, j.get("float").get("input_min").get(0).asLong() + 1),
                "field 'float.input_min'", "is not the integer model's");
        rejects(mlp, j -> ((ArrayNode) j.get("float").get("input_max")).set(1, j.get("float").get("input_max").get(1).asLong() + 1),
                "field 'float.input_max'", "is not the integer model's");
        // 12-16-16-7 as integers, 12-16-7 as floats (a whole float model, not this one)
        rejects(mlp, j -> ((ArrayNode) j.get("float").get("layers")).remove(1), "field 'float.layers'", "[12x16, 16x7]", "[12x16, 16x16, 16x7]");
        // the models shipped still read
        try (java.util.stream.Stream<Path> files = Files.list(Path.of("models"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                assertThat(ModelFile.read(f).classes()).as(f.toString()).hasSizeGreaterThanOrEqualTo(2);
            }
        }
    }
}
