/**
 * The kernel binding: libbpf 1.1.2 and libc through the FFM API only ({@link io.xdpml.kernel.Native}
 * holds every downcall and the one upcall).
 *
 * <p>Facts measured with this binding (kernel 6.18, x86-64, libbpf 1.1.2):
 * <ul>
 *   <li>libbpf 1.1.2 does not remap {@code .bss/.data/.rodata} onto the kernel maps after
 *       {@code bpf_object__load} (only {@code bpf_object__load_skeleton} does), so
 *       {@code bpf_map__initial_value} keeps pointing at a private copy; {@link
 *       io.xdpml.kernel.BpfObject#load()} does the skeleton's MAP_FIXED remap itself.</li>
 *   <li>BPF_PROG_TEST_RUN on XDP: frames of 14..3520 bytes are seen whole; shorter than 14 is
 *       EINVAL; longer frames are accepted even by non-frags programs, which then see only the
 *       first 3520 bytes (the rest goes to fragments), while data out returns the whole frame.</li>
 *   <li>Live frames ({@code BPF_F_TEST_XDP_LIVE_FRAMES}) + XDP_TX with ingress = one veth end
 *       deliver every frame to the peer when the peer has an XDP program; the reported return
 *       code is 0.</li>
 *   <li>Kernel 6.18.44-fc-v1300 refuses live-frame test runs with EPERM (as root; plain test runs
 *       work): {@link io.xdpml.kernel.TestRun} then sends live frames through an AF_PACKET socket
 *       on the ingress interface ({@link io.xdpml.kernel.PacketSocketTx}, sendmmsg with
 *       {@code PACKET_QDISC_BYPASS}), said once per process on standard error.</li>
 *   <li>Native XDP works on veth; on {@code lo} native attach fails with EOPNOTSUPP (95) and
 *       {@link io.xdpml.kernel.XdpMode#AUTO} falls back to generic.</li>
 *   <li>The shutdown hook detaches attachments on SIGTERM, including ones inside a namespace
 *       (it runs the detach on the namespace's thread).</li>
 * </ul>
 */
package io.xdpml.kernel;
