// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * xdp_count: per-protocol packet and byte counters.
 *
 * Parses Ethernet (with at most one 802.1Q/802.1ad VLAN tag), IPv4 and IPv6,
 * and TCP, UDP, ICMP and ICMPv6 on top of them. Every packet bumps the
 * counter of each layer it was recognised at in the proto_stats ARRAY map.
 * The verdict is always XDP_PASS.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* struct vlan_hdr is kernel-internal (linux/if_vlan.h), not UAPI. */
struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

enum stat_index {
	STAT_ALL = 0,
	STAT_RUNT,   /* shorter than an Ethernet header */
	STAT_VLAN,
	STAT_IPV4,
	STAT_IPV6,
	STAT_TCP,
	STAT_UDP,
	STAT_ICMP,
	STAT_ICMPV6,
	STAT_OTHER_L3,
	STAT_OTHER_L4,
	STAT_MAX,
};

struct counter {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, struct counter);
} proto_stats SEC(".maps");

static __always_inline void count(__u32 index, __u64 bytes)
{
	struct counter *c = bpf_map_lookup_elem(&proto_stats, &index);

	if (!c)
		return;
	__sync_fetch_and_add(&c->packets, 1);
	__sync_fetch_and_add(&c->bytes, bytes);
}

static __always_inline void count_l4(__u8 proto, void *l4, void *data_end, __u64 len)
{
	switch (proto) {
	case IPPROTO_TCP:
		/* Only count transport headers that are complete. */
		if (l4 + 20 <= data_end)
			count(STAT_TCP, len);
		return;
	case IPPROTO_UDP:
		if (l4 + 8 <= data_end)
			count(STAT_UDP, len);
		return;
	case IPPROTO_ICMP:
		if (l4 + 4 <= data_end)
			count(STAT_ICMP, len);
		return;
	case IPPROTO_ICMPV6:
		if (l4 + 4 <= data_end)
			count(STAT_ICMPV6, len);
		return;
	}
	count(STAT_OTHER_L4, len);
}

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 len = data_end - data;
	struct ethhdr *eth = data;
	void *l3 = eth + 1;
	__u16 proto;

	count(STAT_ALL, len);
	if (l3 > data_end) {
		count(STAT_RUNT, len);
		return XDP_PASS;
	}
	proto = eth->h_proto;

	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vh = l3;

		if ((void *)(vh + 1) > data_end) {
			count(STAT_RUNT, len);
			return XDP_PASS;
		}
		count(STAT_VLAN, len);
		proto = vh->h_vlan_encapsulated_proto;
		l3 = vh + 1;
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;

		if ((void *)(ip + 1) > data_end || ip->ihl < 5) {
			count(STAT_OTHER_L3, len);
			return XDP_PASS;
		}
		count(STAT_IPV4, len);
		/* Later fragments carry no transport header. */
		if (ip->frag_off & bpf_htons(0x1fff))
			return XDP_PASS;
		count_l4(ip->protocol, l3 + ip->ihl * 4, data_end, len);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end) {
			count(STAT_OTHER_L3, len);
			return XDP_PASS;
		}
		count(STAT_IPV6, len);
		count_l4(ip6->nexthdr, ip6 + 1, data_end, len);
	} else {
		count(STAT_OTHER_L3, len);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
