/**
 * Java twins of the XDP stages that are composed into one program (parse, blocks, firewall, flows,
 * model, sampling, delivery), each held equal to its kernel stage by a parity test on the same
 * packets: {@link io.xdpml.dataplane.JavaBlocks} (the blocks stage of mitigation.h).
 */
package io.xdpml.dataplane;
