package io.xdpml.model;

import io.xdpml.model.data.CicFlowCsv;
import io.xdpml.model.data.Dataset;
import io.xdpml.testing.TestData;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The CIC-IDS2017 sample and its held-out split (30 %, stratified, seed 1), loaded once for all model tests. */
final class CicData {
    static final long SEED = 1;
    static final double TEST_FRACTION = 0.3;
    private static Dataset all;
    private static Dataset.Split split;

    private CicData() {}

    static synchronized Dataset all() {
        if (all == null) {
            try {
                all = CicFlowCsv.read(TestData.dataDir().resolve("flows/cicids2017-sample.csv"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return all;
    }

    static synchronized Dataset.Split split() {
        if (split == null) {
            split = all().split(TEST_FRACTION, SEED);
        }
        return split;
    }
}
