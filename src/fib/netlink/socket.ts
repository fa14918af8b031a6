// Netlink transport (netlink(7), rtnetlink(7); RFC 3549 describes the protocol): the only
// file that touches the OS for netlink. It opens a NETLINK_ROUTE socket through the
// native addon, sends whole request buffers and emits every received datagram as one
// Buffer. A datagram may hold many nlmsghdr messages (a dump part, a batch of ACKs);
// cutting and decoding them is the rtnetlink codec's job (message.ts, route.ts, ...).
//
// Reading runs on a uv_poll inside the addon; each readiness callback drains at most 64
// datagrams or 4 MiB and leaves the rest for the next loop turn, so a burst of kernel
// events cannot stall the event loop. When the kernel drops multicast messages because
// the receive buffer is full, recv() fails with ENOBUFS: that is emitted as 'overrun'
// (not 'error'), the socket stays usable, and the owner must re-dump and reconcile.
//
// Bulk writes can go through a sender thread in the addon (`startSendThread`, then
// `sendQueued(buf, id)`): the kernel does a route request's work inside sendmsg, so that work
// then runs beside the JS thread; buffers are copied and sent in order, and a failed send
// comes back as 'sendError' (id, WrenError). `filterOwnEchoes(portId)` drops, in the kernel,
// the notifications caused by that port's requests (a BPF socket filter on nlmsg_pid).
//
// Events: 'message' (datagram: Buffer), 'overrun' (), 'error' (WrenError with the errno
// code), 'sendError' (id: number, WrenError), 'close' ().
// Left out: message framing, sequence numbers, ACK matching, dump state (the codec).
import { EventEmitter } from 'node:events';
import { WrenError } from '../../bgp/errors.js';
import { loadNative } from '../../native.js';
import type { NativeError, NativeHandle, WrenNative } from '../../native.js';

/** native/src/netlink.c functions beyond src/native.ts's WrenNative (sender thread, BPF filter). */
interface NetlinkNativeExtra {
  nlSendThread(h: NativeHandle, onSendError: (id: number, err: NativeError) => void): void;
  nlSendQueued(h: NativeHandle, buf: Uint8Array, id: number): void;
  nlFilterPortId(h: NativeHandle, portId: number): void;
}

/** Netlink protocol families used by Wren. */
export const NETLINK_ROUTE = 0;

/** SOL_NETLINK socket options (linux/netlink.h). */
export const enum NetlinkOption {
  NETLINK_NO_ENOBUFS = 5,
  NETLINK_CAP_ACK = 10,
  NETLINK_EXT_ACK = 11,
  NETLINK_GET_STRICT_CHK = 12,
}

/** rtnetlink multicast groups (enum rtnetlink_groups in linux/rtnetlink.h). */
export const enum RtnlGroup {
  RTNLGRP_LINK = 1,
  RTNLGRP_NEIGH = 3,
  RTNLGRP_IPV4_IFADDR = 5,
  RTNLGRP_IPV4_ROUTE = 7,
  RTNLGRP_IPV6_IFADDR = 9,
  RTNLGRP_IPV6_ROUTE = 11,
  RTNLGRP_NEXTHOP = 32,
}

export interface NetlinkSocketOptions {
  /** Netlink protocol; NETLINK_ROUTE by default. */
  protocol?: number;
  /** Receive buffer in bytes (SO_RCVBUFFORCE, SO_RCVBUF without CAP_NET_ADMIN). */
  receiveBuffer?: number;
  /** NETLINK_EXT_ACK: error messages carry the kernel's text (default true). */
  extAck?: boolean;
  /** NETLINK_GET_STRICT_CHK: strict header checks, filtered dumps (default false). */
  strictCheck?: boolean;
}

function wrap(e: unknown, context: string): WrenError {
  if (e instanceof WrenError) return e;
  const err = e as NativeError;
  return new WrenError(typeof err?.code === 'string' ? err.code : 'EUNKNOWN', `netlink ${context}: ${err?.message ?? String(e)}`);
}

export class NetlinkSocket extends EventEmitter {
  private handle: NativeHandle | undefined;
  private readonly native: WrenNative & Partial<NetlinkNativeExtra>;
  private sendThread = false;
  private readonly options: NetlinkSocketOptions;

  constructor(options: NetlinkSocketOptions = {}) {
    super();
    this.options = options;
    this.native = loadNative();
  }

  /** Opens, binds (the kernel assigns the port id) and joins `groups` (RTNLGRP_* numbers). */
  open(groups: readonly number[] = []): void {
    if (this.handle) throw new WrenError('ALREADY_OPEN', 'netlink socket already open');
    const n = this.native;
    let h: NativeHandle;
    try {
      h = n.nlOpen(
        this.options.protocol ?? NETLINK_ROUTE,
        0,
        (datagram) => this.emit('message', datagram),
        () => this.emit('overrun'),
        (err) => this.emit('error', wrap(err, 'recv')),
      );
    } catch (e) {
      throw wrap(e, 'open');
    }
    this.handle = h;
    try {
      if (this.options.receiveBuffer !== undefined) n.nlSetRcvBuf(h, this.options.receiveBuffer);
      if (this.options.extAck ?? true) n.nlSetOption(h, NetlinkOption.NETLINK_EXT_ACK, 1);
      if (this.options.strictCheck) n.nlSetOption(h, NetlinkOption.NETLINK_GET_STRICT_CHK, 1);
      for (const g of groups) n.nlMembership(h, g, true);
    } catch (e) {
      this.close();
      throw wrap(e, 'setup');
    }
  }

  private h(): NativeHandle {
    if (!this.handle) throw new WrenError('NOT_OPEN', 'netlink socket is not open');
    return this.handle;
  }

  /** Sends one buffer (one or many nlmsghdr messages) to the kernel; returns bytes sent. */
  send(buf: Uint8Array): number {
    try {
      return this.native.nlSend(this.h(), buf);
    } catch (e) {
      throw wrap(e, 'send');
    }
  }

  /** Whether the addon has the sender thread (an older build may not). */
  get canQueueSends(): boolean {
    return typeof this.native.nlSendThread === 'function' && typeof this.native.nlSendQueued === 'function';
  }

  /** Starts the socket's sender thread (idempotent); false if the addon has none. */
  startSendThread(): boolean {
    if (this.sendThread) return true;
    if (!this.canQueueSends) return false;
    try {
      this.native.nlSendThread!(this.h(), (id, err) => this.emit('sendError', id, wrap(err, 'send')));
    } catch (e) {
      throw wrap(e, 'send thread');
    }
    this.sendThread = true;
    return true;
  }

  /** Queues a copy of `buf` for the sender thread (startSendThread first); failures come as 'sendError' with `id`. */
  sendQueued(buf: Uint8Array, id: number): void {
    try {
      this.native.nlSendQueued!(this.h(), buf, id >>> 0);
    } catch (e) {
      throw wrap(e, 'send');
    }
  }

  /** Drops, in the kernel, messages stamped with `portId` (echoes of that port's requests). False if unsupported. */
  filterOwnEchoes(portId: number): boolean {
    if (typeof this.native.nlFilterPortId !== 'function') return false;
    try {
      this.native.nlFilterPortId(this.h(), portId >>> 0);
    } catch (e) {
      throw wrap(e, 'SO_ATTACH_FILTER');
    }
    return true;
  }

  addMembership(group: number): void {
    try {
      this.native.nlMembership(this.h(), group, true);
    } catch (e) {
      throw wrap(e, `join group ${group}`);
    }
  }

  dropMembership(group: number): void {
    try {
      this.native.nlMembership(this.h(), group, false);
    } catch (e) {
      throw wrap(e, `leave group ${group}`);
    }
  }

  /** Sets the receive buffer; returns what the kernel reports (about twice the request). */
  setReceiveBuffer(bytes: number): number {
    try {
      return this.native.nlSetRcvBuf(this.h(), bytes);
    } catch (e) {
      throw wrap(e, 'SO_RCVBUF');
    }
  }

  /** An integer SOL_NETLINK option (NetlinkOption). */
  setOption(option: number, value: number): void {
    try {
      this.native.nlSetOption(this.h(), option, value);
    } catch (e) {
      throw wrap(e, `option ${option}`);
    }
  }

  /** The port id (nl_pid) the kernel assigned; replies to our requests carry it. */
  get portId(): number {
    return this.native.nlPortId(this.h());
  }

  get isOpen(): boolean {
    return this.handle !== undefined;
  }

  /** Stops reading (datagrams wait in the kernel, and may overflow into 'overrun'). */
  pause(): void {
    this.native.nlReading(this.h(), false);
  }

  resume(): void {
    this.native.nlReading(this.h(), true);
  }

  /** Stops the poll and closes the fd; safe to call twice and from a 'message' handler. */
  close(): void {
    const h = this.handle;
    if (!h) return;
    this.handle = undefined;
    this.sendThread = false;
    this.native.nlClose(h);
    this.emit('close');
  }
}
