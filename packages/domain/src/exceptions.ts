// Policy exceptions: a documented, expiring permission for something a policy would refuse
// (a CVE in one repository until a fix ships). Expiry is a query, not a deletion: the policy
// service re-evaluates when an exception expires, and the record stays for the audit trail.
import { z } from 'zod';
import { digest, identifier, nonEmpty, timestamp } from './fields.ts';

/** The controls of an image assurance policy: what an exception's scope may name. */
export const CONTROLS = [
  'vulnerabilities',
  'sensitiveData',
  'malware',
  'licences',
  'baseImages',
  'packages',
  'config',
  'customChecks',
  'registries',
  'signatures',
  'attestations',
  'kev',
  'epss',
  'osEndOfLife',
] as const;

export const ExceptionScopeSchema = z
  .strictObject({
    /** The image assurance policy it applies to; every policy when absent. */
    policyId: identifier.optional(),
    control: z.enum(CONTROLS).optional(),
    registry: nonEmpty(300).optional(),
    /** Repository glob within `registry`. */
    repository: nonEmpty(500).optional(),
    /** One image only. */
    digest: digest.optional(),
    /** Vulnerability ids (CVE-…, GHSA-…), package names or rule ids excepted; all when absent. */
    items: z.array(nonEmpty(300)).optional(),
    /** Namespace globs: for break-glass exceptions, where admission may let the image in. */
    namespaces: z.array(nonEmpty(300)).optional(),
  })
  .refine((s) => Object.keys(s).length > 0, {
    error: 'must narrow the exception (policyId, control, registry, repository, digest or items)',
  });

export const PolicyExceptionSchema = z
  .strictObject({
    id: identifier,
    scope: ExceptionScopeSchema,
    reason: nonEmpty(4000),
    createdBy: nonEmpty(200),
    createdAt: timestamp,
    expiresAt: timestamp,
    /** Break-glass: admission admits matching images whatever their verdict (audited with this id). */
    breakGlass: z.boolean().optional(),
  })
  .refine((e) => e.expiresAt.getTime() > e.createdAt.getTime(), {
    error: 'must be after createdAt',
    path: ['expiresAt'],
  });
export type PolicyException = z.output<typeof PolicyExceptionSchema>;
