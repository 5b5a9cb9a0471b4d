// Writes one namespace's report in each configured format: created when missing, replaced with
// the stored resourceVersion when it says something else (a 409 Conflict re-reads and retries
// once), left alone when it already says the same (no PUT: Policy Reporter and etcd see nothing),
// deleted when the namespace runs nothing any more. Only reports Assay labelled are replaced or
// deleted. The report kinds are not Assay's to install (Policy Reporter and Kyverno ship the
// CRDs): a 404 for the resource is logged once per format and the write skipped, so the metric
// and the audit events go on; the next write tries again (the CRD may be installed later).
import { KubeApiError, type KubeClient, type KubeObject } from '@assay/kube';
import type { Logger } from '@assay/telemetry';
import { REPORT_LABELS, reportObject, reportTarget, sameReport, type ReportFormat } from './report-objects.ts';
import type { ReportContent } from './report-results.ts';

export type WriteOutcome = 'created' | 'replaced' | 'unchanged' | 'deleted' | 'absent' | 'unavailable' | 'foreign';

export interface ReportWriterOptions {
  client: KubeClient;
  formats: readonly ReportFormat[];
  logger: Logger;
  /** Called for each write's outcome (metrics, tests). */
  onWrite?: (format: ReportFormat, outcome: WriteOutcome) => void;
}

const isStatus = (err: unknown, status: number) => err instanceof KubeApiError && err.status === status;

/** A 404 about the namespace, not the resource: `namespaces "x" not found`. */
function namespaceMissing(err: unknown): boolean {
  return /\bnamespaces? "[^"]*" not found/.test((err as Error).message);
}

function ours(obj: KubeObject): boolean {
  const labels = obj.metadata.labels ?? {};
  return Object.entries(REPORT_LABELS).every(([k, v]) => labels[k] === v);
}

export class ReportWriter {
  readonly #o: ReportWriterOptions;
  /** Formats whose resource the API server did not know, already logged. */
  readonly #missing = new Set<ReportFormat>();

  constructor(o: ReportWriterOptions) {
    this.#o = o;
  }

  /** Writes (or deletes, for undefined content) the namespace's reports in every format. */
  async write(namespace: string, content: ReportContent | undefined): Promise<WriteOutcome[]> {
    const outcomes: WriteOutcome[] = [];
    for (const format of this.#o.formats) {
      let outcome: WriteOutcome;
      try {
        outcome = content ? await this.#put(format, namespace, content) : await this.#delete(format, namespace);
        if (this.#missing.delete(format)) this.#o.logger.info({ format }, 'report resource available again: writing reports');
      } catch (err) {
        if (!isStatus(err, 404)) throw err;
        // The namespace itself is gone (deleted while its pods were still listed): nothing to write.
        if (namespaceMissing(err)) {
          this.#o.onWrite?.(format, 'absent');
          outcomes.push('absent');
          continue;
        }
        outcome = 'unavailable';
        if (!this.#missing.has(format)) {
          this.#missing.add(format);
          this.#o.logger.warn(
            { format, err: (err as Error).message },
            'the API server does not serve this report resource (its CRD is not installed: Policy Reporter or Kyverno ship it); reports skipped, metric and audit events go on',
          );
        }
      }
      this.#o.onWrite?.(format, outcome);
      outcomes.push(outcome);
    }
    return outcomes;
  }

  async #put(format: ReportFormat, namespace: string, content: ReportContent): Promise<WriteOutcome> {
    const { ref, name } = reportTarget(format, namespace);
    const wanted = reportObject(format, namespace, content);
    for (let attempt = 0; ; attempt++) {
      const current = await this.#o.client.get(ref, name, namespace || undefined);
      try {
        if (!current) {
          await this.#o.client.create(ref, wanted);
          return 'created';
        }
        if (!ours(current)) return 'foreign';
        if (sameReport(current, wanted)) return 'unchanged';
        const metadata = {
          ...current.metadata,
          labels: { ...current.metadata.labels, ...wanted.metadata.labels },
          annotations: { ...current.metadata.annotations },
        };
        delete metadata.annotations['assay.dev/results-omitted'];
        Object.assign(metadata.annotations, wanted.metadata.annotations ?? {});
        await this.#o.client.replace(ref, { ...wanted, metadata });
        return 'replaced';
      } catch (err) {
        // Someone wrote in between (409 Conflict on replace, AlreadyExists on create): read again, once.
        if (isStatus(err, 409) && attempt === 0) continue;
        throw err;
      }
    }
  }

  async #delete(format: ReportFormat, namespace: string): Promise<WriteOutcome> {
    const { ref, name } = reportTarget(format, namespace);
    const current = await this.#o.client.get(ref, name, namespace || undefined);
    if (!current) return 'absent';
    if (!ours(current)) return 'foreign';
    await this.#o.client.delete(ref, name, namespace || undefined);
    return 'deleted';
  }
}
