// Runtime policies: which namespaces (and clusters, workload and namespace labels) admission
// checks, against which image assurance policies, and what it does with unknown, pending and
// non-compliant images. Versioned documents, like image assurance policies.
import { z } from 'zod';
import { identifier, nonEmpty, platformSpec } from './fields.ts';

/** Patterns are globs over `registry/repository` (`docker.io/library/*`), or namespaces. */
const pattern = nonEmpty(500);

export const RuntimePolicySchema = z.strictObject({
  name: nonEmpty(200),
  description: z.string().max(4000).optional(),
  enabled: z.boolean(),
  /** enforce: admission refuses; audit: admission allows and records what it would refuse. */
  /** warn: admission allows and returns warnings. */
  enforcement: z.enum(['enforce', 'warn', 'audit']),
  scope: z.strictObject({
    /** Namespace globs; `*` for all. */
    namespaces: z.array(pattern).min(1),
    clusters: z.array(pattern).optional(),
    /** Workload labels that must all be equal: the object's own merged with its pod template's. */
    labels: z.record(nonEmpty(317), z.string().max(63)).optional(),
    /**
     * Labels of the namespace that must all be equal (as a namespaceSelector's matchLabels).
     * Admission learns them by watching namespaces (ADMISSION_NAMESPACE_LABELS); while they are
     * unknown a policy naming them does not apply, so the less specific policy governs.
     */
    namespaceLabels: z.record(nonEmpty(317), z.string().max(63)).optional(),
  }),
  /** Image assurance policies applied to images admitted under this policy. */
  imagePolicies: z.array(identifier),
  /** Refuse images the inventory has never seen. */
  blockUnregistered: z.boolean(),
  /** Refuse images whose scan has not finished. */
  blockPending: z.boolean().optional(),
  /**
   * Refuse images whose verdict is non-compliant (default true). false: such an image is
   * admitted, and the decision says so (warnings under enforce and warn, the audit record).
   */
  blockNonCompliant: z.boolean().optional(),
  /**
   * Platforms that decide for a multi-platform image (the node is not known at admission): only
   * these platforms' verdicts count. `linux/amd64` or `{os, architecture, variant?}`; a platform
   * without a variant takes any variant.
   */
  platforms: z.array(platformSpec).min(1),
  allowedRegistries: z.array(pattern).optional(),
  /** What admission does with a known image whose scan has not finished (default: blockPending). */
  pending: z
    .strictObject({
      action: z.enum(['deny', 'allow-and-request-scan', 'wait']),
      /** For `wait`: how long admission may wait for the verdict. */
      waitMs: z.number().int().min(1).max(30_000).optional(),
    })
    .optional(),
  /**
   * Grace for what already runs. Under enforce, a non-compliant image is allowed, with a warning
   * and audited as such, for `days` after its verdict turned non-compliant (the verdict's
   * compliance_since), when it re-creates a workload that was admitted while the image was
   * compliant: a Pod (restart, scale, node drain), or a workload object (ReplicaSet of a rollout
   * restart, a Deployment re-applied) whose images admission reviews. All three must hold:
   * - the digest runs now (the running bucket) in the same namespace under the same owning
   *   workload: the object itself, or its controller owner; a ReplicaSet `web-5d4f8` (whose
   *   `pod-template-hash` label is `5d4f8`) also stands for its Deployment `web`, a Job
   *   `nightly-29012345` for its CronJob `nightly`;
   * - that workload was first seen running the digest before the verdict turned non-compliant;
   * - the grace has not run out (now < compliance_since + days).
   * A workload never seen running (a new Deployment) gets no grace. Warn and audit modes admit
   * the image anyway and are unchanged. After the grace, the runtime policy applies.
   */
  grace: z.strictObject({ days: z.number().int().min(1).max(365) }).optional(),
  /** Never checked: namespace globs and image (registry/repository) globs. */
  exemptions: z.strictObject({ namespaces: z.array(pattern).optional(), images: z.array(pattern).optional() }).optional(),
});
export type RuntimePolicy = z.output<typeof RuntimePolicySchema>;
