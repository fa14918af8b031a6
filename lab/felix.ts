// The lab's stand-in for Felix's dataplane work on one node (contract.md §4.1): for each
// workload a network namespace joined to the node by a veth whose host end is `cali<hash>`
// (MAC ee:ee:ee:ee:ee:ee, proxy_arp on, as Felix sets it), the workload's /32 (/128) on its
// eth0 with Calico's default route via 169.254.1.1 (IPv6: via the host end's link-local
// fe80::ecee:eeff:feee:eeee), and on the node the workload route
// `<ip>/32 dev cali… scope link proto boot metric 1024` that the BGP daemon learns from the
// kernel. Felix's own blackholes for blocks (proto 80) belong to Felix-owned pools; the lab's
// pool is programmed by the BGP daemon (no-encap), so `felixBlackholes` is off by default.
// The commands for one node go through one shell (`sh -e`), not one process per command.
//
// Leaves out: iptables/eBPF policy, tunl0 (no ipip module on this machine), VXLAN, WireGuard.

import type { ClusterSpec, NodeSpec } from './model.js';

/** The MAC Felix gives every host-side workload interface; its EUI-64 link-local is the v6 gateway. */
export const HOST_MAC = 'ee:ee:ee:ee:ee:ee';
export const HOST_LL6 = 'fe80::ecee:eeff:feee:eeee';
/** Felix's DeviceRouteProtocol default (3 = boot). */
export const FELIX_PROTO = 'boot';

export interface FelixOptions {
  /** Add `blackhole <block> proto 80` as Felix does for pools it owns. */
  readonly felixBlackholes?: boolean;
}

/** Sysctls of a node namespace (forwarding on, no DAD so addresses work at once). */
export function nodeSysctls(ipv6: boolean): string[] {
  const s = ['net.ipv4.ip_forward=1'];
  if (ipv6) s.push('net.ipv6.conf.all.forwarding=1', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
  return s;
}

/**
 * Shell commands (run in the root namespace) that plumb `node`'s workloads; `wlNs` maps a
 * workload name to its (already created) namespace.
 */
export function felixScript(c: ClusterSpec, node: NodeSpec, nodeNs: string, wlNs: ReadonlyMap<string, string>, o: FelixOptions = {}): string {
  const l: string[] = [];
  const prio = c.normalPriority;
  for (const w of node.workloads) {
    const ns = wlNs.get(w.name);
    if (!ns) throw new Error(`no namespace for workload ${w.name}`);
    if (w.ip6) l.push(`ip netns exec ${ns} sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0`);
    l.push(
      `ip link add ${w.iface} netns ${nodeNs} address ${HOST_MAC} type veth peer name eth0 netns ${ns}`,
      `ip netns exec ${nodeNs} sysctl -qw net.ipv4.conf.${w.iface}.proxy_arp=1`,
      `ip -n ${nodeNs} link set ${w.iface} up`,
      `ip -n ${ns} addr add ${w.ip4}/32 dev eth0`,
      `ip -n ${ns} link set eth0 up`,
      `ip -n ${ns} route add 169.254.1.1 dev eth0 scope link`,
      `ip -n ${ns} route add default via 169.254.1.1 dev eth0`,
      `ip -n ${ns} neigh replace 169.254.1.1 lladdr ${HOST_MAC} dev eth0 nud permanent`,
      `ip -n ${nodeNs} route replace ${w.ip4}/32 dev ${w.iface} scope link proto ${FELIX_PROTO} metric ${prio}`,
    );
    if (w.ip6) {
      l.push(
        `ip -n ${ns} addr add ${w.ip6}/128 dev eth0 nodad`,
        `ip -n ${ns} -6 route add default via ${HOST_LL6} dev eth0`,
        `ip -n ${nodeNs} -6 route replace ${w.ip6}/128 dev ${w.iface} proto ${FELIX_PROTO} metric ${prio}`,
      );
    }
  }
  if (o.felixBlackholes) {
    if (node.block4) l.push(`ip -n ${nodeNs} route replace blackhole ${node.block4} proto 80`);
    if (node.block6) l.push(`ip -n ${nodeNs} -6 route replace blackhole ${node.block6} proto 80`);
  }
  return l.join('\n');
}

/** Commands that remove a node's workload routes (Felix on a node being drained). */
export function felixTeardownScript(node: NodeSpec, nodeNs: string): string {
  return node.workloads.map((w) => `ip -n ${nodeNs} link del ${w.iface} 2>/dev/null || true`).join('\n');
}
