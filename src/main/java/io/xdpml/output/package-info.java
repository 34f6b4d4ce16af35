/**
 * What xdpml gives the tools operators already run: Prometheus metrics, Suricata EVE JSON (alerts
 * and flows, with Community ID), IPFIX flow export. Each output is a section of the agent's
 * {@code outputs} and a flag of {@code xdpml run}; the offline commands ({@code flows},
 * {@code detect}) write the same formats.
 */
package io.xdpml.output;
