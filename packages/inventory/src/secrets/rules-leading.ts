// Trivy's leading rules, in its order: cloud keys, source-hosting tokens, private keys, chat,
// payments and package registries (with the few Assay adds beside the rule they extend).
// Each was reviewed against its token's published grammar (gitleaks' and TruffleHog's detectors,
// the vendors' format docs): the whole token is matched (so the mask covers all of it), bounded
// by any non-token character rather than a quote or a space, with an entropy floor where a
// placeholder can have the token's shape. Entropy floors are gitleaks' unless noted.
import { withoutWordPrefix, withBoundaries, token, keyed, r, S, type RuleSpec } from './rule-spec.ts';

export const LEADING_RULES: readonly RuleSpec[] = [
  r(
    'aws-access-key-id',
    'AWS',
    'AWS Access Key ID',
    'CRITICAL',
    // Real ids are base32 ([A-Z2-7]); [A-Z0-9] is kept because Trivy's test data uses 0, 1, 8, 9.
    token('(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}'),
    ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'A3T', 'AGPA', 'AIDA', 'AROA', 'AIPA', 'ANPA', 'ANVA'],
    S,
    { entropy: 3 },
  ),
  r(
    'aws-secret-access-key',
    'AWS',
    'AWS Secret Access Key',
    'CRITICAL',
    // The key names of env files, SDK configs (`aws.secretKey`), `aws iam create-access-key`
    // output (`SecretAccessKey`) and Kubernetes env entries (`name: …KEY` / `value: …`); the 40
    // characters end at anything that cannot continue them. The entropy floor is low because
    // Trivy's own test data expects a three-symbol value (`KEYKEY…`) to be reported.
    String.raw`(?i)["'\x60]?(?:aws[._-]?(?:sec(?:ret)?)?[._-]?(?:access)?[._-]?key|secret[._-]?access[._-]?key)["'\x60]?(?:\s*(?::=|=>|:|=|,)?\s*|["']?\s*\r?\n\s*value\s*:\s*)["'\x60]?(?P<secret>[A-Za-z0-9\/\+=]{40})(?:[^A-Za-z0-9\/\+=]|$)`,
    ['key'],
    S,
    { entropy: 1.5 },
  ),
  // Not in Trivy: Terraform's AWS provider block names it plain `secret_key` (a name too common
  // to match anywhere else). Same id: one rule for users.
  r(
    'aws-secret-access-key',
    'AWS',
    'AWS Secret Access Key',
    'CRITICAL',
    String.raw`provider\s+"aws"\s*\{[^}]{0,500}?secret_key\s*=\s*"(?P<secret>[A-Za-z0-9\/\+=]{40})"`,
    ['secret_key'],
    S,
    { entropy: 3 },
  ),
  r('github-pat', 'GitHub', 'GitHub Personal Access Token', 'CRITICAL', withoutWordPrefix('?P<secret>ghp_[0-9a-zA-Z]{36}'), ['ghp_'], S, {
    entropy: 3,
  }),
  r('github-oauth', 'GitHub', 'GitHub OAuth Access Token', 'CRITICAL', withoutWordPrefix('?P<secret>gho_[0-9a-zA-Z]{36}'), ['gho_'], S, {
    entropy: 3,
  }),
  r(
    'github-app-token',
    'GitHub',
    'GitHub App Token',
    'CRITICAL',
    withoutWordPrefix('?P<secret>(?:ghu_[0-9a-zA-Z]{36}|ghs_[0-9a-zA-Z._-]{36,})'),
    ['ghu_', 'ghs_'],
    S,
    { entropy: 3 },
  ),
  // Refresh tokens are 76 characters after the prefix; gitleaks and older docs show 36.
  r(
    'github-refresh-token',
    'GitHub',
    'GitHub Refresh Token',
    'CRITICAL',
    withoutWordPrefix('?P<secret>ghr_[0-9a-zA-Z]{36,76}'),
    ['ghr_'],
    S,
    {
      entropy: 3,
    },
  ),
  r(
    'github-fine-grained-pat',
    'GitHub',
    'GitHub Fine-grained personal access tokens',
    'CRITICAL',
    'github_pat_[a-zA-Z0-9]{22}_[a-zA-Z0-9]{59}',
    ['github_pat_'],
    undefined,
    { entropy: 3 },
  ),
  r(
    'gitlab-pat',
    'GitLab',
    'GitLab Personal Access Token',
    'CRITICAL',
    // Legacy tokens are 20 characters; routable ones (GitLab 17.x) are longer and end in
    // `.<2><7>` (gitleaks) or `.<2>.<9>` (TruffleHog): matched whole so the mask does not stop at
    // character 20.
    withoutWordPrefix(String.raw`?P<secret>glpat-[0-9a-zA-Z\-\_]{20,300}(?:\.[0-9a-z]{2}(?:\.[0-9a-z]{9}|[0-9a-z]{7}))?`),
    ['glpat-'],
    S,
    { entropy: 3 },
  ),
  // Not in Trivy: GitLab's other token prefixes (deploy, runner, pipeline trigger, feed, incoming
  // mail, service account, OAuth application, agent, feature flags) and runner registration.
  r(
    'gitlab-token',
    'GitLab',
    'GitLab Token',
    'HIGH',
    withoutWordPrefix(
      String.raw`?P<secret>(?:(?:gldt|glrt|glptt|glft|glimt|glsoat|gloas|glagent|glffct)-[0-9a-zA-Z_\-]{20,300}|GR1348941[0-9a-zA-Z_\-]{20})`,
    ),
    // The prefixes found in images (deploy, runner, pipeline trigger, OAuth application, runner
    // registration) stand for the rest: chosen when each keyword cost a pass over each file. All
    // keywords now share one pass (./keywords.ts), so the others could be added; that would change
    // which files the rule reads, so it is left to a rule review.
    ['gldt-', 'glrt-', 'glptt-', 'gloas-', 'GR1348941'],
    S,
    { entropy: 3 },
  ),
  r(
    'hugging-face-access-token',
    'HuggingFace',
    'Hugging Face Access Token',
    'CRITICAL',
    withBoundaries('?P<secret>hf_[A-Za-z0-9]{34,40}'),
    ['hf_'],
    S,
  ),
  r(
    'private-key',
    'AsymmetricPrivateKey',
    'Asymmetric Private Key',
    'HIGH',
    String.raw`(?i)-----\s*?BEGIN[ A-Z0-9_-]*?PRIVATE KEY( BLOCK)?\s*?-----[\s]*?(?P<secret>[A-Za-z0-9=+/\\][A-Za-z0-9=+/\\\s]{30,}[A-Za-z0-9=+/\\])[\s]*?-----\s*?END[ A-Z0-9_-]*? PRIVATE KEY( BLOCK)?\s*?-----`,
    ['-----'],
    S,
    // Not gitleaks': a base64 body is near 6 bits; `xxxx…` or `AAAA…` filler is not a key.
    { entropy: 3 },
  ),
  // Not in Trivy: armoured keys with headers (PGP `Version:`/`Comment:`, legacy encrypted PEM
  // `Proc-Type:`/`DEK-Info:`), which the rule above cannot cross. Same id: one rule for users.
  r(
    'private-key',
    'AsymmetricPrivateKey',
    'Asymmetric Private Key',
    'HIGH',
    String.raw`-----BEGIN[ A-Z0-9_-]*?PRIVATE KEY( BLOCK)?-----\r?\n(?:[A-Za-z][A-Za-z0-9-]*:[^\n]*\r?\n)+\s*(?P<secret>[A-Za-z0-9=+/][A-Za-z0-9=+/\s]{30,}[A-Za-z0-9=+/])\s*-----END[ A-Z0-9_-]*? PRIVATE KEY( BLOCK)?-----`,
    ['-----BEGIN'],
    S,
    { entropy: 3 },
  ),
  r('shopify-token', 'Shopify', 'Shopify token', 'HIGH', 'shp(ss|at|ca|pa)_[a-fA-F0-9]{32}', ['shpss_', 'shpat_', 'shpca_', 'shppa_']),
  r(
    'slack-access-token',
    'Slack',
    'Slack token',
    'HIGH',
    // Bot/user/legacy tokens are dash-separated (`xoxb-<team>-<bot>-<secret>`, `xoxp-…-<hex>`):
    // Trivy's form stopped at the first dash, leaving the secret part unmasked. Also app-level
    // (`xapp-1-A…-<digits>-<hex>`), configuration (`xoxe.xoxp-1-…`) and refresh (`xoxe-1-…`) tokens.
    // A token ends at anything but [0-9A-Za-z-], so `xoxp-…-…-…-####` (a redacted one) is not one.
    token(
      String.raw`xox[bpos]-\d{6,14}-(?:\d{6,14}-){0,3}[0-9a-zA-Z]{6,250}|xox[ar]-(?:\d-)?[0-9a-zA-Z]{8,48}(?:-[0-9a-zA-Z]{6,48}){0,4}|xoxe\.xox[bp]-\d-[0-9a-zA-Z]{100,200}|xoxe-\d-[0-9a-zA-Z]{100,200}|xapp-\d-[0-9A-Z]{6,20}-\d{6,16}-[0-9a-zA-Z]{20,100}`,
      String.raw`0-9a-zA-Z\-`,
    ),
    ['xox', 'xapp-'],
    S,
    { entropy: 3 },
  ),
  r(
    'stripe-publishable-token',
    'Stripe',
    'Stripe Publishable Key',
    'LOW',
    withoutWordPrefix('?P<secret>(?i)pk_(test|live)_[0-9a-z]{10,247}'),
    ['pk_test_', 'pk_live_'],
    S,
  ),
  r(
    'stripe-secret-token',
    'Stripe',
    'Stripe Secret Key',
    'CRITICAL',
    // Current keys run to ~100 characters (`sk_live_51…`): matched whole, not cut at 32.
    withoutWordPrefix('?P<secret>(?i)sk_(test|live)_[0-9a-z]{10,247}'),
    ['sk_test_', 'sk_live_'],
    S,
    { entropy: 3 },
  ),
  // Not in Trivy: Stripe restricted keys.
  r(
    'stripe-restricted-key',
    'Stripe',
    'Stripe Restricted Key',
    'CRITICAL',
    withoutWordPrefix('?P<secret>(?i)rk_(test|live)_[0-9a-z]{10,247}'),
    ['rk_test_', 'rk_live_'],
    S,
    { entropy: 3 },
  ),
  r(
    'pypi-upload-token',
    'PyPI',
    'PyPI upload token',
    'HIGH',
    String.raw`pypi-AgEIcHlwaS5vcmc[A-Za-z0-9\-_]{50,1000}`,
    ['pypi-AgEIcHlwaS5vcmc'],
    undefined,
    { entropy: 3 },
  ),
  r('gcp-service-account', 'Google', 'Google (GCP) Service-account', 'CRITICAL', String.raw`\"type\": \"service_account\"`, [
    '"type": "service_account"',
  ]),
  // Not in Trivy: Google API keys (`AIza` + 35 base64url characters).
  r('gcp-api-key', 'Google', 'Google API Key', 'HIGH', token(String.raw`AIza[0-9A-Za-z_\-]{35}`, String.raw`0-9A-Za-z_\-`), ['AIza'], S, {
    entropy: 3.5,
  }),
  r(
    'heroku-api-key',
    'Heroku',
    'Heroku API Key',
    'HIGH',
    // Trivy's form wanted a space before the key and quotes around the value: neither is needed.
    String.raw`(?i)(?P<key>heroku[a-z0-9_ .\-,]{0,25})(=|>|:=|\|\|:|<=|=>|:).{0,5}?["'\x60]?(?P<secret>[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12})(?:[^0-9A-Za-z\-]|$)`,
    ['heroku'],
    S,
    { entropy: 3 },
  ),
  // The path is the secret (the URL stays readable); workflow and trigger URLs too (gitleaks).
  r(
    'slack-web-hook',
    'Slack',
    'Slack Webhook',
    'MEDIUM',
    String.raw`(?:https?:\/\/)?hooks\.slack\.com\/(?:services|workflows|triggers)\/(?P<secret>[A-Za-z0-9+\/]{43,56})`,
    ['hooks.slack.com'],
    S,
    { entropy: 3 },
  ),
  // Starts with the literal (no leading boundary group): the keyword `sk` is in most files, and a
  // pattern that opens with a literal is searched far faster. `SK` cannot sit inside a hex run.
  r('twilio-api-key', 'Twilio', 'Twilio API Key', 'MEDIUM', '(?P<secret>SK[0-9a-fA-F]{32})([^0-9a-zA-Z_]|$)', ['SK'], S, {
    entropy: 3,
  }),
  r('age-secret-key', 'Age', 'Age secret key', 'MEDIUM', 'AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}', ['AGE-SECRET-KEY-1']),
  r('facebook-token', 'Facebook', 'Facebook token', 'LOW', keyed('facebook', '[a-f0-9]{32}'), ['facebook'], S),
  r('twitter-token', 'Twitter', 'Twitter token', 'LOW', keyed('twitter', '[a-f0-9]{35,44}'), ['twitter'], S),
];
