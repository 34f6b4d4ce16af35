package io.xdpml.detect;

import io.xdpml.packet.ParseFlags;
import java.util.ArrayList;
import java.util.List;

/**
 * What tells an amplification or a reflection from a host's own answers where one direction is all
 * a detector sees ({@code twoWay} 0; the agent's XDP sees what arrives, never its host's requests),
 * kept per (victim, service port) by {@link AmplificationDetector} and {@link ReflectionDetector}.
 * One way, no request is ever seen, so "no requests" is no evidence: a host whose own resolver
 * hears 200 answers a second from 25 servers looks like a victim of DNS amplification. What a
 * client's own traffic does not produce, and counts here:
 *
 * <ul>
 *   <li>one port of the victim answered by many reflectors: a client asks from a port and hears
 *       from the server it asked (one DNS query, one QUIC connection per port); a spoofed request
 *       names the victim's port, which every reflector then answers. Counted as the port each new
 *       reflector's first response went to, in a Space-Saving table of {@value #PORT_SLOTS} ports
 *       ({@link HeavyHitters}: bounded, nothing per packet);
 *   <li>many reflectors: an attack sprays the victim from hundreds or thousands; for DNS (since
 *       2026-12-06) only while the answers ask few questions: the reflectors of an amplification
 *       all answer the attacker's one name (or few), a busy resolver's servers answer the many names
 *       its clients look up. Counted as the (name, type) of each answer whose question could be read,
 *       in a Space-Saving table of {@value #QUESTION_SLOTS} questions; when fewer than half of the
 *       answers could be read the number of reflectors alone counts, as before;
 *   <li>responses that are mostly first fragments (MF set): answers to a client's lookups fit a
 *       datagram (DNS since EDNS's 1,232 bytes; QUIC sets DF); amplified answers are as large as a
 *       reflector makes them.
 * </ul>
 */
final class OneWayEvidence {
    static final int PORT_SLOTS = 8;
    static final int QUESTION_SLOTS = 8;

    private final HeavyHitters firstPorts = new HeavyHitters(PORT_SLOTS);
    /** The DNS questions answered; null where the service is not DNS (its 350 bytes not spent). */
    private final HeavyHitters questions;
    private long firstFragments;
    /** Responses whose DNS question was read (weighed). */
    private long questionsRead;

    /** Counts a response as {@code count} (as the detector counts its responses) when it is a first fragment (later ones carry no ports). */
    void response(PacketObservation p, long count) {
        if (p.summary().has(ParseFlags.FRAGMENT)) {
            firstFragments += count;
        }
    }

    /** Without DNS questions (a service other than DNS). */
    OneWayEvidence() {
        this(false);
    }

    /** With a table of the DNS questions answered when {@code dns}. */
    OneWayEvidence(boolean dns) {
        questions = dns ? new HeavyHitters(QUESTION_SLOTS) : null;
    }

    /** A DNS response of {@code count} (weighed) asked the question of QTYPE {@code qtype} and name hash {@code nameHash}. */
    void question(int qtype, long nameHash, long count) {
        questions.add(qtype, nameHash, count);
        questionsRead += count;
    }

    /** Responses the heaviest {@value #QUESTION_SLOTS} questions certainly have. */
    private long commonQuestions() {
        long sure = 0;
        if (questions == null) {
            return 0;
        }
        for (int i = 0; i < questions.size(); i++) {
            sure += questions.sure(i);
        }
        return sure;
    }

    /** Questions in the table with a count they certainly have. */
    private int commonQuestionCount() {
        int n = 0;
        if (questions == null) {
            return 0;
        }
        for (int i = 0; i < questions.size(); i++) {
            n += questions.sure(i) > 0 ? 1 : 0;
        }
        return n;
    }

    /** A reflector new to this victim and service, standing for {@code w} (sampled reflectors), answered its port {@code victimPort} first. */
    void newReflector(int victimPort, long w) {
        firstPorts.add(0, victimPort, w);
    }

    /** The victim's port that most reflectors answered first: the slot in {@link #firstPorts}, -1 when none. */
    private int busiestSlot() {
        int best = -1;
        for (int i = 0; i < firstPorts.size(); i++) {
            if (best < 0 || firstPorts.sure(i) > firstPorts.sure(best)) {
                best = i;
            }
        }
        return best;
    }

    /**
     * What of this is evidence (for the reasons), or null when nothing is.
     *
     * @param responses         responses counted (weighed)
     * @param reflectors        distinct reflectors
     * @param minReflectors     reflectors that are evidence by their number
     * @param minPortReflectors reflectors answering one port that are evidence; {@code Integer.MAX_VALUE}: never
     * @param estimated         whether the reflectors (and so those answering one port) are counted from a sampled
     *                          set: estimates, marked {@code ~} (since 2026-12-06; {@link Detections#count(long, boolean)})
     */
    String text(long responses, long reflectors, int minReflectors, int minPortReflectors, boolean estimated) {
        List<String> found = new ArrayList<>();
        int port = busiestSlot();
        if (port >= 0 && firstPorts.sure(port) >= minPortReflectors) {
            found.add("its port " + firstPorts.lo(port) + " answered by " + Detections.count(firstPorts.sure(port), estimated) + " reflectors"
                    + Detections.estimated(estimated));
        }
        if (reflectors >= minReflectors) {
            boolean read = responses > 0 && questionsRead * 2 >= responses;
            long common = commonQuestions();
            if (!read) {
                found.add(Detections.count(reflectors, estimated) + " reflectors" + Detections.estimated(estimated) + " ("
                        + Detections.count(minReflectors) + " or more)");
            } else if (common * 2 >= questionsRead) { // a resolver's servers answer many names: not evidence then
                int n = commonQuestionCount();
                found.add(Detections.count(reflectors, estimated) + " reflectors" + Detections.estimated(estimated) + " ("
                        + Detections.count(minReflectors) + " or more), "
                        + Detections.count(common) + " of " + Detections.count(questionsRead) + " answers to " + n
                        + (n == 1 ? " question" : " questions"));
            }
        }
        if (responses > 0 && firstFragments * 2 >= responses) {
            found.add(Detections.count(firstFragments) + " of " + Detections.count(responses) + " responses first fragments");
        }
        return found.isEmpty() ? null : "seen one way, more than a host's own answers: " + String.join("; ", found);
    }
}
