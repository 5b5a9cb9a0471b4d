// Field schemas the documents share: timestamps, people-chosen ids, digests, platforms.
import { z } from 'zod';

/**
 * A timestamp. Values are Dates; stored documents hold BSON dates (MongoDB) or ISO-8601
 * strings (SQLite JSON), and both read back as Dates.
 */
export const timestamp = z.preprocess(
  (v) => (typeof v === 'string' ? new Date(v) : v),
  z.date({ error: 'expected a date (a Date or an ISO-8601 string)' }),
);

/** Ids chosen by people (policies, exceptions): short, printable, safe in URLs and logs. */
export const identifier = z.string({ error: 'expected a string' }).regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/, {
  error: 'expected an id of 1-200 letters, digits, ".", "_", ":" or "-" (starting with a letter or digit)',
});

/** A content digest, `sha256:<64 hex>` (or another registered algorithm). */
export const digest = z
  .string({ error: 'expected a digest string' })
  .regex(/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/, { error: 'expected a digest like sha256:<hex>' });

export const nonEmpty = (max = 1000) =>
  z
    .string({ error: 'expected a string' })
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `longer than ${max} characters` });

export const platform = z.strictObject({
  os: nonEmpty(100),
  architecture: nonEmpty(100),
  variant: nonEmpty(100).optional(),
});

/**
 * A platform as people write it: `linux/arm64/v8` (the notation of `docker --platform` and OCI
 * tooling), or the object form; always the object form once parsed.
 */
export const platformSpec = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const [os, architecture, variant, ...rest] = v.trim().toLowerCase().split('/');
  // Left as a string (and refused as one) when it has too many parts to be a platform.
  if (rest.length > 0) return v;
  return { os, architecture, ...(variant !== undefined ? { variant } : {}) };
}, platform);
