// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * xdp_calls: an IPv4 router's header checks, split into bpf-to-bpf calls.
 *
 * parse_ipv4 (static, not inlined) copies the IPv4 header to the stack;
 * csum_words (static, not inlined) computes the header checksum with a
 * bounded loop; account (a global function, verified on its own) counts the
 * verdict in an ARRAY map and returns it. A header with a bad checksum or an
 * expiring TTL is dropped; otherwise the TTL is decremented, the checksum is
 * recomputed in a bpf_loop callback (a function pointer, BPF_PSEUDO_FUNC) and
 * the packet passes.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define IPV4_WORDS (sizeof(struct iphdr) / 2)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDP_REDIRECT + 1);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

struct csum_loop {
	__u16 words[IPV4_WORDS];
	__u32 sum;
};

/* parse_ipv4 copies the IPv4 header of the packet to *ip and returns its
 * offset in the packet, or -1 if the packet is not an option-less IPv4 one. */
static __noinline int parse_ipv4(struct xdp_md *ctx, struct iphdr *ip)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *hdr = (void *)(eth + 1);

	if ((void *)(hdr + 1) > data_end)
		return -1;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || hdr->version != 4 || hdr->ihl != 5)
		return -1;
	__builtin_memcpy(ip, hdr, sizeof(*ip));
	return sizeof(*eth);
}

/* csum_words returns the one's complement of the one's complement sum of
 * n 16-bit words; 0 means a header with a valid checksum. */
static __noinline __u16 csum_words(const __u16 *w, int n)
{
	__u32 sum = 0;
	int i;

	for (i = 0; i < IPV4_WORDS; i++) {
		if (i >= n)
			break;
		sum += w[i];
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static int csum_step(__u32 i, void *arg)
{
	struct csum_loop *c = arg;

	if (i >= IPV4_WORDS)
		return 1;
	c->sum += c->words[i];
	return 0;
}

/* account counts the verdict and returns it. */
__noinline int account(__u32 action)
{
	__u64 *n = bpf_map_lookup_elem(&verdicts, &action);

	if (n)
		__sync_fetch_and_add(n, 1);
	return action;
}

SEC("xdp")
int xdp_calls(struct xdp_md *ctx)
{
	struct csum_loop loop = {};
	struct iphdr ip;
	struct iphdr *pkt;
	void *data_end;
	int off;

	off = parse_ipv4(ctx, &ip);
	if (off < 0)
		return account(XDP_PASS);
	if (csum_words((__u16 *)&ip, IPV4_WORDS) != 0)
		return account(XDP_DROP);
	if (ip.ttl <= 1)
		return account(XDP_DROP);

	ip.ttl--;
	ip.check = 0;
	__builtin_memcpy(loop.words, &ip, sizeof(ip));
	bpf_loop(IPV4_WORDS, csum_step, &loop, 0);
	loop.sum = (loop.sum & 0xffff) + (loop.sum >> 16);
	loop.sum = (loop.sum & 0xffff) + (loop.sum >> 16);

	pkt = (void *)(long)ctx->data + sizeof(struct ethhdr);
	data_end = (void *)(long)ctx->data_end;
	if ((void *)(pkt + 1) > data_end)
		return account(XDP_ABORTED);
	pkt->ttl = ip.ttl;
	pkt->check = ~loop.sum;
	return account(XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
