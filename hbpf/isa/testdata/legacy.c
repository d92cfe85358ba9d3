// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * A legacy map definition (struct bpf_map_def in the "maps" section, as
 * before BTF-defined maps) and a program in a custom "xdp/" subsection.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* libbpf 1.0 dropped this struct from its headers. */
struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") legacy_counts = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 2,
};

SEC("xdp/legacy")
int xdp_legacy(struct xdp_md *ctx)
{
	__u32 key = ctx->rx_queue_index & 1;
	__u64 *n = bpf_map_lookup_elem(&legacy_counts, &key);

	if (n)
		__sync_fetch_and_add(n, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
