// The scanner's bus messages, built from what a scan gives (pure: no bus, no clock beyond the
// event metadata). publisher.ts sends them.
import { create } from '@bufbuild/protobuf';
import { timestampFromDate, timestampNow } from '@bufbuild/protobuf/wkt';
import { derivedEventId, newEventMeta } from '@assay/bus';
import {
  AuditEventSchema,
  DiscoverySource,
  EventMetaSchema,
  ImageDiscoveredSchema,
  ImageRefSchema,
  PlatformSchema,
  ScanCompletedSchema,
  ScanProgressSchema,
  ScanStatus,
  ScanSummarySchema,
  SeverityCountsSchema,
  Topics,
  type AuditEvent,
  type ImageDiscovered,
  type ScanCompleted,
  type ScanProgress,
  type VulnDbUpdated,
  VulnDbUpdatedSchema,
} from '@assay/proto';
import type { PlatformManifest, ScanProgressUpdate, ScanTarget } from '@assay/scan-engine';
import type { ScanOutcome } from './outcome.ts';
import { summariseTrust } from '@assay/trust';

export const PRODUCER = 'scanner';

const platformOf = (p: ScanTarget['platform']) => (p ? { platform: create(PlatformSchema, { ...p, variant: p.variant ?? '' }) } : {});

/**
 * ScanCompleted of an outcome. `eventId` (a re-match) is a derived id, so every replica's copy
 * of the same event is one stored message.
 */
export function scanCompletedEvent(target: ScanTarget, o: ScanOutcome, causationId: string | undefined, eventId?: string): ScanCompleted {
  const s = o.report.summary;
  const meta = newEventMeta(PRODUCER, causationId);
  if (eventId) meta.id = eventId;
  return create(ScanCompletedSchema, {
    meta,
    image: create(ImageRefSchema, {
      registry: target.registry,
      repository: target.repository,
      tag: target.tag ?? '',
      digest: target.digest,
      mediaType: o.report.image.mediaType ?? target.mediaType ?? '',
      ...platformOf(target.platform),
    }),
    status: o.status === 'succeeded' ? ScanStatus.SUCCEEDED : ScanStatus.FAILED,
    reportId: o.reportId,
    ...(s
      ? {
          summary: create(ScanSummarySchema, {
            packages: s.packages,
            vulnerabilities: create(SeverityCountsSchema, s.vulnerabilities),
            sensitiveFindings: s.sensitiveFindings,
            malwareFindings: s.malwareFindings,
            licenceFindings: s.licenceFindings,
            os: s.os ?? '',
            baseImage: s.baseImage ?? '',
          }),
        }
      : {}),
    error: o.error ?? '',
    vulnDbVersion: o.report.vulnDbVersion ?? '',
    analyzerVersions: Object.fromEntries(Object.entries(o.report.analyzerVersions).map(([k, v]) => [k, String(v)])),
  });
}

/** The audit event of a ScanCompleted: counts only, no finding's content leaves the report. */
export function scanAuditEvent(completed: ScanCompleted, o: ScanOutcome): AuditEvent {
  const s = o.report.summary;
  const id = completed.meta?.id ?? '';
  const total = s ? Object.values(s.vulnerabilities).reduce((n, c) => n + c, 0) : 0;
  return create(AuditEventSchema, {
    meta: { ...newEventMeta(PRODUCER, id), id: derivedEventId(`${Topics.auditScan.subject}\0${id}`) },
    event: {
      case: 'scan',
      value: {
        ...(completed.image ? { image: completed.image } : {}),
        status: o.status,
        reportId: o.reportId,
        error: o.error ?? '',
        vulnerabilities: total,
        sensitiveFindings: s?.sensitiveFindings ?? 0,
        malwareFindings: s?.malwareFindings ?? 0,
        ...(o.report.trust ? { trust: summariseTrust(o.report.trust) } : {}),
        trustOnly: o.trustOnly === true,
      },
    },
  });
}

/**
 * An index asked for by digest (not from the watcher, which announces its own), with its
 * platforms. The id is the one the watcher derives, so the same index announced twice is stored once.
 */
export function indexDiscoveredEvent(
  target: ScanTarget,
  manifests: readonly PlatformManifest[],
  causationId: string | undefined,
): ImageDiscovered {
  const location = { registry: target.registry, repository: target.repository };
  const meta = newEventMeta(PRODUCER, causationId);
  meta.id = derivedEventId(`${Topics.indexDiscovered.subject}\0${target.digest}`);
  return create(ImageDiscoveredSchema, {
    meta,
    image: create(ImageRefSchema, { ...location, tag: target.tag ?? '', digest: target.digest, mediaType: target.mediaType ?? '' }),
    source: DiscoverySource.MANUAL,
    manifests: manifests.map((m) =>
      create(ImageRefSchema, { ...location, digest: m.digest, mediaType: m.mediaType, ...platformOf(m.platform) }),
    ),
  });
}

export function scanProgressEvent(p: ScanProgressUpdate): ScanProgress {
  return create(ScanProgressSchema, {
    meta: newEventMeta(PRODUCER),
    digest: p.digest,
    stage: p.stage,
    layersDone: p.layersDone,
    layersTotal: p.layersTotal,
    bytesDone: BigInt(p.bytesDone),
  });
}

/** The id of a database version's VulnDbUpdated: derived, so replicas' copies are stored once. */
export function vulnDbUpdatedId(version: string): string {
  return derivedEventId(`assay.vulndb.updated\0${version}`);
}

export function vulnDbUpdatedEvent(db: { version: string; builtAt: string }, id: string, sha256: string, source: string): VulnDbUpdated {
  const builtAt = new Date(db.builtAt);
  return create(VulnDbUpdatedSchema, {
    meta: create(EventMetaSchema, { id, time: timestampNow(), producer: PRODUCER, causationId: '' }),
    version: db.version,
    ...(Number.isNaN(builtAt.getTime()) ? {} : { builtAt: timestampFromDate(builtAt) }),
    sha256,
    source,
  });
}
