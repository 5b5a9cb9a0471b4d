// Builtin allow rules: paths (and matches) that are never reported. Trivy's list
// (pkg/fanal/secret/builtin-allow-rules.go), with an optional leading slash so that both
// layer-relative paths and absolute ones match, plus certificate bundles (public by design).

export interface AllowRuleSpec {
  readonly id?: string;
  readonly description?: string;
  /** Go RE2 regex on the whole match. */
  readonly regex?: string;
  /** Go RE2 regex on the file path. */
  readonly path?: string;
}

export const BUILTIN_ALLOW_RULES: readonly AllowRuleSpec[] = [
  { id: 'tests', description: 'Avoid test files and paths', path: String.raw`(^(?i)test|\/test|-test|_test|\.test)` },
  { id: 'examples', description: 'Avoid example files and paths', path: 'example', regex: '(?i)example' },
  { id: 'vendor', description: 'Vendor dirs', path: String.raw`\/vendor\/` },
  { id: 'usr-dirs', description: 'System dirs', path: String.raw`^\/?usr\/(?:share|include|lib)\/` },
  { id: 'locale-dir', description: 'Locales directory contains locales file', path: String.raw`\/locales?\/` },
  { id: 'markdown', description: 'Markdown files', path: String.raw`\.md$` },
  { id: 'node.js', description: 'Node container images', path: String.raw`^\/?opt\/yarn-v[\d.]+\/` },
  { id: 'golang', description: 'Go container images', path: String.raw`^\/?usr\/local\/go\/` },
  { id: 'python', description: 'Python container images', path: String.raw`^\/?usr\/local\/lib\/python[\d.]+\/` },
  { id: 'rubygems', description: 'Ruby container images', path: String.raw`^\/?usr\/lib\/gems\/` },
  { id: 'wordpress', description: 'Wordpress container images', path: String.raw`^\/?usr\/src\/wordpress\/` },
  { id: 'anaconda-log', description: 'Anaconda CI Logs in container images', path: String.raw`^\/?var\/log\/anaconda\/` },
  {
    id: 'ca-bundles',
    description: 'Trusted CA certificate bundles',
    path: String.raw`^\/?etc\/(?:ssl\/certs|pki\/ca-trust|pki\/tls\/certs|ca-certificates)\/`,
  },
];
