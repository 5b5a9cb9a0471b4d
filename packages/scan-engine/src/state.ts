// What one scan is about and what it has learnt so far. The stages fill a `ScanState` as they go,
// so a scan that fails half-way still leaves a report of what it saw (the caller decides what
// the failure means).
import { randomUUID } from 'node:crypto';
import type { BaseImageMatch, CheckResult } from '@assay/inventory';
import type { RegistryClient } from '@assay/registry-client';
import type { FinalView } from './final-view.ts';
import type { ConfigFacts } from './image-config.ts';
import type { LayerAnalysis } from './walker.ts';

/** What the stages read of a registry: a registry client, or a local image source (an OCI layout). */
export type BlobSource = Pick<RegistryClient, 'getManifest' | 'blob' | 'blobBuffer'>;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string | undefined;
}

export interface ScanTarget {
  registry: string;
  repository: string;
  digest: string;
  tag?: string | undefined;
  mediaType?: string | undefined;
  platform?: Platform | undefined;
  /** The index this platform image was reached through: its signatures may count for the image. */
  index?: string | undefined;
}

export interface ScanProgressUpdate {
  digest: string;
  stage: string;
  layersDone: number;
  layersTotal: number;
  bytesDone: number;
}

export interface ScanCounters {
  /** Layer blobs fetched from a registry. */
  blobFetches: number;
  layersWalked: number;
  layersCached: number;
}

export interface LayerRecord {
  digest: string;
  diffId?: string;
  size: number;
  mediaType: string;
  createdBy?: string;
  cached: boolean;
  entries?: number;
  inflatedBytes?: number;
  compression?: string;
}

/** What a scan has learnt so far (complete when it succeeds). */
export interface ScanState {
  readonly reportId: string;
  readonly startedAt: Date;
  manifestMediaType?: string;
  config?: ConfigFacts;
  layers: LayerRecord[];
  analyses: LayerAnalysis[];
  view?: FinalView;
  warnings: string[];
  /** Whether CLAMD_ADDRESS is set (a failed scan then must not say "disabled"). */
  malwareEnabled?: boolean;
  /** The report's warning when it is not (the driver's words: its setting is what to change). */
  malwareDisabledWarning?: string;
  /** clamd's VERSION reply once asked. */
  malwareDb?: string;
  checks?: CheckResult[];
  baseImageMatch?: BaseImageMatch;
}

export function newScanState(): ScanState {
  return { reportId: randomUUID(), startedAt: new Date(), layers: [], analyses: [], warnings: [] };
}
