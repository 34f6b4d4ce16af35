package io.xdpml.testing;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A UDP echo service and a client that keeps asking it, for the live tests that show a host's own
 * UDP exchanges pass while a measure holds a flood (the sockets made in the namespaces by the caller).
 */
public final class UdpEcho {
    private UdpEcho() {}

    /** Answers every datagram {@code server} receives with the same bytes, until the socket is closed. */
    public static Thread serve(DatagramSocket server) {
        return Thread.ofPlatform().start(() -> {
            DatagramPacket q = new DatagramPacket(new byte[512], 512);
            try {
                while (true) {
                    server.receive(q);
                    server.send(new DatagramPacket(q.getData(), q.getLength(), q.getSocketAddress()));
                }
            } catch (IOException closed) {
                // done
            }
        });
    }

    /** A client asking {@code to} every {@code pauseMillis}, each exchange waiting up to {@code timeoutMillis} for its own answer. */
    public static final class Client implements AutoCloseable {
        private final AtomicBoolean asking = new AtomicBoolean(true);
        private final AtomicLong asked = new AtomicLong();
        private final AtomicLong answered = new AtomicLong();
        private final Thread thread;

        public Client(DatagramSocket client, InetSocketAddress to, int timeoutMillis, long pauseMillis) {
            thread = Thread.ofPlatform().start(() -> {
                DatagramPacket in = new DatagramPacket(new byte[512], 512);
                try {
                    client.setSoTimeout(timeoutMillis);
                    while (asking.get()) {
                        byte[] q = ("exchange " + asked.incrementAndGet()).getBytes();
                        client.send(new DatagramPacket(q, q.length, to));
                        try {
                            client.receive(in);
                            answered.addAndGet(new String(in.getData(), 0, in.getLength()).equals(new String(q)) ? 1 : 0);
                        } catch (SocketTimeoutException lost) {
                            // not answered
                        }
                        Thread.sleep(pauseMillis);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        public long asked() {
            return asked.get();
        }

        public long answered() {
            return answered.get();
        }

        /** Stops asking and waits for the last exchange. */
        @Override
        public void close() throws InterruptedException {
            asking.set(false);
            thread.join(5000);
        }
    }
}
