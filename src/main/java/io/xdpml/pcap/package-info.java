/**
 * Reading and writing capture files: classic pcap (micro- and nanosecond, either byte order) and
 * pcapng, read through a memory-mapped, allocation-free cursor ({@link io.xdpml.pcap.CaptureReader}),
 * turned into Ethernet frames ({@link io.xdpml.pcap.EthernetFramer}) and written back as classic
 * pcap ({@link io.xdpml.pcap.PcapWriter}). See {@code docs/pcap.md}.
 */
package io.xdpml.pcap;
