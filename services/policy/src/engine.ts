// The running evaluator: keeps verdicts current. Evaluates each completed scan; re-evaluates
// the images a policy or exception change can affect, the images an expiry affects (at the
// expiry), and the images whose findings a new vulnerability database changed. An in-memory index of
// digest → scope fields answers "which images can this change affect" without reading reports.
import { type ImageAssurancePolicy, type PolicyException, type ScanReport } from '@assay/domain';
import { allPages, type Store } from '@assay/store';
import { PolicyKind, ScanStatus, type ScanCompleted, type Verdict, type PolicyChanged } from '@assay/proto';
import type { Logger } from '@assay/telemetry';
import type { JetStreamClient, KV } from 'nats';
import { announceVerdict } from './audit.ts';
import type { IndexVerdicts } from './index-verdicts.ts';
import type { DocumentBuckets } from './document-buckets.ts';
import { exceptionCoversImage } from '@assay/runtime-policy';
import { inScope, type ImageScope } from '@assay/runtime-policy';
import { EXPIRIES, Scheduler } from './scheduler.ts';
import { KnownVerdicts } from './known-verdicts.ts';
import { reevaluateAll } from './reevaluation.ts';
import { casVerdict, readVerdict } from './verdict-bucket.ts';
import { vexRefs, type VexDocuments } from './vex-documents.ts';
import {
  vexDocumentKey as vexDocumentKeyOf,
  applicablePolicies,
  errorVerdict,
  evaluateImage,
  imageScopeOf,
  isStale,
  outcomeChanged,
  verdictChanged,
  verdictFromEvaluation,
  type PolicyRef,
  type VexDocument,
} from '@assay/policy-engine';

export interface PolicyEngineOptions {
  store: Store;
  js: JetStreamClient;
  kv: KV;
  logger: Logger;
  clock?: () => Date;
  /** Images re-evaluated at once. */
  concurrency?: number;
  /** Runtime policies and exceptions mirrored into buckets for admission. */
  documents?: DocumentBuckets;
  /** Aggregate verdicts of the indexes listing a digest whose verdict was written. */
  indexes?: IndexVerdicts;
  /** The VEX documents policies name; without it, named documents suppress nothing. */
  vex?: VexDocuments;
}

/** Everything one evaluation reads: all policies and exceptions at one moment. */
export interface Snapshot {
  policies: PolicyRef[];
  exceptions: PolicyException[];
  /** The loaded VEX documents the policies name, by vexDocumentKey. */
  vexDocuments: Map<string, VexDocument>;
  /** Identity of the snapshot's contents: equal keys, same inputs. */
  key: string;
}

export interface EvaluateOutcome {
  digest: string;
  written: boolean;
  announced: boolean;
  verdict?: Verdict;
}

const FAR_FUTURE = new Date(8.64e15);
/** A report judged: the verdict to write and when time alone may change it. */
interface Judged {
  verdict: Verdict;
  reevaluateAt: Date | undefined;
}

export class PolicyEngine {
  readonly index = new Map<string, ImageScope>();
  readonly #o: Required<Omit<PolicyEngineOptions, 'clock' | 'documents' | 'indexes' | 'vex'>> & {
    clock: () => Date;
    documents?: DocumentBuckets;
    indexes?: IndexVerdicts;
    vex?: VexDocuments;
  };
  readonly scheduler: Scheduler;
  /** The verdict entries this engine last read or wrote: its writes start from them. */
  readonly #known = new KnownVerdicts();
  #lastExpiryCheck: Date;
  #stopped = false;
  #catchUp: Promise<{ evaluated: number; written: number }> | undefined;

  constructor(o: PolicyEngineOptions) {
    this.#o = { concurrency: 16, clock: () => new Date(), ...o };
    this.#lastExpiryCheck = this.#o.clock();
    this.scheduler = new Scheduler(
      (keys, at) => this.#onDue(keys, at),
      this.#o.clock,
      (err) => this.#o.logger.error({ err }, 'time-triggered re-evaluation failed'),
    );
  }

  get store(): Store {
    return this.#o.store;
  }

  /** The verdict in the bucket for `digest`, if any. */
  async verdict(digest: string): Promise<Verdict | undefined> {
    return (await readVerdict(this.#o.kv, digest))?.verdict;
  }

  /** Builds the digest index from the stored report heads. */
  async loadIndex(): Promise<void> {
    for await (const meta of allPages((p) => this.#o.store.reports.list(p))) {
      this.index.set(meta.digest, { digest: meta.digest, registry: meta.image.registry, repository: meta.image.repository });
    }
  }

  async snapshot(): Promise<Snapshot> {
    const policies: PolicyRef[] = [];
    for await (const r of allPages((p) => this.#o.store.policies.list(p))) {
      if (r.document) policies.push({ id: r.id, version: r.version, policy: r.document });
    }
    const exceptions: PolicyException[] = [];
    for await (const e of allPages((p) => this.#o.store.exceptions.listActive(this.#o.clock(), p))) exceptions.push(e);
    const vexDocuments = await this.vexDocumentsFor(policies);
    const vexKeys = this.#o.vex?.fingerprint(vexDocuments.keys()) ?? [];
    const key = JSON.stringify([policies.map((p) => [p.id, p.version]), exceptions, vexKeys]);
    return { policies, exceptions, vexDocuments, key };
  }

  /** The loaded VEX documents `policies` name (stored or drafts), by vexDocumentKey. */
  async vexDocumentsFor(policies: readonly PolicyRef[]): Promise<Map<string, VexDocument>> {
    return (await this.#o.vex?.forPolicies(policies.map((p) => p.policy))) ?? new Map();
  }

  /** VEX documents whose content changed (a refresh): the images of the policies naming them. */
  async onVexDocumentsChanged(keys: readonly string[]): Promise<{ evaluated: number; written: number }> {
    const changed = new Set(keys);
    const scopes: ImageAssurancePolicy['scope'][] = [];
    for await (const r of allPages((p) => this.#o.store.policies.list(p))) {
      if (r.document && vexRefs(r.document).some((ref) => changed.has(vexDocumentKeyOf(ref)))) scopes.push(r.document.scope);
    }
    const r = await this.reevaluate(this.digestsInScope(scopes));
    this.#o.logger.info({ documents: keys, images: r.evaluated, written: r.written }, 're-evaluated after a VEX document changed');
    return r;
  }

  /** Evaluates the stored report of `digest` and writes its verdict (compare-and-set). */
  async evaluateDigest(digest: string, snap: Snapshot, causationId?: string): Promise<EvaluateOutcome> {
    const judged = this.#judge(digest, await this.#o.store.reports.get(digest), snap, causationId);
    if (!judged) return { digest, written: false, announced: false };
    return this.#record(digest, judged);
  }

  /** The verdict of `digest`'s stored report under `snap`; undefined (and unindexed) when none is stored. */
  #judge(digest: string, report: ScanReport | undefined, snap: Snapshot, causationId?: string): Judged | undefined {
    if (!report) {
      this.index.delete(digest);
      return undefined;
    }
    this.index.set(digest, imageScopeOf(report));
    const now = this.#o.clock();
    const policies = applicablePolicies(report, snap.policies);
    const evaluation = evaluateImage(report, policies, snap.exceptions, now, { vexDocuments: snap.vexDocuments });
    return { verdict: verdictFromEvaluation(report, evaluation, policies, now, causationId), reevaluateAt: evaluation.reevaluateAt };
  }

  async #record(digest: string, judged: Judged): Promise<EvaluateOutcome> {
    const out = await this.#write(digest, judged.verdict);
    this.scheduler.set(`digest:${digest}`, judged.reevaluateAt);
    return out;
  }

  async #write(digest: string, verdict: Verdict): Promise<EvaluateOutcome> {
    const w = await casVerdict(
      this.#o.kv,
      digest,
      (prev) => (isStale(prev, verdict) || !verdictChanged(prev, verdict) ? undefined : verdict),
      { known: this.#known },
    );
    const announced = w.written && outcomeChanged(w.previous, verdict);
    if (announced) await announceVerdict(this.#o.js, verdict, w.previous, w.data);
    if (w.written) await this.#o.indexes?.platformChanged(digest, verdict.meta?.causationId || undefined);
    return { digest, written: w.written, announced, verdict };
  }

  /**
   * A completed scan. The evaluation is redone when the policies changed while it ran, so the
   * verdict never mixes versions read before and after a change.
   */
  async onScanCompleted(msg: ScanCompleted): Promise<EvaluateOutcome> {
    const image = msg.image;
    const digest = image?.digest ?? '';
    if (!image || digest === '') throw new Error('ScanCompleted without an image digest');
    const causation = msg.meta?.id;
    if (msg.status === ScanStatus.FAILED) {
      this.index.set(digest, { digest, registry: image.registry, repository: image.repository });
      const v = errorVerdict(
        { registry: image.registry, repository: image.repository, digest, tag: image.tag, mediaType: image.mediaType },
        msg.error,
        msg.reportId,
        this.#o.clock(),
        causation,
      );
      return this.#write(digest, v);
    }
    for (let attempt = 0; ; attempt++) {
      const snap = await this.snapshot();
      const out = await this.evaluateDigest(digest, snap, causation);
      // The scanner stores the report before announcing it: missing means not readable yet
      // (retried with backoff) or deleted since (dead-lettered after the allowed deliveries).
      if (!out.verdict) throw new Error(`no stored report for ${digest}`);
      if (attempt >= 3 || (await this.snapshot()).key === snap.key) return out;
    }
  }

  /**
   * Re-evaluates `digests` against one snapshot; returns how many verdicts were written. Reports
   * are read `concurrency` at a time; verdict writes are pipelined (reevaluation.ts).
   */
  async reevaluate(digests: Iterable<string>, causationId?: string): Promise<{ evaluated: number; written: number }> {
    const snap = await this.snapshot();
    return reevaluateAll([...digests], this.#o.concurrency, {
      read: (batch) => this.#o.store.reports.getMany(batch),
      judge: (digest, report) => this.#judge(digest, report, snap, causationId),
      write: (digest, judged) => this.#record(digest, judged),
      stopped: () => this.#stopped,
    });
  }

  /**
   * Re-evaluates every known image once, at start: what changed with time alone while no replica
   * ran (an exception or allow-list entry that expired, a grace period that ended, an image that
   * grew too old) is applied, and the per-image times kept in memory are armed again. Unchanged
   * verdicts are not rewritten.
   */
  catchUp(): Promise<{ evaluated: number; written: number }> {
    this.#catchUp ??= this.reevaluate([...this.index.keys()]);
    return this.#catchUp;
  }

  /** Digests whose image falls within any of the scopes. */
  digestsInScope(scopes: ReadonlyArray<ImageAssurancePolicy['scope']>): string[] {
    const out: string[] = [];
    for (const [d, s] of this.index) if (scopes.some((scope) => inScope(scope, s))) out.push(d);
    return out;
  }

  /**
   * Digests of the indexed images the exceptions can affect: those their image scope covers and,
   * for an exception naming a policy, that the policy's scope covers too (`policyScopes` holds the
   * scope of each named policy that exists; an exception naming none of them affects no verdict).
   */
  exceptionImages(exceptions: readonly PolicyException[], policyScopes: ReadonlyMap<string, ImageAssurancePolicy['scope']>): Set<string> {
    const out = new Set<string>();
    for (const e of exceptions) {
      const policyId = e.scope.policyId;
      if (policyId !== undefined && !policyScopes.has(policyId)) continue;
      const policyScope = policyId !== undefined ? policyScopes.get(policyId) : undefined;
      for (const s of this.index.values()) if (exceptionCoversImage(e, s) && inScope(policyScope, s)) out.add(s.digest);
    }
    return out;
  }

  /** The current scope of each existing image assurance policy the exceptions name. */
  async #policyScopes(exceptions: readonly PolicyException[]): Promise<Map<string, ImageAssurancePolicy['scope']>> {
    const ids = [...new Set(exceptions.map((e) => e.scope.policyId).filter((id): id is string => id !== undefined))];
    const records = await Promise.all(ids.map((id) => this.#o.store.policies.current(id)));
    const out = new Map<string, ImageAssurancePolicy['scope']>();
    for (const [i, id] of ids.entries()) {
      const doc = records[i]?.document;
      if (doc) out.set(id, doc.scope);
    }
    return out;
  }

  /** Which images a change can affect, then re-evaluates them. */
  async onPolicyChanged(msg: PolicyChanged): Promise<{ evaluated: number; written: number }> {
    const causation = msg.meta?.id;
    let affected: string[] = [];
    if (msg.kind === PolicyKind.IMAGE_ASSURANCE) {
      // Old and new version: an image leaving the scope loses the policy's reasons.
      const versions = await Promise.all([
        msg.version > 1 ? this.#o.store.policies.get(msg.policyId, msg.version - 1) : undefined,
        this.#o.store.policies.get(msg.policyId, msg.version),
      ]);
      const scopes = versions.filter((r) => r?.document).map((r) => r!.document!.scope);
      affected = this.digestsInScope(scopes);
      // The documents the new version names are read again: a policy change is how an author
      // says "I updated the VEX", without waiting for the refresh.
      const current = versions[1]?.document;
      if (current) await this.#o.vex?.reload(vexRefs(current));
    } else if (msg.kind === PolicyKind.EXCEPTION) {
      // The images the exception covered before the change or covers after it. Without both
      // versions at hand (an exception older than its history) every image is re-evaluated.
      // An exception naming a policy affects only the images that policy's scope (current version) covers.
      const versions = msg.version > 0 ? await this.#exceptionVersions(msg.policyId, msg.version) : undefined;
      affected = versions ? [...this.exceptionImages(versions, await this.#policyScopes(versions))] : [...this.index.keys()];
    }
    // Runtime policies do not enter verdicts: admission applies them, from its mirror of the bucket.
    if (msg.kind === PolicyKind.RUNTIME) await this.#o.documents?.syncRuntimePolicy(msg.policyId);
    if (msg.kind === PolicyKind.EXCEPTION) await this.#o.documents?.syncException(msg.policyId);
    await this.armExpiries();
    return this.reevaluate(affected, causation);
  }

  /** The exception as it was before version `v` and as it is at `v` (tombstones left out), or undefined when unknown. */
  async #exceptionVersions(id: string, v: number): Promise<PolicyException[] | undefined> {
    const [before, after] = await Promise.all([
      v > 1 ? this.#o.store.exceptionVersions.get(id, v - 1) : undefined,
      this.#o.store.exceptionVersions.get(id, v),
    ]);
    if (!after || (v > 1 && !before)) return undefined;
    return [before?.document, after.document].filter((d): d is PolicyException => d !== null && d !== undefined);
  }

  /**
   * A new vulnerability database. The scanner re-matches the stored reports and announces each
   * image whose findings changed as a ScanCompleted (re-evaluated as it arrives); reports it
   * rewrote already carry the new version, and are re-evaluated here. Images whose findings did
   * not change keep their verdict: nothing it was computed from changed.
   */
  async onVulnDbUpdated(version: string, causationId?: string): Promise<{ evaluated: number; written: number }> {
    const affected: string[] = [];
    for await (const meta of allPages((p) => this.#o.store.reports.list(p))) {
      if (version !== '' && meta.vulnDbVersion === version) affected.push(meta.digest);
    }
    return this.reevaluate(affected, causationId);
  }

  /** The next exception or allow-list expiry after now. */
  async nextExpiry(now: Date): Promise<Date | undefined> {
    let next = (await this.#o.store.exceptions.listExpiringBefore(FAR_FUTURE, now, { limit: 1 })).items[0]?.expiresAt;
    for await (const r of allPages((p) => this.#o.store.policies.list(p))) {
      for (const e of r.document?.controls.vulnerabilities?.allowList ?? []) {
        if (e.expiresAt && e.expiresAt.getTime() > now.getTime() && (!next || e.expiresAt < next)) next = e.expiresAt;
      }
    }
    return next;
  }

  /** Re-arms the expiry timer from the stored exceptions and policies (after any change). */
  async armExpiries(): Promise<void> {
    this.scheduler.set(EXPIRIES, await this.nextExpiry(this.#o.clock()));
  }

  /** Images affected by what expired in (last check, at], and the exceptions that expired. */
  async #expiredSince(at: Date): Promise<{ affected: Set<string>; exceptions: string[] }> {
    const from = this.#lastExpiryCheck.getTime();
    const until = at.getTime();
    const within = (d: Date | undefined) => d !== undefined && d.getTime() > from && d.getTime() <= until;
    const affected = new Set<string>();
    const expiredExceptions: string[] = [];
    const policies = new Map<string, ImageAssurancePolicy>();
    for await (const r of allPages((p) => this.#o.store.policies.list(p))) if (r.document) policies.set(r.id, r.document);
    const expired: PolicyException[] = [];
    for await (const e of allPages((p) => this.#o.store.exceptions.expired(at, p))) {
      if (!within(e.expiresAt)) continue;
      expiredExceptions.push(e.id);
      expired.push(e);
    }
    const scopes = new Map([...policies].map(([id, p]) => [id, p.scope] as const));
    for (const d of this.exceptionImages(expired, scopes)) affected.add(d);
    for (const p of policies.values()) {
      if ((p.controls.vulnerabilities?.allowList ?? []).some((e) => within(e.expiresAt))) {
        for (const d of this.digestsInScope([p.scope])) affected.add(d);
      }
    }
    return { affected, exceptions: expiredExceptions };
  }

  async #onDue(keys: string[], at: Date): Promise<void> {
    const digests = new Set<string>();
    for (const k of keys) if (k.startsWith('digest:')) digests.add(k.slice('digest:'.length));
    if (keys.includes(EXPIRIES)) {
      const expired = await this.#expiredSince(at);
      for (const d of expired.affected) digests.add(d);
      for (const id of expired.exceptions) await this.#o.documents?.syncException(id);
      this.#lastExpiryCheck = at;
      await this.armExpiries();
    }
    if (digests.size === 0) return;
    const r = await this.reevaluate(digests);
    this.#o.logger.info({ images: r.evaluated, written: r.written }, 're-evaluated at expiry');
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#catchUp?.catch(() => undefined);
    await this.scheduler.stop();
  }
}
