package io.xdpml.kernel;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one JVM shutdown hook of the binding (normal exit, SIGINT, SIGTERM): first detaches every
 * XDP attachment still open, then deletes every network namespace still open, then removes the
 * bpffs directories of the process's own pins ({@link BpfFs#createDirectoriesRemovedOnExit}). One hook, because
 * the JVM runs separate hooks concurrently and the detaches must come first. The hook thread never
 * waits on another thread (a namespace's thread may be busy or blocked): it enters namespaces
 * itself ({@link NetworkNamespace#callOnThisThread}).
 */
final class KernelCleanup {
    private static final Set<XdpAttachment> ATTACHMENTS = ConcurrentHashMap.newKeySet();
    private static final Set<NetworkNamespace> NAMESPACES = ConcurrentHashMap.newKeySet();
    private static final Set<java.nio.file.Path> PIN_DIRECTORIES = ConcurrentHashMap.newKeySet();
    private static volatile boolean installed;

    private KernelCleanup() {}

    static void register(XdpAttachment a) {
        install();
        ATTACHMENTS.add(a);
    }

    static void unregister(XdpAttachment a) {
        ATTACHMENTS.remove(a);
    }

    static void register(NetworkNamespace ns) {
        install();
        NAMESPACES.add(ns);
    }

    static void unregister(NetworkNamespace ns) {
        NAMESPACES.remove(ns);
    }

    static void register(java.nio.file.Path pinDirectory) {
        install();
        PIN_DIRECTORIES.add(pinDirectory);
    }

    static void unregister(java.nio.file.Path pinDirectory) {
        PIN_DIRECTORIES.remove(pinDirectory);
    }

    private static synchronized void install() {
        if (!installed) {
            Runtime.getRuntime().addShutdownHook(new Thread(KernelCleanup::run, "xdpml-cleanup"));
            installed = true;
        }
    }

    /** What the hook does; also callable directly (tests). */
    static void run() {
        detachAll();
        for (NetworkNamespace ns : NAMESPACES.toArray(new NetworkNamespace[0])) {
            try {
                ns.deleteWithoutWaiting();
            } catch (Throwable t) {
                System.err.println("xdpml: deleting network namespace " + ns.name() + ": " + t.getMessage());
            }
        }
        for (java.nio.file.Path dir : PIN_DIRECTORIES.toArray(new java.nio.file.Path[0])) {
            try {
                BpfFs.removeRecursively(dir);
            } catch (Throwable t) {
                System.err.println("xdpml: removing pins " + dir + ": " + t.getMessage());
            }
        }
    }

    static void detachAll() {
        for (XdpAttachment a : ATTACHMENTS.toArray(new XdpAttachment[0])) {
            try {
                a.close();
            } catch (Throwable t) {
                System.err.println("xdpml: detaching XDP from ifindex " + a.ifindex() + ": " + t.getMessage());
            }
        }
    }
}
