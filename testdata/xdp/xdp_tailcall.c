// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * xdp_tailcall: a protocol dispatcher built on tail calls.
 *
 * xdp_dispatch classifies IPv4 packets by protocol and tail-calls the
 * matching program through the jmp_table PROG_ARRAY: slot 0 xdp_tcp, slot 1
 * xdp_udp, slot 2 xdp_icmp, slot 3 left empty. The table is filled statically
 * in the ELF (the libbpf `.values = { [i] = &prog }` syntax in a BTF map
 * definition); loaders that understand it, libbpf and cilium/ebpf, populate
 * the array right after creating it. A missing slot makes the tail call fall
 * through and the packet passes. Every program counts what it saw in the
 * tail_stats PERCPU_ARRAY. xdp_tcp drops telnet (TCP port 23).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum slot {
	SLOT_TCP = 0,
	SLOT_UDP = 1,
	SLOT_ICMP = 2,
	SLOT_SPARE = 3, /* left empty */
	SLOT_MAX,
};

enum stat {
	STAT_DISPATCHED = 0,
	STAT_FALLTHROUGH,
	STAT_TCP,
	STAT_TELNET_DROPPED,
	STAT_UDP,
	STAT_ICMP,
	STAT_MAX,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} tail_stats SEC(".maps");

static __always_inline void bump(__u32 stat)
{
	__u64 *n = bpf_map_lookup_elem(&tail_stats, &stat);

	if (n)
		*n += 1; /* per-CPU: no atomics needed */
}

/* l4 returns the transport header of an IPv4 packet with room for len bytes. */
static __always_inline void *l4(struct xdp_md *ctx, __u32 len)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	void *hdr;

	if ((void *)(ip + 1) > data_end || ip->ihl < 5)
		return NULL;
	hdr = (void *)ip + ip->ihl * 4;
	if (hdr + len > data_end)
		return NULL;
	return hdr;
}

SEC("xdp")
int xdp_tcp(struct xdp_md *ctx)
{
	struct tcphdr *tcp = l4(ctx, sizeof(*tcp));

	bump(STAT_TCP);
	if (tcp && tcp->dest == bpf_htons(23)) {
		bump(STAT_TELNET_DROPPED);
		return XDP_DROP;
	}
	return XDP_PASS;
}

SEC("xdp")
int xdp_udp(struct xdp_md *ctx)
{
	bump(STAT_UDP);
	return XDP_PASS;
}

SEC("xdp")
int xdp_icmp(struct xdp_md *ctx)
{
	bump(STAT_ICMP);
	return XDP_PASS;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SLOT_MAX);
	__uint(key_size, sizeof(__u32));
	__array(values, int(struct xdp_md *));
} jmp_table SEC(".maps") = {
	.values = {
		[SLOT_TCP] = &xdp_tcp,
		[SLOT_UDP] = &xdp_udp,
		[SLOT_ICMP] = &xdp_icmp,
	},
};

SEC("xdp")
int xdp_dispatch(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u32 slot;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	switch (ip->protocol) {
	case IPPROTO_TCP:
		slot = SLOT_TCP;
		break;
	case IPPROTO_UDP:
		slot = SLOT_UDP;
		break;
	case IPPROTO_ICMP:
		slot = SLOT_ICMP;
		break;
	default:
		slot = SLOT_SPARE;
		break;
	}
	bump(STAT_DISPATCHED);
	bpf_tail_call(ctx, &jmp_table, slot);
	bump(STAT_FALLTHROUGH);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
