// Sends the scanner's events (events.ts builds them). Without a bus (a scanner embedded in a
// test or a tool) nothing is sent.
import { publishAuditEvent, publishCore, publishEvent, type BusConnection } from '@assay/bus';
import { ScanProgressTopic, Streams, Topics } from '@assay/proto';
import type { PlatformManifest, ScanProgressUpdate, ScanTarget } from '@assay/scan-engine';
import { indexDiscoveredEvent, scanAuditEvent, scanCompletedEvent, scanProgressEvent } from './events.ts';
import type { ScanOutcome } from './outcome.ts';

export class ScanPublisher {
  readonly #bus: BusConnection | undefined;

  constructor(bus: BusConnection | undefined) {
    this.#bus = bus;
  }

  /**
   * ScanCompleted, and its audit event when a scan ran, a new database changed its findings
   * (`eventId`, a re-match) or the image's trust was verified again; not when a stored report
   * answered again unchanged.
   */
  async completed(target: ScanTarget, o: ScanOutcome, causationId: string | undefined, eventId?: string): Promise<void> {
    const bus = this.#bus;
    if (!bus) return;
    const event = scanCompletedEvent(target, o, causationId, eventId);
    await publishEvent(bus.js, Topics.scanCompleted, event, { expectStream: Streams.scans.name });
    if (o.scanned || eventId || o.trustOnly)
      await publishAuditEvent(bus.js, Topics.auditScan, scanAuditEvent(event, o), { expectStream: Streams.audit.name });
  }

  /** The platforms of an index on `assay.image.index`, so policy can give the index digest an aggregate verdict. */
  async index(target: ScanTarget, manifests: readonly PlatformManifest[], causationId: string | undefined): Promise<void> {
    const bus = this.#bus;
    if (!bus) return;
    const event = indexDiscoveredEvent(target, manifests, causationId);
    await publishEvent(bus.js, Topics.indexDiscovered, event, { msgId: event.meta!.id, expectStream: Streams.images.name });
  }

  /** Progress is best effort: core NATS, dropped while disconnected. */
  progress(p: ScanProgressUpdate): void {
    const bus = this.#bus;
    if (!bus || !bus.isConnected()) return;
    try {
      publishCore(bus.nc, ScanProgressTopic.forDigest(p.digest), scanProgressEvent(p));
    } catch {
      // Progress is best effort.
    }
  }
}
