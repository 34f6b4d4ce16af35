package io.xdpml.output.ipfix;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict reader of IPFIX messages for the tests: checks every length, learns templates from
 * Template Sets, and decodes data records by them (test helper; the real readers are nfdump,
 * ipfixDump and tshark).
 */
public final class IpfixReader {
    public record Header(int version, int length, long exportTime, long sequence, long domain) {}

    public record Message(Header header, List<List<IpfixEncoder.Field>> templateRecords, List<Integer> templateIds, List<Record> records) {}

    /** One data record: its template id, each field's value (numbers as long, addresses as bytes). */
    public record Record(int template, Map<String, Object> values) {
        public long number(int id) {
            return (Long) values.get(String.valueOf(id));
        }

        public long reverse(int id) {
            return (Long) values.get(IpfixEncoder.REVERSE_PEN + "/" + id);
        }

        public byte[] bytes(int id) {
            return (byte[]) values.get(String.valueOf(id));
        }
    }

    private final Map<Integer, List<IpfixEncoder.Field>> templates = new HashMap<>();

    /** Reads messages back to back (an IPFIX file, or one datagram). */
    public List<Message> read(ByteBuffer in) {
        List<Message> out = new ArrayList<>();
        while (in.hasRemaining()) {
            out.add(message(in));
        }
        return out;
    }

    Message message(ByteBuffer in) {
        int start = in.position();
        check(in.remaining() >= 16, "short message header");
        Header h = new Header(in.getShort() & 0xffff, in.getShort() & 0xffff, in.getInt() & 0xffffffffL, in.getInt() & 0xffffffffL,
                in.getInt() & 0xffffffffL);
        check(h.version() == 10, "version " + h.version());
        check(h.length() >= 16 && start + h.length() <= in.limit(), "message length " + h.length());
        int end = start + h.length();
        List<List<IpfixEncoder.Field>> tmpl = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        List<Record> records = new ArrayList<>();
        while (in.position() < end) {
            check(end - in.position() >= 4, "short set header");
            int setStart = in.position();
            int setId = in.getShort() & 0xffff;
            int setLength = in.getShort() & 0xffff;
            check(setLength >= 4 && setStart + setLength <= end, "set length " + setLength);
            int setEnd = setStart + setLength;
            if (setId == 2) {
                while (setEnd - in.position() >= 4) {
                    int id = in.getShort() & 0xffff;
                    int count = in.getShort() & 0xffff;
                    check(id >= 256, "template id " + id);
                    List<IpfixEncoder.Field> fields = new ArrayList<>();
                    for (int i = 0; i < count; i++) {
                        int t = in.getShort() & 0xffff;
                        int len = in.getShort() & 0xffff;
                        long pen = 0;
                        if ((t & 0x8000) != 0) {
                            pen = in.getInt() & 0xffffffffL;
                        }
                        fields.add(new IpfixEncoder.Field(t & 0x7fff, len, pen));
                    }
                    templates.put(id, fields);
                    tmpl.add(fields);
                    ids.add(id);
                }
                check(in.position() == setEnd, "template set padding");
            } else if (setId >= 256) {
                List<IpfixEncoder.Field> fields = templates.get(setId);
                check(fields != null, "data set " + setId + " before its template");
                int size = fields.stream().mapToInt(IpfixEncoder.Field::length).sum();
                while (setEnd - in.position() >= size) {
                    Map<String, Object> values = new HashMap<>();
                    for (IpfixEncoder.Field f : fields) {
                        String name = f.enterprise() == 0 ? String.valueOf(f.id()) : f.enterprise() + "/" + f.id();
                        byte[] b = new byte[f.length()];
                        in.get(b);
                        if (f.id() == 8 || f.id() == 12 || f.id() == 27 || f.id() == 28) {
                            values.put(name, b);
                        } else {
                            long v = 0;
                            for (byte x : b) {
                                v = v << 8 | (x & 0xff);
                            }
                            values.put(name, v);
                        }
                    }
                    records.add(new Record(setId, values));
                }
                check(in.position() == setEnd, "data set of " + setId + ": " + (setEnd - in.position()) + " bytes left over");
            } else {
                throw new IllegalStateException("unexpected set id " + setId);
            }
            in.position(setEnd);
        }
        check(in.position() == end, "message end");
        return new Message(h, tmpl, ids, records);
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("bad IPFIX: " + what);
        }
    }
}
