package io.xdpml.pcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded mutation fuzzing of valid pcap and pcapng files: bit flips, byte overwrites, length-field
 * overwrites, truncations, insertions and deletions. The only allowed failure is
 * PcapFormatException; every iteration ends, and yields at most file size / 16 packets.
 * Reproduce a failure with the seed and iteration in its message (iteration i uses seed SEED + i).
 */
class FuzzTest {
    private static final long SEED = Long.getLong("xdpml.pcap.fuzz.seed", 0x5EED_CAFEL);
    private static final int ITERATIONS = Integer.getInteger("xdpml.pcap.fuzz.iterations", 24_000);
    private static final int[] INTERESTING = {0, 1, 4, 8, 11, 12, 16, 28, 32, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
            0xFFFF_FFFC, 262_144, 262_145, 65_535, 0x0A0D0D0A, 0x1A2B3C4D, 0x4D3C2B1A, 0xA1B2C3D4, 0xD4C3B2A1, 0xA1B23C4D};

    private static List<byte[]> seeds() throws IOException {
        List<byte[]> seeds = new ArrayList<>();
        seeds.add(TestData.bytes("tunnel/tcpdump-vxlan.pcap"));
        seeds.add(TestData.bytes("tunnel/zeek-vlan-qinqinq.pcap"));
        seeds.add(TestData.bytes(TestData.FUZZ_FILE));
        seeds.add(TestData.bytes("malformed/ndpi-malformed_icmp.pcap"));
        seeds.add(Arrays.copyOf(TestData.bytes("benign/ndpi-tor.pcap"), 2_000));
        seeds.add(Arrays.copyOf(TestData.bytes("attack/portscan-1-10000.pcapng"), 3_000));
        seeds.add(new PcapngBuilder()
                .section(ByteOrder.LITTLE_ENDIAN)
                .interfaceBlock(LinkType.ETHERNET, 64, 6, 5L)
                .interfaceBlock(LinkType.LINUX_SLL, 0, 0x80 | 20, null)
                .enhancedPacket(0, 1_000, new byte[60], 60)
                .block(0x0BAD, new byte[8])
                .enhancedPacket(1, 2_000, new byte[30], 40)
                .simplePacket(new byte[64], 80)
                .section(ByteOrder.BIG_ENDIAN)
                .interfaceBlock(LinkType.NULL, 0, 9, null)
                .enhancedPacket(0, 3_000, new byte[] {2, 0, 0, 0, 0x45, 0, 0, 0}, 8)
                .packetBlock(0, 4_000, new byte[12], 12)
                .build());
        seeds.add(PcapReaderTest.pcap(ByteOrder.BIG_ENDIAN, 0xa1b23c4d, 4, 128, LinkType.LINUX_SLL2, 40, 40, 20, 60, 0, 0, 128, 1500));
        return seeds;
    }

    @Test
    @Timeout(120)
    void mutatedCapturesFailOnlyWithPcapFormatException() throws IOException {
        List<byte[]> seeds = seeds();
        EthernetFramer framer = new EthernetFramer();
        long formatErrors = 0;
        long packets = 0;
        long start = System.nanoTime();
        for (int i = 0; i < ITERATIONS; i++) {
            SplittableRandom random = new SplittableRandom(SEED + i);
            byte[] f = mutate(seeds.get(random.nextInt(seeds.size())), random);
            String where = "seed " + SEED + " + iteration " + i + " (file of " + f.length + " bytes)";
            long count = 0;
            long bound = f.length / 16;
            try (CaptureReader r = CaptureReader.open(MemorySegment.ofArray(f), "fuzz")) {
                while (r.next()) {
                    count++;
                    if (count > bound) {
                        fail(where + ": more than " + bound + " packets");
                    }
                    long sum = r.timestampNanos() + r.originalLength() + r.interfaceId() + r.recordOffset();
                    MemorySegment data = r.data();
                    if (data.byteSize() > 0) {
                        sum += data.get(ValueLayout.JAVA_BYTE, data.byteSize() - 1);
                    }
                    assertThat(r.dataOffset() + r.capturedLength()).isLessThanOrEqualTo(f.length);
                    if (EthernetFramer.supports(r.linkType())) {
                        int n = framer.frame(r);
                        assertThat(n).isGreaterThanOrEqualTo(-1);
                    }
                    assertThat(sum).isNotNull();
                }
            } catch (PcapFormatException expected) {
                formatErrors++;
                assertThat(expected.offset()).as(where).isBetween(0L, (long) f.length);
            } catch (Throwable t) {
                fail(where + ": " + t, t);
            }
            packets += count;
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("pcap fuzz: seed %d, %d iterations, %d format errors, %d packets, %d ms%n",
                SEED, ITERATIONS, formatErrors, packets, millis);
        assertThat(formatErrors).as("mutations must hit the error paths").isGreaterThan(ITERATIONS / 10);
        assertThat(packets).as("mutations must leave readable packets too").isGreaterThan(ITERATIONS);
    }

    static byte[] mutate(byte[] original, SplittableRandom random) {
        byte[] f = original.clone();
        int mutations = 1 + random.nextInt(4);
        for (int m = 0; m < mutations; m++) {
            if (f.length == 0) {
                break;
            }
            int at = random.nextInt(f.length);
            switch (random.nextInt(6)) {
                case 0 -> f[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> f[at] = (byte) random.nextInt(256);
                case 2 -> { // a 32-bit field, aligned like the length fields, with an interesting or random value
                    int aligned = at & ~3;
                    if (aligned + 4 <= f.length) {
                        int v = random.nextBoolean() ? INTERESTING[random.nextInt(INTERESTING.length)] : random.nextInt();
                        ByteOrder order = random.nextBoolean() ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
                        MemorySegment.ofArray(f).set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(order), aligned, v);
                    }
                }
                case 3 -> f = Arrays.copyOf(f, at);
                case 4 -> {
                    byte[] insert = new byte[1 + random.nextInt(16)];
                    random.nextBytes(insert);
                    byte[] g = new byte[f.length + insert.length];
                    System.arraycopy(f, 0, g, 0, at);
                    System.arraycopy(insert, 0, g, at, insert.length);
                    System.arraycopy(f, at, g, at + insert.length, f.length - at);
                    f = g;
                }
                default -> {
                    int n = Math.min(1 + random.nextInt(16), f.length - at);
                    byte[] g = new byte[f.length - n];
                    System.arraycopy(f, 0, g, 0, at);
                    System.arraycopy(f, at + n, g, at, f.length - at - n);
                    f = g;
                }
            }
        }
        return f;
    }
}
