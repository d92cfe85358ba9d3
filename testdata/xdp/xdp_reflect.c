// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * xdp_reflect: send every frame back where it came from.
 *
 * Swaps the Ethernet source and destination addresses and returns XDP_TX.
 * For IPv4/UDP it also swaps the IP addresses and the ports (both checksums
 * stay valid: the one's complement sum does not depend on the order of the
 * words). An IPv4 ICMP echo request becomes an echo reply, with the ICMP
 * checksum updated incrementally (RFC 1624). Runts, frames shorter than the
 * Ethernet minimum of 60 bytes (without FCS), are dropped.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* linux/icmp.h drags in libc's sys/socket.h, so declare what is needed here. */
#define ICMP_ECHOREPLY 0
#define ICMP_ECHO 8

struct icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 id;
	__be16 sequence;
};

static __always_inline void swap_mac(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

static __always_inline void swap_ip(struct iphdr *ip)
{
	__be32 tmp = ip->saddr;

	ip->saddr = ip->daddr;
	ip->daddr = tmp;
}

/* csum_replace2 updates checksum *sum for a 16-bit word changing from old to new. */
static __always_inline void csum_replace2(__sum16 *sum, __be16 old, __be16 new)
{
	__u32 csum = (__u16)~*sum;

	csum += (__u16)~old;
	csum += new;
	csum = (csum & 0xffff) + (csum >> 16);
	csum = (csum & 0xffff) + (csum >> 16);
	*sum = ~csum;
}

SEC("xdp")
int xdp_reflect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;

	if (data + ETH_ZLEN > data_end)
		return XDP_DROP;

	swap_mac(eth);
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_TX;

	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->ihl != 5)
		return XDP_TX;

	if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)(ip + 1);
		__be16 port;

		if ((void *)(udp + 1) > data_end)
			return XDP_TX;
		swap_ip(ip);
		port = udp->source;
		udp->source = udp->dest;
		udp->dest = port;
	} else if (ip->protocol == IPPROTO_ICMP) {
		struct icmphdr *icmp = (void *)(ip + 1);
		__be16 old;

		if ((void *)(icmp + 1) > data_end || icmp->type != ICMP_ECHO)
			return XDP_TX;
		swap_ip(ip);
		old = *(__be16 *)icmp;
		icmp->type = ICMP_ECHOREPLY;
		csum_replace2(&icmp->checksum, old, *(__be16 *)icmp);
	}
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
