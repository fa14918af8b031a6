// The ceiling for route installs on this machine, for bench/netlink.ts (not part of the
// addon): an ideal single-threaded C writer — N IPv4 /32 routes `via 198.18.0.2 proto 12`
// as RTM_NEWROUTE (NLM_F_CREATE|NLM_F_EXCL), packed into datagrams of BATCH bytes with
// NLM_F_ACK on the last message only, NETLINK_CAP_ACK set, W datagrams in flight; then the
// same for RTM_DELROUTE. Prints "add <ms> <errors>" and "del <ms> <errors>". Run it inside
// the benchmark's namespace (`ip netns exec`), which has 198.18.0.1/24 on a veth.
// Usage: nl-ceiling N [BATCH_BYTES=131072] [WINDOW=8]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int fd;
static char rx[1 << 20];
static long errors;

/* Reads replies until the ACK (or error) of `last_seq` arrives. */
static void wait_seq(uint32_t last_seq) {
  for (;;) {
    ssize_t n = recv(fd, rx, sizeof rx, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("recv");
      exit(1);
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)rx; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type != NLMSG_ERROR) continue;
      struct nlmsgerr *e = NLMSG_DATA(h);
      if (e->error) errors++;
      if (h->nlmsg_seq == last_seq) return;
    }
  }
}

static double pass(int type, int flags, long count, size_t batch, int window) {
  static char buf[1 << 20];
  uint32_t seq = 1, inflight[64];
  int head = 0, nin = 0;
  double t0 = now_ms();
  long i = 0;
  while (i < count) {
    size_t off = 0;
    struct nlmsghdr *last = NULL;
    while (i < count && off + 64 <= batch) {
      struct nlmsghdr *h = (struct nlmsghdr *)(buf + off);
      memset(h, 0, 64);
      struct rtmsg *r = NLMSG_DATA(h);
      r->rtm_family = AF_INET;
      r->rtm_dst_len = 32;
      r->rtm_table = RT_TABLE_MAIN;
      r->rtm_protocol = 12;
      r->rtm_scope = type == RTM_DELROUTE ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE;
      r->rtm_type = type == RTM_DELROUTE ? RTN_UNSPEC : RTN_UNICAST;
      struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(sizeof *r));
      a->rta_type = RTA_DST;
      a->rta_len = RTA_LENGTH(4);
      uint32_t dst = htonl(0x0a000001u + (uint32_t)i);
      memcpy(RTA_DATA(a), &dst, 4);
      size_t len = NLMSG_LENGTH(sizeof *r) + RTA_ALIGN(a->rta_len);
      if (type == RTM_NEWROUTE) {
        a = (struct rtattr *)((char *)a + RTA_ALIGN(a->rta_len));
        a->rta_type = RTA_GATEWAY;
        a->rta_len = RTA_LENGTH(4);
        uint32_t gw = htonl(0xc6120002u);
        memcpy(RTA_DATA(a), &gw, 4);
        len += RTA_ALIGN(a->rta_len);
      }
      h->nlmsg_len = len;
      h->nlmsg_type = type;
      h->nlmsg_flags = NLM_F_REQUEST | flags;
      h->nlmsg_seq = seq++;
      last = h;
      off += NLMSG_ALIGN(len);
      i++;
    }
    last->nlmsg_flags |= NLM_F_ACK;
    if (nin == window) {
      wait_seq(inflight[head]);
      head = (head + 1) % 64;
      nin--;
    }
    if (send(fd, buf, off, 0) < 0) {
      perror("send");
      exit(1);
    }
    inflight[(head + nin) % 64] = last->nlmsg_seq;
    nin++;
  }
  while (nin) {
    wait_seq(inflight[head]);
    head = (head + 1) % 64;
    nin--;
  }
  return now_ms() - t0;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  size_t batch = argc > 2 ? (size_t)atol(argv[2]) : 131072;
  int window = argc > 3 ? atoi(argv[3]) : 8;
  if (batch > (1 << 20)) batch = 1 << 20;
  if (window < 1) window = 1;
  if (window > 64) window = 64;
  fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    perror("socket");
    return 1;
  }
  int one = 1, big = 32 << 20;
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    perror("bind");
    return 1;
  }
  double add = pass(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, n, batch, window);
  printf("add %.1f %ld\n", add, errors);
  errors = 0;
  double del = pass(RTM_DELROUTE, 0, n, batch, window);
  printf("del %.1f %ld\n", del, errors);
  return 0;
}
