// Reserved words of the BIRD 1.6 configuration language as Calico's fork builds it
// (CF_KEYWORDS of conf/confbase.Y, nest/config.Y, filter/config.Y, proto/bgp/config.Y,
// proto/static/config.Y, sysdep/unix/krt.Y, sysdep/linux/netlink.Y, incl. `krt_tunnel`).
// A keyword cannot name a protocol, filter, function or variable; quoted symbols ('…')
// are never keywords. Leaves out keywords of protocols the fork does not build.

export const KEYWORDS: ReadonlySet<string> = new Set(
  `
  router id listen bgp address port v6only dual log syslog stderr name all debug protocols
  timeformat route protocol base graceful restart wait define function filter template from
  table on off yes no description disabled preference import export none where limit keep
  receive filtered action warn block disable states routes filters interfaces events packets commands
  kernel learn persist scan time device merge paths direct interface static via blackhole
  unreachable prohibit drop recursive check link multipath weight
  local as neighbor source multihop ttl security passive password next hop self gateway add
  rx tx rr client cluster rs allow hold startup keepalive connect delay retry error forget
  default interpret communities enable as4 capabilities advertise ipv4 ipv6 deterministic med
  igp metric prefer older path after aware missing lladdr ignore
  if then else accept reject return print printn defined true false int bool ip prefix pair
  quad lc ec string bgpmask bgppath clist eclist lclist set len first last mask prepend delete
  empty case unset quitbird
  net proto gw ifname dest scope cast ifindex
  bgp_origin bgp_path bgp_next_hop bgp_med bgp_local_pref bgp_atomic_aggr bgp_aggregator
  bgp_community bgp_ext_community bgp_large_community bgp_originator_id bgp_cluster_list
  krt_source krt_metric krt_prefsrc krt_realm krt_scope krt_tunnel
  krt_mtu krt_window krt_rtt krt_rttvar krt_sstresh krt_cwnd krt_advmss krt_reordering
  krt_hoplimit krt_initcwnd krt_rto_min krt_initrwnd krt_quickack krt_lock_mtu krt_lock_window
  krt_lock_rtt krt_lock_rttvar krt_lock_sstresh krt_lock_cwnd krt_lock_advmss krt_lock_reordering
  krt_lock_hoplimit krt_lock_rto_min krt_feature_ecn krt_feature_allfrag
  RTS_DUMMY RTS_STATIC RTS_INHERIT RTS_DEVICE RTS_STATIC_DEVICE RTS_REDIRECT RTS_RIP RTS_OSPF
  RTS_OSPF_IA RTS_OSPF_EXT1 RTS_OSPF_EXT2 RTS_BGP RTS_PIPE RTS_BABEL
  RTD_ROUTER RTD_DEVICE RTD_BLACKHOLE RTD_UNREACHABLE RTD_PROHIBIT RTD_MULTIPATH
  ORIGIN_IGP ORIGIN_EGP ORIGIN_INCOMPLETE
  `.split(/\s+/).filter(Boolean),
);

const PLAIN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A symbol as it must be written: bare when it can be, else quoted ('bgp_x-y.z'). */
export const symbolText = (name: string): string => (PLAIN.test(name) && !KEYWORDS.has(name) ? name : `'${name}'`);
