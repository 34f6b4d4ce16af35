package io.xdpml.agent;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.kernel.NetworkNamespace;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * An agent running on a platform thread of its own inside a namespace, as the benchmarks run it
 * (bench metrics, bench soak, the fleet demo): {@link #agent} once it is open, {@link #done} with run()'s exit code.
 */
public record AgentOnThread(Agent agent, CompletableFuture<Integer> done) {
    /** Opens the agent of {@code config} in {@code ns} and runs it; returns once it is open (60 s at most). */
    public static AgentOnThread start(NetworkNamespace ns, AgentConfig config, Path blocksPins, PrintWriter out, String threadName)
            throws Exception {
        CompletableFuture<Agent> started = new CompletableFuture<>();
        CompletableFuture<Integer> done = new CompletableFuture<>();
        Thread.ofPlatform().name(threadName).daemon().start(() -> {
            try {
                done.complete(ns.callOnThisThread(() -> {
                    Agent.Extras extras = new Agent.Extras(0, true, null, List.of(), 0, null, 1000, new int[0], false, blocksPins);
                    try (Agent a = new Agent(config, UnaryOperator.identity(), true, extras, out)) {
                        started.complete(a);
                        return a.run();
                    }
                }));
            } catch (Throwable t) {
                started.completeExceptionally(t);
                done.completeExceptionally(t);
            }
        });
        return new AgentOnThread(started.get(60, TimeUnit.SECONDS), done);
    }
}
