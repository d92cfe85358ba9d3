// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * xdp_firewall: 5-tuple IPv4 firewall.
 *
 * Looks the packet's IPv4 5-tuple up in the fw_rules HASH map, first exactly
 * and then with both ports wildcarded (zero). A matching rule counts the hit
 * and decides: FW_DROP drops, FW_ALLOW passes. Packets without a rule get the
 * default verdict from the read-only configuration in .rodata (set by the
 * loader before loading; the compiled-in default passes). With cfg_debug set,
 * drops are logged with bpf_trace_printk; the format string literal lands in
 * the symbol-less section .rodata.str1.1.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum fw_action {
	FW_ALLOW = 0,
	FW_DROP = 1,
};

struct fw_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct fw_rule {
	__u32 action; /* enum fw_action */
	__u32 pad;
	__u64 hits;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct fw_key);
	__type(value, struct fw_rule);
} fw_rules SEC(".maps");

/* Configuration, frozen at load time. */
const volatile __u32 cfg_default_action = FW_ALLOW;
const volatile __u8 cfg_debug = 0;

#define LOG_DROP "fw: drop %x -> %x proto %d\n"

static __always_inline int verdict(__u32 action)
{
	return action == FW_DROP ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct fw_key key = {};
	struct fw_rule *rule;
	struct iphdr *ip;
	void *l4;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->ihl < 5)
		return XDP_DROP;
	l4 = (void *)ip + ip->ihl * 4;

	key.saddr = ip->saddr;
	key.daddr = ip->daddr;
	key.proto = ip->protocol;
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;

		if ((void *)(tcp + 1) > data_end)
			return XDP_DROP;
		key.sport = tcp->source;
		key.dport = tcp->dest;
	} else if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = l4;

		if ((void *)(udp + 1) > data_end)
			return XDP_DROP;
		key.sport = udp->source;
		key.dport = udp->dest;
	}

	rule = bpf_map_lookup_elem(&fw_rules, &key);
	if (!rule) {
		key.sport = 0;
		key.dport = 0;
		rule = bpf_map_lookup_elem(&fw_rules, &key);
	}
	if (!rule)
		return verdict(cfg_default_action);

	__sync_fetch_and_add(&rule->hits, 1);
	if (rule->action == FW_DROP && cfg_debug)
		bpf_trace_printk(LOG_DROP, sizeof(LOG_DROP), bpf_ntohl(key.saddr),
				 bpf_ntohl(key.daddr), key.proto);
	return verdict(rule->action);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
