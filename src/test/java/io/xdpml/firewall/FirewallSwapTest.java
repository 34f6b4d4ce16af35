package io.xdpml.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.packet.FrameBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Loading a new config never exposes a half-loaded one: while frames flow through a veth pair,
 * the config is swapped back and forth many times between two that judge the same sources in
 * opposite ways, each with thousands of entries (every install takes milliseconds):
 * <ul>
 * <li>A: default pass, every test source on the deny list: verdict drop_deny_list;</li>
 * <li>B: default drop, every test source on the allow list: verdict pass_allow_list.</li>
 * </ul>
 * Any mix of the two (B's empty deny list with A's default, A's deny list half removed, B's allow
 * list half written under B's default...) ends in a default verdict. So the default counters must
 * stay zero, and every frame must be either denied or allowed.
 */
class FirewallSwapTest {
    static String config(boolean a) {
        StringBuilder b = new StringBuilder(a ? "default pass\n" : "default drop\n");
        // filler: other prefixes, so that each install writes and removes thousands of entries
        for (int i = 0; i < 4000; i++) {
            b.append(a ? "deny " : "allow ").append("10.").append(i / 256).append('.').append(i % 256).append(".0/24\n");
        }
        for (int i = 1; i <= 200; i++) {
            b.append(a ? "deny " : "allow ").append("198.51.100.").append(i).append('\n');
        }
        for (int i = 1; i <= 50; i++) {
            b.append(a ? "deny " : "allow ").append("2001:db8::").append(Integer.toHexString(i)).append("/128\n");
        }
        return b.toString();
    }

    @Test
    void swapsUnderTrafficNeverShowAHalfLoadedConfig() {
        FirewallConfig a = FirewallVethTest.config(config(true));
        FirewallConfig b = FirewallVethTest.config(config(false));
        List<byte[]> frames = new ArrayList<>();
        for (int i = 1; i <= 200; i++) {
            frames.add(FirewallVethTest.udp4("198.51.100." + i, "192.0.2.1", 53));
        }
        for (int i = 1; i <= 50; i++) {
            frames.add(FirewallVethTest.udp6("2001:db8::" + Integer.toHexString(i), "2001:db8:1::1", 53));
        }
        FirewallVethTest.inRig(FirewallProgram.Limits.defaults(), rig -> {
            FirewallMaps maps = rig.program.maps();
            maps.install(a);
            AtomicBoolean done = new AtomicBoolean();
            AtomicInteger swaps = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread swapper = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < 40; i++) {
                        maps.install(i % 2 == 0 ? b : a);
                        swaps.incrementAndGet();
                    }
                } catch (Throwable t) {
                    failure.set(t);
                } finally {
                    done.set(true);
                }
            });
            long sent = 0;
            long[] atSwap = new long[2];
            while (!done.get()) {
                for (byte[] f : frames) {
                    rig.fromOutside(f);
                }
                sent += frames.size();
                atSwap[swaps.get() % 2] = 1;
            }
            try {
                swapper.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            assertThat(failure.get()).isNull();
            long denied = rig.counter(FirewallCounter.DROP_DENY_LIST);
            long allowed = rig.counter(FirewallCounter.PASS_ALLOW_LIST);
            System.out.printf("swap test: %d swaps, %d frames sent, %d denied (config A), %d allowed (config B)%n",
                    swaps.get(), sent, denied, allowed);
            assertThat(swaps.get()).isEqualTo(40);
            assertThat(rig.counter(FirewallCounter.PASS_DEFAULT)).as("A's default without A's deny list").isZero();
            assertThat(rig.counter(FirewallCounter.DROP_DEFAULT)).as("B's default without B's allow list").isZero();
            assertThat(denied + allowed).isEqualTo(sent).isEqualTo(rig.counter(FirewallCounter.PACKETS));
            assertThat(denied).as("traffic saw config A").isPositive();
            assertThat(allowed).as("traffic saw config B").isPositive();
            // the old generation's entries are gone after each swap: one config's worth is left
            assertThat(maps.activeListEntries()).hasSize(4000 + 250);
            assertThat(maps.lists().keys()).hasSize(4000 + 250);
        });
    }
}
