package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.pipeline.VethThroughput;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The tables of {@code bench testrun} and {@code bench veth} keep their columns aligned when a
 * program's name is longer than 16 characters ({@link BenchTable}; until 2026-12-06 such a row's
 * numbers stood to the right of the others'). No kernel: the formatting alone.
 */
class BenchTableTest {
    private static List<String> print(Consumer<PrintWriter> table) {
        StringWriter s = new StringWriter();
        try (PrintWriter out = new PrintWriter(s)) {
            table.accept(out);
        }
        return s.toString().lines().toList();
    }

    /**
     * Every line as long as the header, and each right-aligned column of a row (a run of non-blanks
     * after the name) ending where one of the header's words does.
     */
    private static void assertAligned(List<String> lines) {
        String header = lines.get(0);
        List<Integer> ends = columnEnds(header);
        for (String l : lines) {
            assertThat(l.length()).as("line length:\n" + String.join("\n", lines)).isEqualTo(header.length());
            List<Integer> row = columnEnds(l);
            assertThat(ends).as("column ends of '" + l + "':\n" + String.join("\n", lines)).containsAll(row.subList(1, row.size()));
        }
    }

    /** The indexes where a run of non-blank characters ends. */
    private static List<Integer> columnEnds(String line) {
        List<Integer> ends = new java.util.ArrayList<>();
        for (int i = 0; i < line.length(); i++) {
            if (line.charAt(i) != ' ' && (i + 1 == line.length() || line.charAt(i + 1) == ' ')) {
                ends.add(i + 1);
            }
        }
        return ends;
    }

    @Test
    void testRunTableAlignsLongNames() {
        Map<String, Double> result = new LinkedHashMap<>();
        result.put("drop", 9.5);
        result.put("parse", 31.25);
        result.put("flow-new-promote-budget", 180.0);
        result.put("ref-flow44-296", 95.5);
        List<String> lines = print(out -> BenchCommand.TestRunBench.table(out, result));
        System.out.println(String.join("\n", lines));
        assertThat(lines).hasSize(5);
        assertThat(lines.get(3)).startsWith("flow-new-promote-budget ");
        assertAligned(lines);
    }

    @Test
    void shortNamesPrintAsBefore() {
        Map<String, Double> result = new LinkedHashMap<>();
        result.put("drop", 10.0);
        result.put("parse", 20.0);
        List<String> lines = print(out -> BenchCommand.TestRunBench.table(out, result));
        assertThat(lines.get(0)).isEqualTo(String.format("%-16s %12s %14s %10s", "program", "ns/packet", "Mpps/core", "vs drop"));
        assertAligned(lines);
    }

    @Test
    void vethTableAlignsLongNames() {
        List<VethThroughput.Result> rs = List.of(new VethThroughput.Result("drop", 100_000, 50_000_000L, -1),
                new VethThroughput.Result("flow-new-probation", 100_000, 80_000_000L, 100_000),
                new VethThroughput.Result("parse", 100_000, 60_000_000L, 100_000));
        List<String> lines = print(out -> BenchCommand.VethBench.table(out, rs));
        System.out.println(String.join("\n", lines));
        assertThat(lines).hasSize(4);
        assertAligned(lines);
    }

    @Test
    void theColumnIsTheLongestNameAndAtLeastItsMinimum() {
        assertThat(BenchTable.nameColumn(List.of("drop", "parse"))).isEqualTo("%-16s");
        assertThat(BenchTable.nameColumn(List.of("drop", "flow-new-promote-budget"))).isEqualTo("%-23s");
        assertThat(BenchTable.nameColumn(List.of("drop"), 10)).isEqualTo("%-10s");
    }
}
