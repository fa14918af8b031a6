// The device protocol (BIRD's `protocol device`, nest/rt-dev.c's sibling in
// sysdep/unix/krt.c kif_*): in BIRD it scans interfaces and addresses every `scan time`;
// in Wren the shared interface table (src/fib/interfaces.ts) follows rtnetlink events and
// re-dumps only after lost events or as a slow safety net (every max(`scan time`, 600 s)).
// The protocol holds the table open while it runs and shows in `show protocols` as
// `device1 Device master up`. It imports and exports no routes.
// Leaves out: `primary` address selection options, `interface` patterns of the device
// protocol (BIRD 2 only).

import { Protocol, type ProtocolContext } from '../protocol.js';
import type { DeviceProtocolConfig } from '../../conf/model.js';
import type { ProtocolChange } from '../../conf/diff.js';
import type { InterfaceTable } from './interfaces.js';

export class DeviceProtocol extends Protocol<DeviceProtocolConfig> {
  readonly protoName = 'Device';
  private held = false;

  constructor(
    config: DeviceProtocolConfig,
    ctx: ProtocolContext,
    readonly interfaces: InterfaceTable,
  ) {
    super(config, ctx, 'direct');
  }

  start(): void {
    this.setState('start');
    this.interfaces.setScanTime(this.config.scanTime);
    this.held = true;
    this.interfaces.acquire().then(
      () => {
        if (this.held) this.setState('up');
      },
      (e: Error) => {
        this.log.error(`cannot read interfaces: ${e.message}`);
        this.setState('down');
      },
    );
  }

  stop(): void {
    if (this.held) this.interfaces.release();
    this.held = false;
    this.setState('down');
  }

  override reconfigure(next: DeviceProtocolConfig, change: ProtocolChange): boolean {
    super.reconfigure(next, change);
    this.interfaces.setScanTime(next.scanTime);
    return true;
  }
}
