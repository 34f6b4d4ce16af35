package io.xdpml.xsk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Bad configurations fail with the field and the reason; the defaults are what the docs say. */
class XskConfigTest {
    @Test
    void defaults() {
        XskConfig c = XskConfig.defaults();
        assertThat(c.batchSize()).isEqualTo(64);
        assertThat(c.bindMode()).isEqualTo(XskBindMode.AUTO);
        assertThat(c.needWakeup()).isTrue();
        assertThat(c.frameCount()).isEqualTo(c.fillRingSize() + c.txFrames());
        XskConfig r = XskConfig.receiveOnly();
        assertThat(r.txRingSize()).isZero();
        assertThat(r.txFrames()).isZero();
    }

    @Test
    void rejectsWhatTheKernelWouldRejectWithTheFieldNamed() {
        assertThatThrownBy(() -> XskConfig.defaults().withRings(1000, 2048))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("rxRingSize must be a power of two, got 1000");
        assertThatThrownBy(() -> XskConfig.defaults().withRings(2048, 0))
                .hasMessage("fillRingSize must be a power of two, got 0");
        assertThatThrownBy(() -> XskConfig.defaults().withTx(64, 65))
                .hasMessage("txFrames must be between 0 and txRingSize (64), got 65");
        assertThatThrownBy(() -> XskConfig.defaults().withBatchSize(0))
                .hasMessage("batchSize must be between 1 and rxRingSize (2048), got 0");
        assertThatThrownBy(() -> new XskConfig(1024, 64, 64, 0, 0, 64, XskBindMode.COPY, true, false))
                .hasMessage("frameSize must be 2048 or 4096, got 1024");
        assertThatThrownBy(() -> XskConfig.defaults().withBindMode(null)).hasMessage("bindMode is null");
    }

    @Test
    void smallerRingsClampTheBatch() {
        assertThat(XskConfig.defaults().withRings(32, 32).batchSize()).isEqualTo(32);
    }
}
