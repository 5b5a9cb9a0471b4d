// Running workloads and their verdicts, turned into what a cluster's people look at: a policy
// report per namespace (report-writer.ts), the gauge assay_running_noncompliant_workloads
// {namespace, control}, and an audit event when a running image's verdict turns non-compliant.
//
// It mirrors two buckets: `running` (digest → where it runs, written by the registry-watcher's
// Pod informer) and `verdicts`. A change of either marks the namespaces concerned; each
// namespace is recomputed after `debounceMs` without further change (a database update re-judges
// many images at once: one write per namespace, not one per verdict), one namespace at a time.
// The report is written only when it says something new (compare before PUT).
import { fromBinary } from '@bufbuild/protobuf';
import { mirrorBucket, publishAuditEvent, type KvMirror, type MirrorChange } from '@assay/bus';
import type { ConnectionState } from '@assay/bus';
import { Compliance, RunningImageSchema, Topics, VerdictSchema, type ImageRef, type RunningImage, type Verdict } from '@assay/proto';
import { Buckets } from '@assay/proto';
import type { Logger } from '@assay/telemetry';
import type { Gauge } from '@assay/telemetry';
import type { JetStreamClient } from 'nats';
import { reportContent, type RunningWorkloadState } from './report-results.ts';
import type { ReportWriter } from './report-writer.ts';
import { runningNonCompliantAudit, turnedNonCompliant } from './running-audit.ts';

export interface RunningReportsOptions {
  js: JetStreamClient;
  connection?: ConnectionState;
  writer: ReportWriter;
  logger: Logger;
  /** The gauge assay_running_noncompliant_workloads, labels namespace and control. */
  gauge: Gauge<'namespace' | 'control'>;
  link: (digest: string) => string;
  maxResults: number;
  debounceMs: number;
}

/** `registry/repository:tag` of a running image, for people. */
function imageName(ref: ImageRef | undefined, digest: string): string {
  if (!ref?.repository) return digest;
  return `${ref.registry ? `${ref.registry}/` : ''}${ref.repository}${ref.tag ? `:${ref.tag}` : ''}`;
}

export class RunningReports {
  readonly #o: RunningReportsOptions;
  #running: KvMirror<RunningImage> | undefined;
  #verdicts: KvMirror<Verdict> | undefined;
  /** Namespace → running-bucket keys of the digests running there. */
  readonly #byNamespace = new Map<string, Set<string>>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** Controls each namespace's gauge has a value for (to remove those no longer failing). */
  readonly #gaugeControls = new Map<string, Set<string>>();
  #queue: Promise<void> = Promise.resolve();
  #inFlight = 0;
  #stopped = false;

  constructor(o: RunningReportsOptions) {
    this.#o = o;
  }

  /** Mirrors both buckets and writes every namespace's report once they are loaded. */
  async start(): Promise<void> {
    const mirror = <T>(bucket: string, decode: (b: Uint8Array) => T, onChange: (c: MirrorChange<T>) => void) =>
      mirrorBucket<T>({
        js: this.#o.js,
        bucket,
        decode,
        onChange,
        logger: this.#o.logger,
        ...(this.#o.connection ? { connection: this.#o.connection } : {}),
      });
    this.#running = await mirror(
      Buckets.running.name,
      (b) => fromBinary(RunningImageSchema, b),
      (c) => this.#onRunning(c),
    );
    this.#verdicts = await mirror(
      Buckets.verdicts.name,
      (b) => fromBinary(VerdictSchema, b),
      (c) => this.#onVerdict(c),
    );
    await Promise.all([this.#running.synced, this.#verdicts.synced]);
    for (const ns of this.#byNamespace.keys()) this.#schedule(ns);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    await Promise.all([this.#running?.stop(), this.#verdicts?.stop()]);
    await this.#queue;
  }

  /** Resolves when no namespace waits to be written (tests). */
  async idle(): Promise<void> {
    while (this.#timers.size > 0 || this.#inFlight > 0) await new Promise((r) => setTimeout(r, 20));
  }

  #onRunning(c: MirrorChange<RunningImage>): void {
    const namespaces = new Set<string>();
    for (const w of c.previous?.workloads ?? []) namespaces.add(w.namespace);
    for (const ns of namespaces) this.#byNamespace.get(ns)?.delete(c.key);
    if (c.op === 'put') {
      for (const w of c.value.workloads) {
        namespaces.add(w.namespace);
        let keys = this.#byNamespace.get(w.namespace);
        if (!keys) this.#byNamespace.set(w.namespace, (keys = new Set()));
        keys.add(c.key);
      }
    }
    if (this.#running?.isSynced()) for (const ns of namespaces) this.#schedule(ns);
  }

  #onVerdict(c: MirrorChange<Verdict>): void {
    const where = this.#running?.get(c.key);
    if (!where || !this.#verdicts?.isSynced()) return;
    for (const ns of new Set(where.workloads.map((w) => w.namespace))) this.#schedule(ns);
    if (c.op === 'put' && turnedNonCompliant(c.value, c.previous)) {
      const verdict = c.value;
      for (const w of where.workloads) {
        const event = runningNonCompliantAudit(verdict, c.previous, where.image, w);
        publishAuditEvent(this.#o.js, Topics.auditPolicy, event).catch((err: unknown) =>
          this.#o.logger.error({ err, digest: where.digest, namespace: w.namespace }, 'running non-compliant audit event not published'),
        );
      }
      this.#o.logger.warn(
        { digest: where.digest, workloads: where.workloads.length },
        'a running image turned non-compliant (Assay never evicts: see the namespace reports)',
      );
    }
  }

  #schedule(ns: string): void {
    if (this.#stopped) return;
    const t = this.#timers.get(ns);
    if (t) clearTimeout(t);
    this.#timers.set(
      ns,
      setTimeout(() => {
        this.#timers.delete(ns);
        this.#inFlight++;
        this.#queue = this.#queue
          .then(() => this.#recompute(ns))
          .catch((err: unknown) => {
            this.#o.logger.error({ err, namespace: ns }, 'running workloads report not written; retried at the next change');
          })
          .finally(() => this.#inFlight--);
      }, this.#o.debounceMs),
    );
  }

  /** The namespaces with running workloads, sorted (read-only: the console's overview). */
  namespaces(): string[] {
    return [...this.#byNamespace.keys()].sort();
  }

  /** The workloads running in a namespace, each with its digest's verdict. */
  workloads(ns: string): RunningWorkloadState[] {
    const out: RunningWorkloadState[] = [];
    for (const key of this.#byNamespace.get(ns) ?? []) {
      const img = this.#running?.get(key);
      if (!img) continue;
      const verdict = this.#verdicts?.get(key);
      for (const w of img.workloads) {
        if (w.namespace !== ns) continue;
        out.push({
          namespace: ns,
          kind: w.kind,
          name: w.name,
          pods: w.pods,
          digest: img.digest,
          image: imageName(img.image, img.digest),
          verdict,
        });
      }
    }
    return out;
  }

  async #recompute(ns: string): Promise<void> {
    if (this.#stopped) return;
    const workloads = this.workloads(ns);
    this.#updateGauge(ns, workloads);
    if (workloads.length === 0) this.#byNamespace.delete(ns);
    const content = workloads.length ? reportContent(workloads, { link: this.#o.link, maxResults: this.#o.maxResults }) : undefined;
    await this.#o.writer.write(ns, content);
  }

  /** Non-compliant workloads per failing (blocking) control. */
  #updateGauge(ns: string, workloads: RunningWorkloadState[]): void {
    const counts = new Map<string, number>();
    for (const w of workloads) {
      if (w.verdict?.compliance !== Compliance.NON_COMPLIANT) continue;
      const controls = new Set(w.verdict.reasons.filter((r) => !r.auditOnly).map((r) => r.control));
      for (const c of controls) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    const before = this.#gaugeControls.get(ns) ?? new Set<string>();
    for (const c of before) if (!counts.has(c)) this.#o.gauge.remove({ namespace: ns, control: c });
    for (const [c, n] of counts) this.#o.gauge.set({ namespace: ns, control: c }, n);
    if (counts.size) this.#gaugeControls.set(ns, new Set(counts.keys()));
    else this.#gaugeControls.delete(ns);
  }
}
