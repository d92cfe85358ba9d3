// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * Every BPF atomic operation on a map value, 64- and 32-bit: add, and, or,
 * xor with and without fetch, xchg and cmpxchg. The loader must carry each
 * one's immediate through cilium/ebpf's encoder unchanged.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct vals {
	__u64 a64, b64, c64, d64, x64, y64;
	__u32 a32, b32, c32, d32, x32, y32;
	__u64 fetched;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vals);
} vals SEC(".maps");

SEC("xdp")
int xdp_atomics(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct vals *v = bpf_map_lookup_elem(&vals, &zero);
	__u64 n = ctx->rx_queue_index + 1;
	__u64 f = 0;

	if (!v)
		return XDP_ABORTED;

	__sync_fetch_and_add(&v->a64, n);
	__sync_fetch_and_and(&v->b64, n);
	__sync_fetch_and_or(&v->c64, n);
	__sync_fetch_and_xor(&v->d64, n);
	__sync_fetch_and_add(&v->a32, (__u32)n);
	__sync_fetch_and_and(&v->b32, (__u32)n);
	__sync_fetch_and_or(&v->c32, (__u32)n);
	__sync_fetch_and_xor(&v->d32, (__u32)n);

	f += __sync_fetch_and_add(&v->a64, n);
	f += __sync_fetch_and_and(&v->b64, n);
	f += __sync_fetch_and_or(&v->c64, n);
	f += __sync_fetch_and_xor(&v->d64, n);
	f += __sync_fetch_and_add(&v->a32, (__u32)n);
	f += __sync_fetch_and_and(&v->b32, (__u32)n);
	f += __sync_fetch_and_or(&v->c32, (__u32)n);
	f += __sync_fetch_and_xor(&v->d32, (__u32)n);

	f += __sync_lock_test_and_set(&v->x64, n);
	f += __sync_lock_test_and_set(&v->x32, (__u32)n);
	f += __sync_val_compare_and_swap(&v->y64, 0, n);
	f += __sync_val_compare_and_swap(&v->y32, 0, (__u32)n);

	v->fetched = f;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
