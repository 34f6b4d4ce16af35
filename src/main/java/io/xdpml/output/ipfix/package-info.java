/**
 * IPFIX flow export (RFC 7011): {@link io.xdpml.output.ipfix.IpfixEncoder} builds the messages
 * (one bidirectional record per flow, RFC 5103 reverse counters), {@link
 * io.xdpml.output.ipfix.IpfixExporter} is the {@link io.xdpml.flow.FlowSink} that sends them over
 * UDP to a collector and/or writes an IPFIX file (RFC 5655). docs/ipfix.md.
 */
package io.xdpml.output.ipfix;
