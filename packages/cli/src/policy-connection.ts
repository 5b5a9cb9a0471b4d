// Where the policy API is and the token to call it with, for the commands that read verdicts
// (`assay images`, `assay status`): the same `--api <url> --token-file <f>` flags `assay policy` takes.
import { readFile } from 'node:fs/promises';
import { baseUrl } from './http.ts';
import { CliError } from './io.ts';

export interface PolicyConnection {
  /** The API's base URL, without a trailing slash. */
  api: string;
  headers: Record<string, string>;
}

/** The parseArgs options of the connection flags. */
export const CONNECTION_OPTIONS = {
  api: { type: 'string' },
  'token-file': { type: 'string' },
} as const;

export const CONNECTION_HELP = `  --api <url>                    the policy service, e.g. http://policy:8080
  --token-file <f>               file holding the API bearer token (POLICY_API_TOKEN)`;

/** Bytes of a token file read at most: a token is one short line. */
const TOKEN_FILE_MAX = 64 * 1024;

export async function policyConnection(v: { api?: string | undefined; 'token-file'?: string | undefined }): Promise<PolicyConnection> {
  const api = baseUrl(v.api, '--api');
  if (v['token-file'] === undefined) throw new CliError('--token-file <f> is required');
  const text = await readFile(v['token-file'], 'utf8').catch((err: Error) => {
    throw new CliError(`--token-file: ${err.message}`);
  });
  if (text.length > TOKEN_FILE_MAX) throw new CliError('--token-file: too large for a token');
  const token = text.trim();
  if (token === '') throw new CliError('--token-file: the file is empty');
  return { api, headers: { authorization: `Bearer ${token}` } };
}
