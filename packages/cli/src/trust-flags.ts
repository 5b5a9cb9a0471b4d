// What `assay verify` and `assay scan --verify-…` trust, from cosign's flag habits: `--key FILE`
// or `--certificate-identity[-regexp]` with `--certificate-oidc-issuer[-regexp]`, the roots
// (`--trusted-root FILE` replaces the public-good root, as cosign's does), and an optional
// `--attestation-type`. The result is an image assurance policy, so the CLI judges exactly as the
// policy service does.
import { readFile } from 'node:fs/promises';
import type { ParseArgsOptionsConfig } from 'node:util';
import { validateImagePolicy, ValidationError, type ImageAssurancePolicy, type TrustedSigner } from '@assay/domain';
import type { PolicyRef } from '@assay/policy-engine';
import { KeyError, loadTrustedRoots, parsePublicKey, type TrustedRoots } from '@assay/trust';
import { CliError } from './io.ts';

/** The trust flags, named with `prefix` (`''` for `assay verify`, `verify-` for `assay scan`). */
export function trustOptions(prefix: string): ParseArgsOptionsConfig {
  const s = { type: 'string' } as const;
  return {
    [`${prefix}key`]: s,
    [`${prefix}certificate-identity`]: s,
    [`${prefix}certificate-identity-regexp`]: s,
    [`${prefix}certificate-oidc-issuer`]: s,
    [`${prefix}certificate-oidc-issuer-regexp`]: s,
    [`${prefix}trusted-root`]: s,
    [`${prefix}attestation-type`]: s,
  };
}

export const TRUST_FLAGS_USAGE = (
  p: string,
) => `  --${p}key <file.pem>                    trust signatures by this public key (ECDSA, Ed25519, RSA)
  --${p}certificate-identity <id>          trust keyless signatures with this certificate identity
  --${p}certificate-identity-regexp <re>   … or an identity matching this regular expression
  --${p}certificate-oidc-issuer <url>      … issued after login at this OIDC issuer
  --${p}certificate-oidc-issuer-regexp <re>
  --${p}trusted-root <trusted_root.json>   verify certificates against this root instead of
                                           Sigstore's public-good root (air-gapped, private Sigstore)
  --${p}attestation-type <type>            require an attestation instead of a signature:
                                           slsaprovenance, slsaprovenance1, cyclonedx, spdx,
                                           openvex, vuln, or a predicate type URI
`;

export interface TrustRequest {
  /** The policy the flags amount to, as `assay scan --policy` would read it. */
  policy: PolicyRef;
  roots: TrustedRoots;
  /** How the signer is named in output. */
  signer: string;
}

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

async function readFlagFile(flag: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new CliError(`--${flag} ${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

/** Whether any trust flag was given. */
export function hasTrustFlags(values: Values, prefix: string): boolean {
  return Object.keys(trustOptions(prefix)).some((k) => values[k] !== undefined);
}

/** The signer, roots and policy the flags name; a CliError for a missing or contradictory flag. */
export async function trustRequest(values: Values, prefix: string): Promise<TrustRequest> {
  const v = (name: string) => values[`${prefix}${name}`] as string | undefined;
  const key = v('key');
  const identity = v('certificate-identity');
  const identityRegexp = v('certificate-identity-regexp');
  const issuer = v('certificate-oidc-issuer');
  const issuerRegexp = v('certificate-oidc-issuer-regexp');
  const keyless = identity !== undefined || identityRegexp !== undefined || issuer !== undefined || issuerRegexp !== undefined;
  if (key !== undefined && keyless) throw new CliError(`--${prefix}key and --${prefix}certificate-* are alternatives: give one`);
  if (key === undefined && !keyless)
    throw new CliError(
      `say whom to trust: --${prefix}key <file>, or --${prefix}certificate-identity and --${prefix}certificate-oidc-issuer`,
    );
  if (keyless && (identity === undefined) === (identityRegexp === undefined))
    throw new CliError(`give one of --${prefix}certificate-identity or --${prefix}certificate-identity-regexp`);
  if (keyless && (issuer === undefined) === (issuerRegexp === undefined))
    throw new CliError(`give one of --${prefix}certificate-oidc-issuer or --${prefix}certificate-oidc-issuer-regexp`);
  const pem = key !== undefined ? await readFlagFile(`${prefix}key`, key) : undefined;
  if (pem !== undefined) {
    try {
      parsePublicKey(pem);
    } catch (err) {
      if (err instanceof KeyError) throw new CliError(`--${prefix}key ${key}: ${err.message}`);
      throw err;
    }
  }
  const signer: TrustedSigner =
    pem !== undefined
      ? { key: pem }
      : {
          keyless: {
            ...(identity !== undefined ? { identity } : { identityRegexp: identityRegexp! }),
            ...(issuer !== undefined ? { issuer } : { issuerRegexp: issuerRegexp! }),
          },
        };
  const rootFile = v('trusted-root');
  let roots: TrustedRoots;
  try {
    roots = rootFile
      ? loadTrustedRoots({
          publicGood: false,
          documents: [{ name: rootFile, json: await readFlagFile(`${prefix}trusted-root`, rootFile) }],
        })
      : loadTrustedRoots({ publicGood: true });
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`--${prefix}trusted-root ${rootFile ?? ''}: ${(err as Error).message}`.replace(/\s+:/, ':'));
  }
  const type = v('attestation-type');
  const controls: ImageAssurancePolicy['controls'] =
    type !== undefined ? { attestations: [{ type, signers: [signer] }] } : { signatures: { signers: [signer], signedDigest: 'platform' } };
  let policy: ImageAssurancePolicy;
  try {
    policy = validateImagePolicy({ name: 'command line', enabled: true, action: 'block', controls }, 'flags');
  } catch (err) {
    // The key file is no PEM public key, a regular expression does not compile…
    if (err instanceof ValidationError) throw new CliError(err.message);
    throw err;
  }
  const name = key !== undefined ? `key ${key}` : `${identity ?? identityRegexp} (${issuer ?? issuerRegexp})`;
  return { policy: { id: 'verify', version: 1, policy }, roots, signer: name };
}
