package io.xdpml.cli;

import java.util.Collection;

/**
 * The name column of the bench commands' tables ({@code bench testrun}, {@code stages}, {@code veth},
 * {@code veth --spread}): as wide as the longest name of the run, so that names such as
 * {@code flow-new-promote-budget} keep the columns after them aligned (until 2026-12-06 the column was
 * 16 characters, and a longer name pushed its row's columns to the right).
 */
final class BenchTable {
    /** The width the program column had before: a run of shorter names prints as it always did. */
    static final int PROGRAM_WIDTH = 16;

    private BenchTable() {}

    /** A left-aligned format ({@code %-Ns}) as wide as the longest of {@code names}, and at least {@link #PROGRAM_WIDTH}. */
    static String nameColumn(Collection<String> names) {
        return nameColumn(names, PROGRAM_WIDTH);
    }

    /** A left-aligned format ({@code %-Ns}) as wide as the longest of {@code names}, and at least {@code min}. */
    static String nameColumn(Collection<String> names, int min) {
        int w = min;
        for (String n : names) {
            w = Math.max(w, n.length());
        }
        return "%-" + w + "s";
    }
}
