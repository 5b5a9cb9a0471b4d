// What every resource plugin of the policy API shares: the running service (503 while it starts),
// the caller a request is recorded under, the clock, and the record and If-Match conventions.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ValidationError, type VersionedRecord } from '@assay/domain';
import type { PolicyChanges } from '../changes.ts';
import type { DecisionSource } from '../decision-records.ts';
import type { PolicyEngine } from '../engine.ts';
import type { IndexVerdicts } from '../index-verdicts.ts';
import type { PolicyController } from '../kube-controller.ts';
import type { RunningReports } from '../running/running-reports.ts';
import type { VerdictList } from '../verdict-list.ts';

export interface PolicyApi {
  engine: PolicyEngine;
  changes: PolicyChanges;
  /** Every verdict as a summary, for listing (absent in a library use without the bus). */
  verdicts?: VerdictList;
  /** Aggregate verdicts of image indexes (absent in a library use without the bus). */
  indexes?: IndexVerdicts;
  /** The Kubernetes controller (POLICY_KUBERNETES). */
  kube?: PolicyController;
  /** Running-workload reports, gauge and audit events (POLICY_KUBERNETES). */
  running?: RunningReports;
  /** Recent admission decisions from the audit stream (absent in a library use without the bus). */
  decisions?: DecisionSource;
}

/** A route handler that runs only once the service is running. */
export type ApiHandler = (api: PolicyApi, req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** The options each resource plugin is registered with (beside its prefix). */
export interface RouteContext {
  /** `handler` with the running service; a 503 while it starts. */
  handle(handler: ApiHandler): (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  /** Who made an authorised request: recorded on the versions and audit events it writes. */
  userOf(req: FastifyRequest): string;
  clock(): Date;
}

export function recordOut<T>(r: VersionedRecord<T>) {
  return { ...r, createdAt: r.createdAt.toISOString() };
}

/** The expected version from `If-Match` (an ETag `"3"` or a bare `3`) or the body. */
export function expectedVersionOf(req: FastifyRequest, body: { expectedVersion?: number } | undefined): number | undefined {
  const h = req.headers['if-match'];
  if (typeof h === 'string' && h.trim() !== '') {
    const n = Number(h.trim().replace(/^W\//, '').replace(/"/g, ''));
    if (!Number.isInteger(n) || n < 0) throw new ValidationError([{ path: 'If-Match', message: 'expected a version number' }]);
    return n;
  }
  return body?.expectedVersion;
}
