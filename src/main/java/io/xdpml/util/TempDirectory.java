package io.xdpml.util;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A temporary directory removed with everything in it on {@link #close()}, and also when the JVM is
 * ended by a signal (SIGINT, SIGTERM): then the command's finally blocks do not run, only shutdown
 * hooks. One hook for all directories still open.
 */
public final class TempDirectory implements AutoCloseable {
    private static final Set<Path> OPEN = ConcurrentHashMap.newKeySet();
    private static volatile boolean hookInstalled;

    private final Path path;

    private TempDirectory(Path path) {
        this.path = path;
    }

    /** A new directory under java.io.tmpdir whose name starts with {@code prefix}. */
    public static TempDirectory create(String prefix) throws IOException {
        installHook();
        Path p = Files.createTempDirectory(prefix);
        OPEN.add(p);
        return new TempDirectory(p);
    }

    public Path path() {
        return path;
    }

    /** Removes the directory and everything in it (already gone is fine). */
    @Override
    public void close() throws IOException {
        removeRecursively(path);
        OPEN.remove(path);
    }

    private static synchronized void installHook() {
        if (!hookInstalled) {
            Runtime.getRuntime().addShutdownHook(new Thread(TempDirectory::removeAllOpen, "xdpml-temp-cleanup"));
            hookInstalled = true;
        }
    }

    private static void removeAllOpen() {
        for (Path p : OPEN.toArray(new Path[0])) {
            try {
                removeRecursively(p);
            } catch (IOException | UncheckedIOException e) {
                System.err.println("xdpml: removing temporary directory " + p + ": " + e.getMessage());
            }
        }
    }

    /**
     * Removes {@code dir} and everything in it; absent is fine, and so is whatever another thread
     * removes meanwhile (also bpffs pins: BpfFs.removeRecursively).
     */
    public static void removeRecursively(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) return FileVisitResult.CONTINUE;
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) throw e;
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
