// Lockfiles and manifests read as documents: one place that parses each format, with the limit
// that keeps untrusted YAML bounded, and that turns a syntax error into the parser's warning
// (`not JSON: …`) — analyzers never throw on bad input.
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { errMsg } from './util.ts';

const FORMATS = {
  JSON: (s: string): unknown => JSON.parse(s),
  TOML: (s: string): unknown => parseToml(s),
  // Aliases expand without bound (a "billion laughs" document): a lockfile needs few.
  YAML: (s: string): unknown => parseYaml(s, { maxAliasCount: 100 }),
};

export type DocumentFormat = keyof typeof FORMATS;

/** The parsed document, or the warning saying why the text is not one. */
export type DocumentRead = { doc: unknown; error?: undefined } | { doc?: undefined; error: string };

export function readDocument(content: string, format: DocumentFormat): DocumentRead {
  try {
    return { doc: FORMATS[format](content) };
  } catch (e) {
    return { error: `not ${format}: ${errMsg(e)}` };
  }
}
