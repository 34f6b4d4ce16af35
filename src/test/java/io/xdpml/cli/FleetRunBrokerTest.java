package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.fleet.FleetBlock;
import io.xdpml.fleet.FleetTestRecordings;
import io.xdpml.fleet.LocalBroker;
import io.xdpml.testing.TestData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * {@code xdpml fleet run} end to end against a real Apache Kafka broker (KRaft, a child JVM): the
 * portscan capture's flows, split over three hosts, published to xdpml.flows as the agents do; the
 * command finds the distributed scan, prints it, publishes the EVE alert and the fleet block.
 */
class FleetRunBrokerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theCommandFindsTheScanThroughARealBroker() throws Exception {
        List<String[]> lines = FleetTestRecordings.portscanOverThreeHosts(TestData.capture("attack/portscan-1-10000.pcapng"));
        try (LocalBroker broker = LocalBroker.start()) {
            String bootstrap = broker.bootstrapServers();
            CompletableFuture<CliHarness.Result> run = CompletableFuture.supplyAsync(() -> CliHarness.run("fleet", "run", "--kafka", bootstrap,
                    "--blocks", "600", "--duration", "150", "--application-id", "fleet-e2e",
                    "--property", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG + "=earliest"));
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            // the command creates the topics; wait for xdpml.flows to exist before publishing
            try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!admin.listTopics().names().get().contains("xdpml.flows") && System.nanoTime() < until) {
                    Thread.sleep(200);
                }
            }
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("xdpml.flows", "k", "not json"));
                for (String[] l : lines) {
                    producer.send(new ProducerRecord<>("xdpml.flows", null, Long.parseLong(l[2]), l[0], l[1]));
                }
                producer.flush();
            }
            List<ConsumerRecord<String, String>> alerts = consume(bootstrap, "xdpml.alerts", 1, Duration.ofSeconds(90));
            List<ConsumerRecord<String, String>> blocks = consume(bootstrap, "xdpml.blocks", 1, Duration.ofSeconds(10));
            CliHarness.Result r = run.get(200, TimeUnit.SECONDS);
            System.out.println(r.out());
            System.out.println(r.err());
            assertThat(r.code()).isZero();
            assertThat(r.out()).contains("fleet-scan").contains("192.168.1.7").contains("found 1 scans");
            // (how many of the 10,004 flows it read in 150 s depends on the machine; the scan is found in the first 2,000; in 90 s
            // a CI machine under load once read 9,976 and not the malformed one)
            assertThat(r.out()).contains("skipped 1 malformed flow records").contains("published 1 blocks");
            assertThat(alerts).hasSize(1);
            JsonNode a = JSON.readTree(alerts.getFirst().value());
            assertThat(alerts.getFirst().key()).isEqualTo("192.168.1.7");
            assertThat(a.get("host").asText()).isEqualTo("fleet");
            assertThat(a.at("/alert/signature_id").asLong()).isEqualTo(8_800_101);
            assertThat(a.at("/xdpml/hosts").size()).isEqualTo(3);
            assertThat(blocks).hasSize(1);
            FleetBlock b = FleetBlock.parse(blocks.getFirst().key(), blocks.getFirst().value());
            assertThat(b.key()).isEqualTo("prefix:192.168.1.7/32");
            assertThat(b.detector()).isEqualTo("fleet-scan");
        }
    }

    private static List<ConsumerRecord<String, String>> consume(String bootstrap, String topic, int atLeast, Duration wait) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "check-" + topic);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            c.subscribe(List.of(topic));
            long until = System.nanoTime() + wait.toNanos();
            while (System.nanoTime() < until) {
                c.poll(Duration.ofMillis(500)).forEach(out::add);
                if (out.size() >= atLeast) {
                    // a little longer: nothing more should come
                    c.poll(Duration.ofSeconds(2)).forEach(out::add);
                    break;
                }
            }
        }
        return out;
    }
}
