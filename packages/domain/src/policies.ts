// Image assurance policies: what an image must satisfy (vulnerability thresholds, secrets,
// malware, licences, base images, packages, config, custom checks, registries). Policies are
// versioned documents (see versioned.ts): a verdict cites "policy p v7".
import { z } from 'zod';
import { identifier, nonEmpty, timestamp } from './fields.ts';
import { TrustedSignerSchema } from './trust.ts';
import { validate } from './validation.ts';

/** Patterns are globs over `registry/repository` (`docker.io/library/*`). */
const pattern = nonEmpty(500);

export const ImageAssurancePolicySchema = z.strictObject({
  name: nonEmpty(200),
  description: z.string().max(4000).optional(),
  enabled: z.boolean(),
  /** block: a failing image is non-compliant; audit: the failure is reported only. */
  action: z.enum(['block', 'audit']),
  scope: z
    .strictObject({
      registries: z.array(pattern).optional(),
      repositories: z.array(pattern).optional(),
      /** Image label globs (`org.opencontainers.image.vendor: acme*`): every one must match. */
      labels: z.record(nonEmpty(317), nonEmpty(500)).optional(),
    })
    .optional(),
  controls: z.strictObject({
    vulnerabilities: z
      .strictObject({
        /** The most severe level still allowed. */
        maxSeverity: z.enum(['critical', 'high', 'medium', 'low', 'negligible']),
        ignoreUnfixed: z.boolean().optional(),
        /** Ids (CVE-…, GHSA-…) that fail an image whatever their severity. */
        deny: z.array(nonEmpty(100)).optional(),
        /** Ids accepted whatever their severity (prefer exceptions, which expire). */
        allow: z.array(nonEmpty(100)).optional(),
        /** Fail on any finding with a CVSS score at or above this. */
        maxCvss: z.number().min(0).max(10).optional(),
        /** Accepted ids, each with its reason and (preferably) an expiry. */
        allowList: z.array(z.strictObject({ id: nonEmpty(100), reason: nonEmpty(4000), expiresAt: timestamp.optional() })).optional(),
        /** Days a fixable finding is tolerated after its fix was published. */
        gracePeriodDays: z.number().int().min(0).max(3650).optional(),
        /**
         * OpenVEX statements attested by these signers suppress the findings they name
         * (`not_affected`, `fixed`); each suppression is recorded in the verdict.
         */
        vex: z
          .strictObject({
            signers: z.array(TrustedSignerSchema).min(1).max(50),
            statuses: z
              .array(z.enum(['not_affected', 'fixed']))
              .min(1)
              .optional(),
          })
          .optional(),
        /**
         * Unsigned VEX documents (OpenVEX or CycloneDX VEX) the policy names: their `not_affected`
         * and `fixed` statements suppress the findings they cover, each recorded in the verdict.
         * `file` is relative to the policy service's POLICY_VEX_DIR; `url` is fetched and cached.
         */
        vexDocuments: z
          .array(
            z.union([
              z.strictObject({
                file: nonEmpty(1000).refine((f) => !f.startsWith('/') && !f.split(/[\\/]/).includes('..'), {
                  error: 'must be a relative path without ".."',
                }),
              }),
              z.strictObject({ url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).max(2000) }),
            ]),
          )
          .min(1)
          .max(20)
          .optional(),
      })
      .optional(),
    sensitiveData: z
      .strictObject({
        block: z.boolean(),
        ignoreRules: z.array(nonEmpty(200)).optional(),
        /** Only these rules block; every rule when absent. */
        rules: z.array(nonEmpty(200)).optional(),
      })
      .optional(),
    malware: z.strictObject({ block: z.boolean() }).optional(),
    licences: z
      .strictObject({
        /** SPDX identifiers or expressions refused. */
        denied: z.array(nonEmpty(200)).optional(),
        /** SPDX identifiers accepted; anything else is refused (an `OR` passes if one option is allowed). */
        allowed: z.array(nonEmpty(200)).optional(),
      })
      .optional(),
    baseImages: z.strictObject({ allowed: z.array(pattern).min(1) }).optional(),
    packages: z
      .strictObject({
        denied: z
          .array(z.strictObject({ name: nonEmpty(300), type: nonEmpty(50).optional(), versions: nonEmpty(300).optional() }))
          .optional(),
        /** Packages that must be present (in a version within `versions` when given). */
        required: z
          .array(z.strictObject({ name: nonEmpty(300), type: nonEmpty(50).optional(), versions: nonEmpty(300).optional() }))
          .optional(),
      })
      .optional(),
    config: z
      .strictObject({
        forbidRootUser: z.boolean().optional(),
        requireHealthcheck: z.boolean().optional(),
        /** Oldest image accepted, by its config `created` time. */
        maxAgeDays: z.number().int().min(1).max(36500).optional(),
      })
      .optional(),
    customChecks: z.array(z.strictObject({ id: identifier, required: z.boolean() })).optional(),
    /** Who must have signed the image: any of `signers`, or `required` of them (N of M). */
    signatures: z
      .strictObject({
        signers: z.array(TrustedSignerSchema).min(1).max(50),
        /** How many distinct signers must have signed; 1 (any of them) when absent. */
        required: z.number().int().min(1).max(50).optional(),
        /**
         * Which signed digest counts for a platform image: its own manifest's (`platform`), the
         * index it belongs to (`index`), or either (default). An index is judged by its platforms.
         */
        signedDigest: z.enum(['platform', 'index', 'either']).optional(),
        /** A cosign payload's `docker-reference` must name the image's repository (default true). */
        matchReference: z.boolean().optional(),
      })
      .refine((s) => (s.required ?? 1) <= s.signers.length, { error: 'required is more than the number of signers' })
      .optional(),
    /** Attestations that must be present, signed by a trusted signer, with predicates as given. */
    attestations: z
      .array(
        z.strictObject({
          /** slsaprovenance, cyclonedx, spdx, openvex, vuln (cosign's names), or a predicate type URI. */
          type: nonEmpty(1000),
          signers: z.array(TrustedSignerSchema).min(1).max(50),
          /** SLSA provenance: builder ids allowed (exact). */
          builderIds: z.array(nonEmpty(2000)).min(1).optional(),
          /** SLSA provenance: source repository globs (`https://github.com/acme/*`). */
          sourceRepositories: z.array(nonEmpty(2000)).min(1).optional(),
          /** SLSA provenance: build types allowed (exact). */
          buildTypes: z.array(nonEmpty(2000)).min(1).optional(),
        }),
      )
      .min(1)
      .max(20)
      .optional(),
    /** Registry globs images may come from. */
    registries: z.strictObject({ allowed: z.array(pattern).min(1) }).optional(),
    /** Fail on any finding whose CVE is in CISA's Known Exploited Vulnerabilities catalogue. */
    kev: z
      .strictObject({
        block: z.boolean(),
        /** Only entries known to be used in ransomware campaigns. */
        ransomwareOnly: z.boolean().optional(),
      })
      .optional(),
    /** Fail on any finding whose CVE's EPSS score (0..1) or percentile (0..1) is at or above these. */
    epss: z
      .strictObject({ minScore: z.number().min(0).max(1).optional(), minPercentile: z.number().min(0).max(1).optional() })
      .refine((e) => e.minScore !== undefined || e.minPercentile !== undefined, { error: 'set minScore or minPercentile' })
      .optional(),
    /** Fail an image whose OS release is past the end of its security support. */
    osEndOfLife: z
      .strictObject({
        block: z.boolean(),
        /** Fail this many days before the date already (time to move to a supported release). */
        daysBefore: z.number().int().min(0).max(3650).optional(),
      })
      .optional(),
  }),
});
export type ImageAssurancePolicy = z.output<typeof ImageAssurancePolicySchema>;

/** Validates an image assurance policy without storing it (dry runs); ValidationError naming the field. */
export function validateImagePolicy(document: unknown, root = 'policy'): ImageAssurancePolicy {
  return validate(ImageAssurancePolicySchema, document, root);
}
