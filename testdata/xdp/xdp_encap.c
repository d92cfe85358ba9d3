// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * xdp_encap: IPv4-in-IPv4 (IPIP, RFC 2003) encapsulation.
 *
 * Grows the packet headroom by one IPv4 header with bpf_xdp_adjust_head,
 * moves the Ethernet header to the new front and writes an outer IPv4 header
 * from the tunnel endpoints in .rodata. The outer header checksum is computed
 * with bpf_csum_diff. The frame is sent to the configured gateway MAC with
 * XDP_TX. Non-IPv4 and already encapsulated packets pass untouched; packets
 * that would exceed 64 KiB are dropped.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define IP_DF 0x4000

/* Tunnel configuration, frozen at load time. */
const volatile __be32 cfg_tunnel_src = bpf_htonl(0xc0000201); /* 192.0.2.1 */
const volatile __be32 cfg_tunnel_dst = bpf_htonl(0xc6336401); /* 198.51.100.1 */
const volatile __u8 cfg_gateway_mac[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

SEC("xdp")
int xdp_encap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *inner = (void *)(eth + 1);
	struct iphdr *outer;
	unsigned char our_mac[ETH_ALEN];
	__u16 inner_len;
	__u8 tos;
	__s64 sum;
	int i;

	if ((void *)(inner + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || inner->protocol == IPPROTO_IPIP)
		return XDP_PASS;

	inner_len = bpf_ntohs(inner->tot_len);
	if (inner_len > 0xffff - sizeof(struct iphdr))
		return XDP_DROP;
	tos = inner->tos;
	__builtin_memcpy(our_mac, eth->h_dest, ETH_ALEN);

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_DROP;

	/* adjust_head invalidates all packet pointers. */
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	outer = (void *)(eth + 1);
	if ((void *)(outer + 1) > data_end)
		return XDP_DROP;

	__builtin_memcpy(eth->h_source, our_mac, ETH_ALEN);
#pragma unroll
	for (i = 0; i < ETH_ALEN; i++)
		eth->h_dest[i] = cfg_gateway_mac[i];
	eth->h_proto = bpf_htons(ETH_P_IP);

	outer->version = 4;
	outer->ihl = sizeof(*outer) / 4;
	outer->tos = tos;
	outer->tot_len = bpf_htons(inner_len + sizeof(*outer));
	outer->id = 0;
	outer->frag_off = bpf_htons(IP_DF);
	outer->ttl = 64;
	outer->protocol = IPPROTO_IPIP;
	outer->check = 0;
	outer->saddr = cfg_tunnel_src;
	outer->daddr = cfg_tunnel_dst;

	sum = bpf_csum_diff(NULL, 0, (__be32 *)outer, sizeof(*outer), 0);
	if (sum < 0)
		return XDP_ABORTED;
	outer->check = csum_fold(sum);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
