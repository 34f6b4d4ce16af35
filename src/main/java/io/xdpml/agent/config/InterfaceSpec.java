package io.xdpml.agent.config;

import io.xdpml.kernel.XdpMode;
import java.util.Locale;
import java.util.Objects;

/** An interface the agent attaches its XDP program to, and how (native, generic, or auto: native where the driver can). */
public record InterfaceSpec(String name, XdpMode mode) {
    /** IFNAMSIZ (16) less the terminating NUL. */
    public static final int MAX_NAME_LENGTH = 15;

    public InterfaceSpec {
        Objects.requireNonNull(mode);
        String problem = nameProblem(name);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** {@code name} in {@link XdpMode#AUTO}. */
    public static InterfaceSpec of(String name) {
        return new InterfaceSpec(name, XdpMode.AUTO);
    }

    /**
     * Why {@code name} cannot be a Linux interface name (the kernel's dev_valid_name: 1 to 15
     * characters, not "." or "..", no '/', ':' or whitespace), or null when it can.
     */
    public static String nameProblem(String name) {
        if (name == null || name.isEmpty()) {
            return "an interface name is empty";
        }
        if (name.length() > MAX_NAME_LENGTH) {
            return "interface name '" + name + "' is longer than " + MAX_NAME_LENGTH + " characters";
        }
        if (name.equals(".") || name.equals("..")) {
            return "'" + name + "' is not an interface name";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == ':' || Character.isWhitespace(c)) {
                return "interface name '" + name + "' contains " + (c == '/' || c == ':' ? "'" + c + "'" : "whitespace");
            }
        }
        return null;
    }

    /** "eth0 (auto)". */
    @Override
    public String toString() {
        return name + " (" + mode.name().toLowerCase(Locale.ROOT) + ")";
    }
}
