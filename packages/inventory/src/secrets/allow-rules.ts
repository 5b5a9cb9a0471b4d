// Builtin allow rules: paths (and matches) that are never reported. Trivy's list
// (pkg/fanal/secret/builtin-allow-rules.go), with an optional leading slash so that both
// layer-relative paths and absolute ones match, plus certificate bundles (public by design),
// placeholder values and the example credentials vendors publish in their documentation (both
// judged on the secret alone, so a real token next to the word `example` is still reported).

export interface AllowRuleSpec {
  readonly id?: string;
  readonly description?: string;
  /** Go RE2 regex on the whole match. */
  readonly regex?: string;
  /** Go RE2 regex on the file path. */
  readonly path?: string;
  /** Go RE2 regex on the secret alone (the rule's secret group, or the whole match). Not in Trivy. */
  readonly secretRegex?: string;
}

// A value written for a human to replace, not a credential: `your-token-here`, `<api-key>`,
// `${NPM_TOKEN}`, `{{ .Token }}`, `changeme`, `xxxxxxxx`, `****`, `...`.
const PLACEHOLDER = String.raw`(?i)^(?:your|my|insert|enter|replace|put|add)[_ .-]?[a-z_ .-]*(?:key|token|secret|password|passwd|pass|here)|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|change[_-]?me|placeholder|redacted|x{8,}|\*{4,}|\.{3,}|[_-]here$`;

// Published in vendor documentation, so known to everyone and never a live credential: AWS's
// IAM examples, Azurite's development-storage key, Stripe's documentation test keys and the
// personal access token shown in GitHub's REST API docs.
const DOCUMENTED = [
  'AKIAIOSFODNN7EXAMPLE',
  'ASIAIOSFODNN7EXAMPLE',
  'AKIAI44QH8DHBEXAMPLE',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
  'sk_test_4eC39HqLyjWDarjtT1zdp7dc',
  'pk_test_TYooMQauvdEDq54NiTphI7jx',
  'sk_test_BQokikJOvBiI2HlWgH4olfQ2',
  'pk_test_6pRNASCoBOKtIshFeQd4XMUh',
  'ghp_16C7e42F292c6912E7710c838347Ae178B4a',
];
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

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
  { id: 'placeholders', description: 'Placeholder values written to be replaced', secretRegex: PLACEHOLDER },
  {
    id: 'documented-examples',
    description: 'Example credentials from vendor documentation',
    secretRegex: DOCUMENTED.map(escapeRe).join('|'),
  },
];
