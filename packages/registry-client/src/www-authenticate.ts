// `WWW-Authenticate` parsing (RFC 7235 challenges), enough for registries:
// `Bearer realm="https://auth/token",service="registry",scope="repository:a/b:pull"` and
// `Basic realm="x"`. Several challenges may share one header, separated by commas.

export interface AuthChallenge {
  /** Lower-cased: `bearer`, `basic`. */
  scheme: string;
  /** Parameter names lower-cased; values unquoted. */
  params: Record<string, string>;
}

export function parseWwwAuthenticate(header: string | string[] | undefined): AuthChallenge[] {
  if (header === undefined) return [];
  const headers = Array.isArray(header) ? header : [header];
  const out: AuthChallenge[] = [];
  for (const h of headers) out.push(...parseOne(h));
  return out;
}

function parseOne(input: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let i = 0;
  const n = input.length;
  const skipWs = () => {
    while (i < n && (input[i] === ' ' || input[i] === '\t')) i++;
  };
  const token = () => {
    const start = i;
    while (i < n && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(input[i] ?? '')) i++;
    return input.slice(start, i);
  };
  let current: AuthChallenge | undefined;
  while (i < n) {
    skipWs();
    if (input[i] === ',') {
      i++;
      continue;
    }
    const word = token();
    if (!word) {
      i++; // not a token character: skip it rather than loop forever on a malformed header
      continue;
    }
    skipWs();
    if (input[i] === '=' && current) {
      // `name=value` of the current challenge (a token68 value is not used by registries).
      i++;
      skipWs();
      let value = '';
      if (input[i] === '"') {
        i++;
        while (i < n && input[i] !== '"') {
          if (input[i] === '\\' && i + 1 < n) i++;
          value += input[i];
          i++;
        }
        i++; // closing quote
      } else {
        const start = i;
        while (i < n && input[i] !== ',' && input[i] !== ' ') i++;
        value = input.slice(start, i);
      }
      current.params[word.toLowerCase()] = value;
    } else {
      current = { scheme: word.toLowerCase(), params: {} };
      challenges.push(current);
    }
  }
  return challenges;
}
