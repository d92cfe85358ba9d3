// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * xdp_sample: packet sampling to user space through a ring buffer.
 *
 * Every Nth packet (N from the inner map of the rate_config ARRAY_OF_MAPS if
 * set, else the .rodata default) is sampled: its length, ingress ifindex, the
 * kernel timestamp and up to 64 bytes of its head (read with
 * bpf_xdp_load_bytes) are sent with bpf_ringbuf_output to the samples
 * RINGBUF. Counters are .bss globals. The verdict is always XDP_PASS.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define SAMPLE_BYTES 64

struct sample {
	__u64 timestamp;
	__u32 ifindex;
	__u32 len;
	__u8 head[SAMPLE_BYTES];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} samples SEC(".maps");

/* The inner map template and the one inner map placed in slot 0. */
struct rate_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} rate_override SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct rate_map);
} rate_config SEC(".maps") = {
	.values = { [0] = &rate_override },
};

const volatile __u32 cfg_default_rate = 64;

__u64 seen;    /* .bss */
__u64 sampled; /* .bss */
__u64 lost;    /* .bss */

static __always_inline __u32 sample_rate(void)
{
	__u32 zero = 0;
	void *inner = bpf_map_lookup_elem(&rate_config, &zero);
	__u32 *rate;

	if (!inner)
		return cfg_default_rate;
	rate = bpf_map_lookup_elem(inner, &zero);
	if (!rate || *rate == 0)
		return cfg_default_rate;
	return *rate;
}

SEC("xdp")
int xdp_sample(struct xdp_md *ctx)
{
	__u64 len = ctx->data_end - ctx->data;
	struct sample s = {};
	__u32 rate = sample_rate();
	__u64 n = __sync_fetch_and_add(&seen, 1);

	if (rate == 0 || n % rate != 0)
		return XDP_PASS;

	s.timestamp = bpf_ktime_get_ns();
	s.ifindex = ctx->ingress_ifindex;
	s.len = len;
	if (len > SAMPLE_BYTES)
		len = SAMPLE_BYTES;
	if (len > 0 && bpf_xdp_load_bytes(ctx, 0, s.head, len) < 0)
		return XDP_PASS;

	if (bpf_ringbuf_output(&samples, &s, sizeof(s), 0) < 0)
		__sync_fetch_and_add(&lost, 1);
	else
		__sync_fetch_and_add(&sampled, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
