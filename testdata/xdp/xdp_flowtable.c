// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * xdp_flowtable: per-flow accounting in an LRU hash.
 *
 * Every IPv4 TCP/UDP/ICMP packet is attributed to its 5-tuple flow in the
 * flows LRU_HASH map: packet and byte counters, and the bpf_ktime_get_ns
 * timestamps of the first and the last packet. A new flow is inserted with
 * BPF_NOEXIST (an existing entry is left alone), then looked up and updated.
 * Non-IPv4 traffic is counted in the not_ip ARRAY. The verdict is XDP_PASS.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct flow_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct flow_stats {
	__u64 packets;
	__u64 bytes;
	__u64 first_seen; /* ns, CLOCK_MONOTONIC */
	__u64 last_seen;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct flow_key);
	__type(value, struct flow_stats);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} not_ip SEC(".maps");

static __always_inline int parse_flow(void *data, void *data_end, struct flow_key *key)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	void *l4;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return -1;
	if (ip->ihl < 5)
		return -1;
	l4 = (void *)ip + ip->ihl * 4;

	key->saddr = ip->saddr;
	key->daddr = ip->daddr;
	key->proto = ip->protocol;
	switch (ip->protocol) {
	case IPPROTO_TCP: {
		struct tcphdr *tcp = l4;

		if ((void *)(tcp + 1) > data_end)
			return -1;
		key->sport = tcp->source;
		key->dport = tcp->dest;
		return 0;
	}
	case IPPROTO_UDP: {
		struct udphdr *udp = l4;

		if ((void *)(udp + 1) > data_end)
			return -1;
		key->sport = udp->source;
		key->dport = udp->dest;
		return 0;
	}
	case IPPROTO_ICMP:
		return 0;
	}
	return -1;
}

SEC("xdp")
int xdp_flowtable(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct flow_key key = {};
	struct flow_stats *st;
	__u64 now;

	if (parse_flow(data, data_end, &key) < 0) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&not_ip, &zero);

		if (n)
			__sync_fetch_and_add(n, 1);
		return XDP_PASS;
	}

	now = bpf_ktime_get_ns();
	struct flow_stats init = {
		.first_seen = now,
		.last_seen = now,
	};
	/* Fails with -EEXIST for a known flow, which is fine. */
	bpf_map_update_elem(&flows, &key, &init, BPF_NOEXIST);

	st = bpf_map_lookup_elem(&flows, &key);
	if (!st)
		return XDP_PASS; /* evicted in between */
	__sync_fetch_and_add(&st->packets, 1);
	__sync_fetch_and_add(&st->bytes, data_end - data);
	st->last_seen = now;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
