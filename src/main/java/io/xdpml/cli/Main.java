package io.xdpml.cli;

/** Entry point of the {@code xdpml} command line. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.out.println("xdpml");
    }
}
