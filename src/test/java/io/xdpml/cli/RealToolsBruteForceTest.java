package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.testing.TestData;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * An SSH brute force, live, against {@code xdpml run} with the example configuration (as shipped,
 * but for its interface and output file): a victim (10.93.0.2) running OpenSSH's {@code sshd}, an
 * outside namespace holding the guesser (10.93.0.1: {@code ssh} in a loop, a wrong password each
 * time through {@code SSH_ASKPASS}) and an administrator (10.93.0.3: 4 key-authenticated
 * {@code ssh ... true} sessions, 2 s apart). The guesser's ssh tries 14 times, each given up after 3 s
 * without an answer ({@code timeout 3}).
 *
 * <p>Shown: bruteforce names the guesser at its tenth connection, which is blocked (listed by
 * {@code xdpml blocks list}): its later attempts go unanswered; the administrator's sessions all succeed
 * and it is not blocked. Without bruteforce in the example's list nothing is blocked and all 14 guesses
 * reach sshd (the revert check).
 */
class RealToolsBruteForceTest {
    static final String VICTIM = "10.93.0.2";
    static final String GUESSER = "10.93.0.1";
    static final String ADMIN = "10.93.0.3";
    private static final String OPTS = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=1";

    @Test
    void anSshBruteForceIsBlockedWhileAnAdministratorsSessionsGoOn() throws Exception {
        TestData.assumeBpf();
        RealTools.requireTools("sshd", "ssh", "ssh-keygen");
        Path pins = Path.of("/sys/fs/bpf/xdpml-test-bruteforce-" + ProcessHandle.current().pid());
        Path dir = Files.createTempDirectory("xdpml-bruteforce");
        try (NetworkNamespace victim = NetworkNamespace.create("xdpml-bfv"); NetworkNamespace outside = NetworkNamespace.create("xdpml-bfo");
             AutoCloseable cleanPins = () -> BpfFs.removeRecursively(pins)) {
            RealTools.link(victim, "rbf1", VICTIM, outside, "rbf0", List.of(GUESSER, ADMIN));
            victim.exec("ip", "link", "set", "lo", "up");
            Path config = dir.resolve("agent.yaml");
            Files.writeString(config, RealToolsConnFloodTest.exampleConfig("rbf1", dir));
            new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("hostkey").toString()).start().waitFor();
            new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("userkey").toString()).start().waitFor();
            Files.copy(dir.resolve("userkey.pub"), dir.resolve("authorized_keys"));
            Path askpass = dir.resolve("askpass");
            Files.writeString(askpass, "#!/bin/sh\necho wrong-$$\n");
            askpass.toFile().setExecutable(true);
            Files.createDirectories(Path.of("/run/sshd"));
            Process sshd = RealTools.start(victim, dir.resolve("sshd.txt"), "/usr/sbin/sshd", "-D", "-e", "-f", "/dev/null", "-h",
                    dir.resolve("hostkey").toString(), "-o", "ListenAddress=" + VICTIM, "-o", "PidFile=none", "-o", "PasswordAuthentication=yes",
                    "-o", "UsePAM=no", "-o", "StrictModes=no", "-o", "MaxStartups=100", "-o", "AuthorizedKeysFile=" + dir.resolve("authorized_keys"));

            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CompletableFuture<Integer> run = RealTools.startAgent(victim, "rbf1", out, err, "run", "--config", config.toString(),
                    "--duration", "30", "--pin-dir", pins.toString(), "--quiet-status");
            Thread.sleep(1500);
            Process admin = RealTools.start(outside, dir.resolve("admin.txt"), "sh", "-c", "ok=0; for i in 1 2 3 4; do ssh " + OPTS
                    + " -o ConnectTimeout=5 -o BatchMode=yes -b " + ADMIN + " -i " + dir.resolve("userkey") + " root@" + VICTIM
                    + " true && ok=$((ok+1)); sleep 2; done; echo admin ok $ok");
            Process guesser = RealTools.start(outside, dir.resolve("guesser.txt"), "sh", "-c", "refused=0; unanswered=0; for i in $(seq 1 14); do "
                    + "SSH_ASKPASS=" + askpass + " SSH_ASKPASS_REQUIRE=force DISPLAY=:0 timeout 3 ssh " + OPTS + " -b " + GUESSER
                    + " -o PubkeyAuthentication=no -o PreferredAuthentications=password -o NumberOfPasswordPrompts=1 admin@" + VICTIM
                    + " true </dev/null 2>/tmp/xdpml-bf-$$.err; if grep -q 'Permission denied' /tmp/xdpml-bf-$$.err; then refused=$((refused+1));"
                    + " else unanswered=$((unanswered+1)); fi; done; rm -f /tmp/xdpml-bf-$$.err; echo guesser refused $refused unanswered $unanswered");
            assertThat(guesser.waitFor(60, TimeUnit.SECONDS)).as("guesser ends").isTrue();
            String listed = RealTools.blocksList(pins);
            assertThat(admin.waitFor(60, TimeUnit.SECONDS)).as("admin ends").isTrue();
            assertThat(run.get(60, TimeUnit.SECONDS)).as("exit code; stderr %s", err).isZero();
            sshd.destroy();
            String text = out.toString();
            String guesserOut = Files.readString(dir.resolve("guesser.txt"));
            String adminOut = Files.readString(dir.resolve("admin.txt"));
            Files.writeString(dir.resolve("run.txt"), text + "\n--- blocks\n" + listed + "\n--- " + guesserOut + adminOut);
            System.out.println("bruteforce live: " + guesserOut.strip() + "; " + adminOut.strip());

            assertThat(text).containsPattern("DETECTED .*bruteforce +" + Pattern.quote(GUESSER)).contains("BLOCKED " + GUESSER)
                    .doesNotContain("BLOCKED " + ADMIN);
            assertThat(listed).as("xdpml blocks list during the run").contains(GUESSER + "/32").doesNotContain(ADMIN);
            // the guesser (14 attempts): its first 9 or 10 connections answered (its password refused by sshd; the tenth SYN brings
            // the block, which may cut that connection short), then blocked: the rest time out unanswered (a few more may
            // be answered while the agent acts on the detection, on a loaded machine)
            Matcher g = Pattern.compile("guesser refused (\\d+) unanswered (\\d+)").matcher(guesserOut);
            assertThat(g.find()).as(guesserOut).isTrue();
            assertThat(Integer.parseInt(g.group(1))).as("guesses refused by sshd before the block").isBetween(9, 12);
            assertThat(Integer.parseInt(g.group(2))).as("guesses unanswered after the block").isGreaterThanOrEqualTo(2);
            assertThat(adminOut).as("the administrator's sessions").contains("admin ok 4");
        } finally {
            RealTools.keepOutputs(dir, "real-tools-bruteforce");
        }
    }
}
