// Where the policy API is and the token to call it with, for every command that calls it
// (`assay policy`, `assay images`, `assay status`): `--api <url> --token-file <f>`, else the
// context's (context.ts: `--context`, ASSAY_CONTEXT, or the .assay/local-stack.json of
// `npm start`). Flags win; the context's token is sent only to the context's own URL.
import { readFile } from 'node:fs/promises';
import { CONTEXT_OPTION, contextHint, resolveContext, sameUrl } from './context.ts';
import { baseUrl } from './http.ts';
import { CliError } from './io.ts';

export interface PolicyConnection {
  /** The API's base URL, without a trailing slash. */
  api: string;
  headers: Record<string, string>;
}

/** The parseArgs options of the connection flags. */
export const CONNECTION_OPTIONS = {
  ...CONTEXT_OPTION,
  api: { type: 'string' },
  'token-file': { type: 'string' },
} as const;

export const CONNECTION_HELP = `  --api <url>                    the policy service, e.g. http://policy:8080 (default: the context's)
  --token-file <f>               file holding the API bearer token (POLICY_API_TOKEN; default: the context's)
  --context <file>               a context file; default ASSAY_CONTEXT, else the .assay/local-stack.json of \`npm start\``;

/** Bytes of a token file read at most: a token is one short line. */
const TOKEN_FILE_MAX = 64 * 1024;

async function tokenFromFile(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch((err: Error) => {
    throw new CliError(`--token-file: ${err.message}`);
  });
  if (text.length > TOKEN_FILE_MAX) throw new CliError('--token-file: too large for a token');
  const token = text.trim();
  if (token === '') throw new CliError('--token-file: the file is empty');
  return token;
}

export async function policyConnection(v: {
  api?: string | undefined;
  'token-file'?: string | undefined;
  context?: string | undefined;
}): Promise<PolicyConnection> {
  const ctx = await resolveContext(v);
  const missing = (what: string): never => {
    throw new CliError(`${what} is required${contextHint(ctx)}`);
  };
  const api = baseUrl(v.api ?? ctx.policyApi?.url ?? missing('--api <url>'), '--api');
  const own = ctx.policyApi && sameUrl(api, ctx.policyApi.url) ? ctx.policyApi.token : undefined;
  let token: string;
  if (v['token-file'] !== undefined) token = await tokenFromFile(v['token-file']);
  else if (own !== undefined) token = own;
  else
    token = missing(
      v.api !== undefined && ctx.policyApi ? "--token-file <f> (the context's token is for its own --api only)" : '--token-file <f>',
    );
  return { api, headers: { authorization: `Bearer ${token}` } };
}
