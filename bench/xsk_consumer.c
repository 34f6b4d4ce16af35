// SPDX-License-Identifier: Apache-2.0
/*
 * The C baseline of `xdpml bench xsk`: a minimal AF_XDP consumer over raw syscalls (no libxdp),
 * set up exactly like io.xdpml.xsk.XskSocket (4096-byte frames, 2048-entry FILL and RX rings, a
 * 64-entry COMPLETION ring, copy mode, need_wakeup) and draining the RX ring the same way: up to
 * BATCH descriptors per round, a trivial callback per frame (its length plus its first byte into a
 * sum), the frames straight back to the FILL ring, busy polling on its own CPU.
 *
 *   xsk_consumer NETNS IFNAME QUEUE PINNED_XSKMAP CPU BATCH [drain] [thp]
 *
 * Puts its socket into the pinned XSKMAP at QUEUE, prints "ready", and runs until SIGTERM; then
 * prints "received N sum S rx_dropped D rx_ring_full F" and exits. It enters the network
 * namespace NETNS (a path like /var/run/netns/NAME) itself: `ip netns exec` would remount /sys
 * and hide the bpffs where the map is pinned.
 *
 * With "drain" it consumes nothing until told: each stdin line "d N" waits until N frames are
 * in the RX ring, then drains them and prints "drained N ns T first F frames K" (the time of the
 * drain alone, and of its first round, which handled K frames).
 * With "thp" the UMEM is on transparent huge pages, as XskConfig.withHugePages(true) gives Java
 * where no huge pages are reserved.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#define FRAME_SIZE 4096u
#define NUM_FRAMES 2048u
#define RING_SIZE 2048u
#define COMP_SIZE 64u

struct ring {
	uint32_t *producer;
	uint32_t *consumer;
	uint32_t *flags;
	void *desc;
	uint32_t mask;
};

static volatile sig_atomic_t stop;
static struct ring fill, comp, rx;
static struct xdp_desc *descs;
static uint64_t *fill_addrs;
static uint8_t *umem;
static uint32_t cons, fill_prod;
static uint64_t sum;

/*
 * One receive round, as XskSocket.receive: up to batch frames from the RX ring through the
 * callback and back to the FILL ring; with none ready, the fill-ring wakeup when asked for.
 */
static uint32_t drain_round(int fd, uint32_t batch)
{
	uint32_t ready = __atomic_load_n(rx.producer, __ATOMIC_ACQUIRE) - cons;
	if (ready == 0) {
		if (__atomic_load_n(fill.flags, __ATOMIC_ACQUIRE) & XDP_RING_NEED_WAKEUP)
			recvfrom(fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		return 0;
	}
	if (ready > batch)
		ready = batch;
	for (uint32_t i = 0; i < ready; i++) {
		const struct xdp_desc *d = &descs[(cons + i) & rx.mask];
		sum += d->len + umem[d->addr]; /* the trivial callback */
		fill_addrs[(fill_prod + i) & fill.mask] = d->addr & ~(uint64_t)(FRAME_SIZE - 1);
	}
	cons += ready;
	fill_prod += ready;
	__atomic_store_n(rx.consumer, cons, __ATOMIC_RELEASE);
	__atomic_store_n(fill.producer, fill_prod, __ATOMIC_RELEASE);
	return ready;
}

static void on_term(int sig) { (void)sig; stop = 1; }

static void die(const char *what)
{
	fprintf(stderr, "xsk_consumer: %s: %s (errno %d)\n", what, strerror(errno), errno);
	exit(1);
}

static void map_ring(int fd, struct ring *r, const struct xdp_ring_offset *off, uint32_t size, size_t entry,
		     off_t pgoff, const char *what)
{
	size_t len = off->desc + size * entry;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, pgoff);
	if (p == MAP_FAILED)
		die(what);
	r->producer = (uint32_t *)(p + off->producer);
	r->consumer = (uint32_t *)(p + off->consumer);
	r->flags = (uint32_t *)(p + off->flags);
	r->desc = p + off->desc;
	r->mask = size - 1;
}

static void setopt(int fd, int name, const void *v, socklen_t len, const char *what)
{
	if (setsockopt(fd, SOL_XDP, name, v, len))
		die(what);
}

int main(int argc, char **argv)
{
	int drain_mode = 0, thp = 0;
	for (int i = 7; i < argc; i++) {
		if (!strcmp(argv[i], "drain"))
			drain_mode = 1;
		else if (!strcmp(argv[i], "thp"))
			thp = 1;
		else
			argc = 0;
	}
	if (argc < 7) {
		fprintf(stderr, "usage: xsk_consumer NETNS IFNAME QUEUE PINNED_XSKMAP CPU BATCH [drain] [thp]\n");
		return 2;
	}
	/* Dies with the process that started it. A bench stopped by SIGTERM runs the JVM's shutdown
	 * hooks, not the finally block that kills this consumer, which would then busy-poll a socket
	 * of a deleted namespace forever (found on 2026-12-06: a CPU taken for the rest of a CI run).
	 * The signal comes when the starting thread ends: Java's, which waits for this process. */
	pid_t parent = getppid();
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent || parent == 1)
		die("PR_SET_PDEATHSIG (or the starter is gone already)");
	int nsfd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET))
		die("entering the network namespace");
	close(nsfd);
	unsigned ifindex = if_nametoindex(argv[2]);
	if (!ifindex)
		die("if_nametoindex");
	uint32_t queue = (uint32_t)atoi(argv[3]);
	const char *pin = argv[4];
	int cpu = atoi(argv[5]);
	uint32_t batch = (uint32_t)atoi(argv[6]);

	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("sched_setaffinity");
	}
	signal(SIGTERM, on_term);

	if (thp) {
		/* as io.xdpml.xsk.Umem does without reserved huge pages: a 2 MiB-aligned area,
		 * MADV_HUGEPAGE, faulted in afterwards */
		size_t len = (size_t)FRAME_SIZE * NUM_FRAMES, huge = 2u << 20;
		uint8_t *p = mmap(NULL, len + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap(umem)");
		umem = (uint8_t *)(((uintptr_t)p + huge - 1) & ~(uintptr_t)(huge - 1));
		if (madvise(umem, len, MADV_HUGEPAGE))
			die("madvise(MADV_HUGEPAGE)");
		memset(umem, 0, len);
	} else {
		umem = mmap(NULL, (size_t)FRAME_SIZE * NUM_FRAMES, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (umem == MAP_FAILED)
			die("mmap(umem)");
	}
	int fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket(AF_XDP)");
	struct xdp_umem_reg reg;
	memset(&reg, 0, sizeof(reg));
	reg.addr = (uint64_t)(uintptr_t)umem;
	reg.len = (uint64_t)FRAME_SIZE * NUM_FRAMES;
	reg.chunk_size = FRAME_SIZE;
	setopt(fd, XDP_UMEM_REG, &reg, sizeof(reg), "XDP_UMEM_REG");
	uint32_t n = RING_SIZE, c = COMP_SIZE;
	setopt(fd, XDP_UMEM_FILL_RING, &n, sizeof(n), "XDP_UMEM_FILL_RING");
	setopt(fd, XDP_UMEM_COMPLETION_RING, &c, sizeof(c), "XDP_UMEM_COMPLETION_RING");
	setopt(fd, XDP_RX_RING, &n, sizeof(n), "XDP_RX_RING");
	struct xdp_mmap_offsets off;
	socklen_t olen = sizeof(off);
	if (getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &olen))
		die("XDP_MMAP_OFFSETS");
	map_ring(fd, &fill, &off.fr, RING_SIZE, sizeof(uint64_t), XDP_UMEM_PGOFF_FILL_RING, "mmap(fill)");
	map_ring(fd, &comp, &off.cr, COMP_SIZE, sizeof(uint64_t), XDP_UMEM_PGOFF_COMPLETION_RING, "mmap(completion)");
	map_ring(fd, &rx, &off.rx, RING_SIZE, sizeof(struct xdp_desc), XDP_PGOFF_RX_RING, "mmap(rx)");

	fill_addrs = fill.desc;
	for (uint32_t i = 0; i < NUM_FRAMES; i++)
		fill_addrs[i] = (uint64_t)i * FRAME_SIZE;
	fill_prod = NUM_FRAMES;
	__atomic_store_n(fill.producer, fill_prod, __ATOMIC_RELEASE);

	struct sockaddr_xdp sxdp;
	memset(&sxdp, 0, sizeof(sxdp));
	sxdp.sxdp_family = AF_XDP;
	sxdp.sxdp_flags = XDP_COPY | XDP_USE_NEED_WAKEUP;
	sxdp.sxdp_ifindex = ifindex;
	sxdp.sxdp_queue_id = queue;
	/* a socket closed on this queue just before frees it in deferred kernel work: retry EBUSY */
	int rc, tries = 0;
	while ((rc = bind(fd, (struct sockaddr *)&sxdp, sizeof(sxdp))) && errno == EBUSY && tries++ < 100)
		usleep(10000);
	if (rc)
		die("bind(AF_XDP)");

	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.pathname = (uint64_t)(uintptr_t)pin;
	int map = (int)syscall(__NR_bpf, BPF_OBJ_GET, &attr, sizeof(attr));
	if (map < 0)
		die("BPF_OBJ_GET");
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map;
	attr.key = (uint64_t)(uintptr_t)&queue;
	attr.value = (uint64_t)(uintptr_t)&fd;
	attr.flags = BPF_ANY;
	if (syscall(__NR_bpf, BPF_MAP_UPDATE_ELEM, &attr, sizeof(attr)))
		die("BPF_MAP_UPDATE_ELEM");
	printf("ready\n");
	fflush(stdout);

	descs = rx.desc;
	cons = *rx.consumer;
	if (drain_mode) {
		/* "d N": drain N frames already in the RX ring, timed; "q": quit */
		char line[64];
		while (fgets(line, sizeof(line), stdin) && line[0] == 'd') {
			uint64_t want = strtoull(line + 2, NULL, 10), got = 0;
			struct timespec t0, t1;
			/* XDP counted them redirected; the copies land in the ring a little later */
			while (__atomic_load_n(rx.producer, __ATOMIC_ACQUIRE) - cons < want)
				;
			struct timespec tf;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			uint64_t first_frames = got = drain_round(fd, batch);
			clock_gettime(CLOCK_MONOTONIC, &tf);
			while (got < want)
				got += drain_round(fd, batch);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
			long long first = (tf.tv_sec - t0.tv_sec) * 1000000000LL + (tf.tv_nsec - t0.tv_nsec);
			printf("drained %llu ns %lld first %lld frames %llu sum %llu\n", (unsigned long long)got, ns, first,
			       (unsigned long long)first_frames, (unsigned long long)sum);
			fflush(stdout);
		}
		close(fd);
		return 0;
	}
	uint64_t received = 0;
	while (!stop)
		received += drain_round(fd, batch);
	struct xdp_statistics st;
	socklen_t slen = sizeof(st);
	memset(&st, 0, sizeof(st));
	getsockopt(fd, SOL_XDP, XDP_STATISTICS, &st, &slen);
	printf("received %llu sum %llu rx_dropped %llu rx_ring_full %llu\n", (unsigned long long)received,
	       (unsigned long long)sum, (unsigned long long)st.rx_dropped, (unsigned long long)st.rx_ring_full);
	fflush(stdout);
	close(fd);
	return 0;
}
