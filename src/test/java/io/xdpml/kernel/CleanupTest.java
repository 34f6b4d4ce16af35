package io.xdpml.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What must hold when things are closed in the wrong order, or the JVM is told to stop. */
class CleanupTest {
    @Test
    void anAttachmentDetachesEvenAfterItsObjectWasClosed() {
        KernelAssumptions.assumeBpf();
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-cleanup")) {
            ns.createVethPair("ca", "cb");
            int cb = ns.run(() -> Interfaces.indexOf("cb"));
            BpfObject obj = BpfObject.openResource("/bpf/maps.bpf.o");
            obj.load();
            XdpAttachment att = ns.run(() -> XdpAttachment.attach(obj.program("count_a"), cb, XdpMode.NATIVE));
            BpfMap counters = obj.map("pcpu_arr");
            TestRun run = obj.program("rc_prog").testRun();
            obj.close(); // before the attachment: the wrong order
            att.close();
            assertThat(ns.run(() -> XdpAttachment.attachedProgramId(cb, XdpMode.AUTO))).isEmpty();
            // the closed object's handles fail instead of reaching whatever now has their fd numbers
            assertThatThrownBy(() -> counters.sumPerCpuLongs(0)).isInstanceOf(RuntimeException.class);
            try (Arena a = Arena.ofConfined()) {
                assertThatThrownBy(() -> run.run(a.allocate(64), 64)).hasMessageContaining("closed");
            }
            run.close();
        }
    }

    @Test
    void theShutdownCleanupDetachesAndDeletesWhileTheNamespaceThreadIsBusy() throws Exception {
        KernelAssumptions.assumeBpf();
        NetworkNamespace ns = NetworkNamespace.create("xdpml-cleanup");
        ns.createVethPair("ca", "cb");
        int cb = ns.run(() -> Interfaces.indexOf("cb"));
        BpfObject obj = BpfObject.openResource("/bpf/maps.bpf.o");
        obj.load();
        XdpAttachment att = ns.run(() -> XdpAttachment.attach(obj.program("count_a"), cb, XdpMode.NATIVE));
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread user = Thread.ofPlatform().start(() -> ns.run(() -> {
            busy.countDown();
            release.await(30, TimeUnit.SECONDS); // the namespace thread is busy, as during a long run
            return null;
        }));
        assertThat(busy.await(10, TimeUnit.SECONDS)).isTrue();
        Thread hook = Thread.ofPlatform().start(KernelCleanup::run); // what SIGTERM runs
        hook.join(10_000);
        assertThat(hook.isAlive()).as("the cleanup must not wait for the busy namespace thread").isFalse();
        assertThat(att.toString()).contains("closed");
        assertThat(namespaces()).doesNotContain(ns.name());
        release.countDown();
        user.join(10_000);
        ns.close(); // idempotent
        obj.close();
    }

    static String namespaces() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
    }

    /**
     * The cleanup hook and the caller's own finally may remove the same pins at once (SIGTERM
     * while {@code xdpml bench xsk} unwinds: the CI of 2026-12-07 found its pin directory left).
     * Both removals succeed and nothing is left; files stand in for pins (bpffs takes no files).
     */
    @Test
    void twoThreadsRemovingTheSameDirectoryBothSucceedAndLeaveNothing() throws Exception {
        for (int round = 0; round < 40; round++) {
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("xdpml-removal");
            for (int i = 0; i < 300; i++) java.nio.file.Files.createFile(dir.resolve("pin" + i));
            java.nio.file.Files.createDirectories(dir.resolve("sub"));
            java.nio.file.Files.createFile(dir.resolve("sub").resolve("pin"));
            KernelCleanup.register(dir);
            CountDownLatch go = new CountDownLatch(1);
            var failures = new java.util.concurrent.ConcurrentLinkedQueue<Throwable>();
            Runnable remove = () -> {
                try {
                    go.await();
                    BpfFs.removeRecursively(dir);
                } catch (Throwable t) {
                    failures.add(t);
                }
            };
            Thread a = Thread.ofPlatform().start(remove);
            Thread b = Thread.ofPlatform().start(remove);
            go.countDown();
            a.join();
            b.join();
            assertThat(failures).as("round " + round).isEmpty();
            assertThat(java.nio.file.Files.exists(dir)).as("round " + round).isFalse();
        }
    }

}
