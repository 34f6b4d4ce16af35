package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code xdpml fleet broker}: a real broker a client can use while it runs, stopped at --duration, its topics kept in --dir. */
class FleetBrokerCommandTest {
    @Test
    void aBrokerToTryTheFleetWith(@TempDir Path dir) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String bootstrap = "127.0.0.1:" + port;
        String[] args = {"fleet", "broker", "--port", Integer.toString(port), "--dir", dir.toString(), "--duration", "20"};
        CompletableFuture<CliHarness.Result> run = CompletableFuture.supplyAsync(() -> CliHarness.run(args));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap, "default.api.timeout.ms", 5000, "request.timeout.ms", 5000))) {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(18);
            boolean created = false;
            while (!created && System.nanoTime() < until && !run.isDone()) {
                try {
                    admin.createTopics(List.of(new NewTopic("tried", 1, (short) 1))).all().get(5, TimeUnit.SECONDS);
                    created = true;
                } catch (Exception notYet) {
                    Thread.sleep(200);
                }
            }
            assertThat(created).as("a topic created on the running broker").isTrue();
            assertThat(admin.listTopics().names().get(5, TimeUnit.SECONDS)).contains("tried");
        }
        CliHarness.Result r = run.get(60, TimeUnit.SECONDS);
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("Kafka broker (KRaft, single node) at " + bootstrap + ", logs and topics in " + dir)
                .contains("xdpml fleet run --kafka " + bootstrap).contains("xdpml fleet broker: stopped");
        assertThat(Files.isDirectory(dir.resolve("logs").resolve("tried-0"))).as("the topic kept in --dir").isTrue();
    }
}
