// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * xdp_redirect: L2 forwarding through a DEVMAP.
 *
 * Swaps the Ethernet addresses and redirects the frame with
 * bpf_redirect_map to the device stored in tx_ports under the ingress
 * ifindex; when that slot is empty, the fallback action in the flags makes
 * the packet pass. Forwarding can be switched off by user space through the
 * mutable global forward_enabled (.data); the number of packets seen is a
 * global counter in .bss. Verdicts are counted per CPU in a PERCPU_ARRAY.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32); /* egress ifindex */
} tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDP_REDIRECT + 1);
	__type(key, __u32);
	__type(value, __u64);
} verdict_stats SEC(".maps");

__u32 forward_enabled = 1; /* .data */
__u64 packets_seen;        /* .bss */

static __always_inline int count(int verdict)
{
	__u32 key = verdict;
	__u64 *n = bpf_map_lookup_elem(&verdict_stats, &key);

	if (n)
		*n += 1;
	return verdict;
}

SEC("xdp")
int xdp_redirect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u8 tmp[ETH_ALEN];
	long verdict;

	__sync_fetch_and_add(&packets_seen, 1);
	if ((void *)(eth + 1) > data_end)
		return count(XDP_DROP);
	if (!forward_enabled)
		return count(XDP_PASS);

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);

	verdict = bpf_redirect_map(&tx_ports, ctx->ingress_ifindex % 64, XDP_PASS);
	return count(verdict);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
