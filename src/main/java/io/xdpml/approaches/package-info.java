/**
 * The paper's experiment (Hara and Sasabe, Computer Networks 2024) reproduced: the same quantized
 * model classifying the same traffic in XDP, in Java behind AF_XDP and in Java behind an AF_PACKET
 * ring, on 1 and 2 cores ({@code xdpml bench approaches}, docs/approaches.md).
 */
package io.xdpml.approaches;
