// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * Programs using features the ELF loader must refuse by name (kfuncs, ksyms,
 * kconfig externs, undefined functions, CO-RE relocations needing the
 * kernel's BTF) next to ones it must accept (CO-RE against local types, a
 * non-XDP program).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym;
extern void bpf_prog_active __ksym __weak;
extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern int undefined_function(int x);

/* As vmlinux.h declares kernel types: every access is a CO-RE relocation. */
struct eth_core {
	unsigned char h_dest[ETH_ALEN];
	unsigned char h_source[ETH_ALEN];
	__be16 h_proto;
} __attribute__((preserve_access_index));

SEC("xdp")
int kfunc_call(struct xdp_md *ctx)
{
	__u64 ts = 0;

	bpf_xdp_metadata_rx_timestamp(ctx, &ts);
	return ts ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int ksym_addr(struct xdp_md *ctx)
{
	return &bpf_prog_active ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int kconfig_read(struct xdp_md *ctx)
{
	return LINUX_KERNEL_VERSION > 0x050000 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int extern_call(struct xdp_md *ctx)
{
	return undefined_function(ctx->ingress_ifindex) ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int core_target_id(struct xdp_md *ctx)
{
	return bpf_core_type_id_kernel(struct eth_core) ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int core_local(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct eth_core *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (!bpf_core_field_exists(eth->h_proto))
		return XDP_ABORTED;
	return eth->h_proto == bpf_htons(ETH_P_IP) ? XDP_PASS : XDP_DROP;
}

/* Slot 0 names a program the loader refuses, slot 1 one it accepts. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__array(values, int(struct xdp_md *));
} progs SEC(".maps") = {
	.values = { [0] = &kfunc_call, [1] = &core_local },
};

SEC("tc")
int tc_pass(struct __sk_buff *skb)
{
	return 0; /* TC_ACT_OK */
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
