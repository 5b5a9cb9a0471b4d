// Answering one AdmissionReview: parse, resolve tags the mirror does not know (within one lookup
// budget for the whole review), decide from memory, wait for a pending verdict when the runtime
// policy says so (bounded from the same start, well under the webhook timeout), then hand the
// audit event and any scan request to the outbox — never waiting for NATS. A dry run
// (`request.dryRun`) is answered the same way and leaves nothing behind: no audit event, no scan
// request (the webhooks declare sideEffects: NoneOnDryRun).
import { create } from '@bufbuild/protobuf';
import { newEventMeta, type KvMirror } from '@assay/bus';
import type { ImageReference } from '@assay/image-ref';
import { TtlLru } from '@assay/kit';
import { digestBucketKey, ScanRequestedSchema, Topics, type Verdict } from '@assay/proto';
import {
  decisionResponse,
  evaluateRequest,
  ImageFieldError,
  imagesOf,
  mayBeGoverned,
  parseAdmissionReview,
  parseImageReference,
  pinDigestsPatch,
  pinningResponse,
  resolveFromMemory,
  ReviewError,
  wantsPinning,
  type AdmissionRequest,
  type AdmissionReviewResponse,
  type DecisionSnapshot,
  type ImageField,
  type RequestOutcome,
} from '@assay/review-engine';
import { auditEventOf, imageRefOf } from './audit.ts';
import type { OutboundEvent } from './publisher.ts';
import type { Outbox } from './outbox.ts';
import type { AuditBatcher } from './audit-batcher.ts';
import type { TagResolver, Unresolved } from './resolve.ts';

export interface AdmissionHandlerOptions {
  snapshot: DecisionSnapshot;
  /** The verdicts mirror: its change events end a wait for a pending verdict. */
  verdicts: Pick<KvMirror<Verdict>, 'on'>;
  resolver: TagResolver;
  outbox: Outbox<OutboundEvent>;
  /** Collects the audit events of decisions into batches for the outbox. */
  audit: Pick<AuditBatcher, 'add'>;
  producer: string;
  /** Longest wait for a pending verdict, in ms, from the review's arrival. */
  decisionDeadlineMs: number;
  /** Budget of one review's tag lookups, in ms, from its arrival. */
  lookupBudgetMs: number;
  pinAllDigests: boolean;
  /**
   * Namespace labels, when runtime policies may scope on them: a namespace the watch has not
   * delivered is looked up (bounded) before deciding.
   */
  namespaces?: { lookup(namespace: string): Promise<void> };
  /** Seconds the decision state has not been current, undefined while it is: recorded in each audit event. */
  staleSeconds?(): number | undefined;
  /** Observes each decision (metrics). */
  onDecision?(outcome: RequestOutcome): void;
  /** Observes each dry-run review answered without side effects (metrics). */
  onDryRun?(webhook: 'validate' | 'mutate'): void;
}

const NONE: ReadonlyMap<string, Unresolved> = new Map();

/** How long a scan request for one digest is not repeated. */
const SCAN_REQUEST_TTL_MS = 60_000;

export class AdmissionHandler {
  readonly #o: AdmissionHandlerOptions;
  readonly #scanRequested = new TtlLru<true>(10_000);

  constructor(opts: AdmissionHandlerOptions) {
    this.#o = opts;
  }

  /** POST /validate. Throws ReviewError for a malformed review. */
  async validate(body: unknown): Promise<AdmissionReviewResponse> {
    const arrived = Date.now();
    const request = parseAdmissionReview(body);
    const outcome = await this.#decide(request, arrived);
    this.#afterDecision(outcome, this.#o.staleSeconds?.());
    return decisionResponse(outcome);
  }

  /** POST /mutate: allowed (validation is /validate's job), with a digest-pinning patch when asked. */
  async mutate(body: unknown): Promise<AdmissionReviewResponse> {
    const arrived = Date.now();
    const request = parseAdmissionReview(body);
    if (request.dryRun) this.#o.onDryRun?.('mutate');
    // Nothing to pin: allowed, unchanged.
    if (!wantsPinning(request, this.#o.pinAllDigests)) return pinningResponse(request);
    // Pinning needs digests, never namespace labels.
    // A tag not resolved within the budget is left as written (nothing to pin it to).
    const { fields } = await this.#resolveMisses(request, { tags: true, namespace: false }, arrived);
    const outcome = evaluateRequest(request, this.#o.snapshot, { fields, waitExpired: true });
    const patch = pinDigestsPatch(outcome);
    // A changed object is audited (what was pinned to which digest); /validate audits the decision.
    if (patch.length > 0 && !request.dryRun) {
      const staleSeconds = this.#o.staleSeconds?.();
      setImmediate(() =>
        this.#o.audit.add(
          auditEventOf({ ...outcome, allowed: true }, this.#o.producer, { pinned: patch.map((op) => op.path), staleSeconds }),
        ),
      );
    }
    return pinningResponse(request, patch);
  }

  async #decide(request: AdmissionRequest, started: number): Promise<RequestOutcome> {
    // A namespace no runtime policy can govern is allowed unjudged: no registry lookups for it.
    const governed = mayBeGoverned(request, this.#o.snapshot);
    const { fields, unresolved } = await this.#resolveMisses(request, { tags: governed, namespace: governed }, started);
    const opts = unresolved.size > 0 ? { fields, unresolved: this.#whyUnresolved(unresolved) } : { fields };
    let outcome = evaluateRequest(request, this.#o.snapshot, opts);
    // The first deadline the policy asked for holds: re-evaluating must not extend it.
    const until = outcome.waiting ? Math.min(outcome.waiting.deadline.getTime(), started + this.#o.decisionDeadlineMs) : 0;
    while (outcome.waiting) {
      const changed = Date.now() < until && (await this.#verdictChange(outcome.waiting.digests, until));
      outcome = evaluateRequest(request, this.#o.snapshot, changed ? opts : { ...opts, waitExpired: true });
      if (!changed) break;
    }
    return outcome;
  }

  /**
   * Looks up in their registries the tags neither mirror nor cache knows, within the lookup
   * budget counted from `started` (the process bounds how many run at once), and the namespace's
   * labels when the watch lacks it (each only when `wanted`: in a namespace no policy can govern,
   * neither can change the decision). Returns the request's image fields (for the decision, so
   * they are found once) and the canonical tags still without an answer, with why.
   */
  async #resolveMisses(
    request: AdmissionRequest,
    wanted: { tags: boolean; namespace: boolean },
    started: number,
  ): Promise<{ fields: ImageField[]; unresolved: ReadonlyMap<string, Unresolved> }> {
    let fields;
    try {
      fields = imagesOf(request);
    } catch (err) {
      if (err instanceof ImageFieldError) throw new ReviewError(`request.object: ${err.message}`);
      throw err;
    }
    const misses: ImageReference[] = [];
    for (const f of wanted.tags ? fields : []) {
      let ref: ImageReference;
      try {
        ref = parseImageReference(f.reference);
      } catch {
        continue; // decided (refused) as invalid
      }
      if (resolveFromMemory(ref, this.#o.snapshot) === undefined) misses.push(ref);
    }
    // The namespace lookup (a no-op for a namespace the watch knows) runs alongside the tag lookups.
    const namespace =
      wanted.namespace && this.#o.namespaces && request.namespace ? this.#o.namespaces.lookup(request.namespace) : undefined;
    const unresolved = misses.length > 0 ? await this.#o.resolver.resolveAll(misses, started + this.#o.lookupBudgetMs) : NONE;
    if (namespace) await namespace;
    return { fields, unresolved };
  }

  /** The text a decision gives for each tag without a digest: why it has none (canonical tag → reason). */
  #whyUnresolved(unresolved: ReadonlyMap<string, Unresolved>): Map<string, string> {
    const budget = `${+(this.#o.lookupBudgetMs / 1000).toFixed(3)} s lookup budget`;
    const text: Record<Unresolved, string> = {
      late: `its tag was not resolved within the ${budget}`,
      timeout: `its tag was not resolved within the ${budget} (the registry did not answer in time)`,
      error: 'its tag could not be resolved to a digest (the registry lookup failed)',
    };
    return new Map([...unresolved].map(([key, why]) => [key, text[why]]));
  }

  /** Resolves true when a verdict of one of `digests` changes before `until`, false at `until`. */
  #verdictChange(digests: readonly string[], until: number): Promise<boolean> {
    const keys = new Set(digests.map(digestBucketKey));
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(false);
      }, until - Date.now());
      const off = this.#o.verdicts.on('change', (c) => {
        if (!keys.has(c.key)) return;
        clearTimeout(timer);
        off();
        resolve(true);
      });
    });
  }

  #afterDecision(outcome: RequestOutcome, staleSeconds: number | undefined): void {
    this.#o.onDecision?.(outcome);
    if (outcome.request.dryRun) {
      // Nothing leaves admission for a dry run: the API server persists nothing either.
      this.#o.onDryRun?.('validate');
      return;
    }
    // Built and queued after the answer is on its way; the outbox publishes in the background.
    setImmediate(() => {
      this.#o.audit.add(auditEventOf(outcome, this.#o.producer, { staleSeconds }));
      for (const ref of outcome.scanRequests) {
        const digest = ref.digest!;
        if (this.#scanRequested.get(digest)) continue;
        this.#scanRequested.set(digest, true, SCAN_REQUEST_TTL_MS);
        this.#o.outbox.push({
          kind: 'scan',
          topic: Topics.scanRequested,
          message: create(ScanRequestedSchema, {
            meta: newEventMeta(this.#o.producer),
            image: imageRefOf(ref, digest),
            reason: `admission: ${outcome.request.kind.kind} ${outcome.request.namespace}/${outcome.request.name} uses an image not scanned yet`,
            requestedBy: this.#o.producer,
          }),
        });
      }
    });
  }
}
