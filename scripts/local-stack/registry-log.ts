// Which of docker-registry's log lines the local stack shows in the terminal (all of them go to
// <state>/registry/registry.log). Distribution logs every 404 at level=error ("response completed
// with error"), though most are answers, not faults: a push asks for each blob before uploading
// it (blob unknown), and a lookup of a tag never pushed — the demo's unregistered image —
// finds none (manifest unknown, name unknown). Those are shown as what they are; anything else
// at error level stays an error.

/** A line worth showing, at the launcher's level. */
export interface RegistryLogLine {
  level: 'debug' | 'info' | 'error' | 'fatal';
  message: string;
}

/** Distribution's codes for "there is no such thing here". */
const NOT_FOUND_CODES = new Set(['manifest unknown', 'blob unknown', 'name unknown']);

/** The key=value fields of a logfmt line (Distribution's text formatter); quoted values unquoted. */
export function logfmtFields(line: string): Map<string, string> {
  const fields = new Map<string, string>();
  const re = /([\w.]+)=("(?:[^"\\]|\\.)*"|\S*)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    const raw = m[2]!;
    let value = raw;
    if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        value = raw.slice(1, -1);
      }
    }
    fields.set(m[1]!, value);
  }
  return fields;
}

/** How to show `line`, or undefined to leave it in the log file only. */
export function classifyRegistryLine(line: string): RegistryLogLine | undefined {
  const f = logfmtFields(line);
  const level = f.get('level');
  if (level !== 'error' && level !== 'fatal' && level !== 'panic') return undefined;
  const status = f.get('http.response.status');
  const code = f.get('err.code') ?? '';
  const method = f.get('http.request.method') ?? '';
  const uri = f.get('http.request.uri') ?? '';
  if (status === '404' && NOT_FOUND_CODES.has(code)) {
    const what = `${method} ${uri}: 404 ${code}`;
    // A push probing for blobs it has not uploaded yet: routine, shown only when debugging.
    if (code === 'blob unknown') return { level: 'debug', message: `docker-registry: ${what} (a push checking which layers to upload)` };
    return {
      level: 'info',
      message: `docker-registry: ${what} (not in the registry: an image never pushed or deleted; not a registry fault)`,
    };
  }
  return { level: level === 'error' ? 'error' : 'fatal', message: `docker-registry: ${line}` };
}
