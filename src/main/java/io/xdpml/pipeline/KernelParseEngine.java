package io.xdpml.pipeline;

import io.xdpml.kernel.TestRun;
import io.xdpml.packet.ParseCounters;
import io.xdpml.packet.ParseSummary;
import java.lang.foreign.MemorySegment;

/**
 * The real XDP parser, each frame run once through BPF_PROG_TEST_RUN; the summary comes from
 * the program's .bss, the counters from its per-CPU map.
 */
public final class KernelParseEngine implements ParseEngine {
    private final ParserProgram parser;
    private final TestRun run;

    public KernelParseEngine(int vxlanPort) {
        this.parser = ParserProgram.load(vxlanPort, true, ParserProgram.XDP_PASS);
        try {
            this.run = parser.program().testRun();
        } catch (RuntimeException e) {
            parser.close();
            throw e;
        }
    }

    @Override
    public void parse(MemorySegment frame, int length, ParseSummary out) {
        run.run(frame, length);
        out.readFrom(parser.lastSummary());
    }

    @Override
    public ParseCounters counters() {
        return parser.readCounters();
    }

    @Override
    public int maxFrameLength() {
        return TestRun.maxTestRunFrame();
    }

    @Override
    public String name() {
        return "kernel";
    }

    @Override
    public void close() {
        run.close();
        parser.close();
    }
}
