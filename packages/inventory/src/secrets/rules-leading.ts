// Trivy's leading rules, in its order: cloud keys, source-hosting tokens, private keys, chat,
// payments and package registries (with the few Assay adds beside the rule they extend).
import { quote, connect, endSecret, aws, withoutWordPrefix, withBoundaries, keyed, r, S, type RuleSpec } from './rule-spec.ts';

export const LEADING_RULES: readonly RuleSpec[] = [
  r('aws-access-key-id', 'AWS', 'AWS Access Key ID', 'CRITICAL', withoutWordPrefix(`(?P<secret>(A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16})${quote}${endSecret}`), ['AKIA', 'AGPA', 'AIDA', 'AROA', 'AIPA', 'ANPA', 'ANVA', 'ASIA'], S),
  r('aws-secret-access-key', 'AWS', 'AWS Secret Access Key', 'CRITICAL', String.raw`(?i)${quote}${aws}(sec(ret)?)?_?(access)?_?key${quote}${connect}${quote}(?P<secret>[A-Za-z0-9\/\+=]{40})${quote}${endSecret}`, ['key'], S),
  r('github-pat', 'GitHub', 'GitHub Personal Access Token', 'CRITICAL', withoutWordPrefix('?P<secret>ghp_[0-9a-zA-Z]{36}'), ['ghp_'], S),
  r('github-oauth', 'GitHub', 'GitHub OAuth Access Token', 'CRITICAL', withoutWordPrefix('?P<secret>gho_[0-9a-zA-Z]{36}'), ['gho_'], S),
  r('github-app-token', 'GitHub', 'GitHub App Token', 'CRITICAL', withoutWordPrefix('?P<secret>(?:ghu_[0-9a-zA-Z]{36}|ghs_[0-9a-zA-Z._-]{36,})'), ['ghu_', 'ghs_'], S),
  r('github-refresh-token', 'GitHub', 'GitHub Refresh Token', 'CRITICAL', withoutWordPrefix('?P<secret>ghr_[0-9a-zA-Z]{76}'), ['ghr_'], S),
  r('github-fine-grained-pat', 'GitHub', 'GitHub Fine-grained personal access tokens', 'CRITICAL', 'github_pat_[a-zA-Z0-9]{22}_[a-zA-Z0-9]{59}', ['github_pat_']),
  r('gitlab-pat', 'GitLab', 'GitLab Personal Access Token', 'CRITICAL', withoutWordPrefix(String.raw`?P<secret>glpat-[0-9a-zA-Z\-\_]{20}`), ['glpat-'], S),
  r('hugging-face-access-token', 'HuggingFace', 'Hugging Face Access Token', 'CRITICAL', withBoundaries('?P<secret>hf_[A-Za-z0-9]{34,40}'), ['hf_'], S),
  r('private-key', 'AsymmetricPrivateKey', 'Asymmetric Private Key', 'HIGH', String.raw`(?i)-----\s*?BEGIN[ A-Z0-9_-]*?PRIVATE KEY( BLOCK)?\s*?-----[\s]*?(?P<secret>[A-Za-z0-9=+/\\][A-Za-z0-9=+/\\\s]{30,}[A-Za-z0-9=+/\\])[\s]*?-----\s*?END[ A-Z0-9_-]*? PRIVATE KEY( BLOCK)?\s*?-----`, ['-----'], S),
  // Not in Trivy: armoured keys with headers (PGP `Version:`/`Comment:`, legacy encrypted PEM
  // `Proc-Type:`/`DEK-Info:`), which the rule above cannot cross. Same id: one rule for users.
  r('private-key', 'AsymmetricPrivateKey', 'Asymmetric Private Key', 'HIGH', String.raw`-----BEGIN[ A-Z0-9_-]*?PRIVATE KEY( BLOCK)?-----\r?\n(?:[A-Za-z][A-Za-z0-9-]*:[^\n]*\r?\n)+\s*(?P<secret>[A-Za-z0-9=+/][A-Za-z0-9=+/\s]{30,}[A-Za-z0-9=+/])\s*-----END[ A-Z0-9_-]*? PRIVATE KEY( BLOCK)?-----`, ['-----BEGIN'], S),
  r('shopify-token', 'Shopify', 'Shopify token', 'HIGH', 'shp(ss|at|ca|pa)_[a-fA-F0-9]{32}', ['shpss_', 'shpat_', 'shpca_', 'shppa_']),
  r('slack-access-token', 'Slack', 'Slack token', 'HIGH', withoutWordPrefix('?P<secret>xox[baprs]-([0-9a-zA-Z]{10,48})'), ['xoxb-', 'xoxa-', 'xoxp-', 'xoxr-', 'xoxs-'], S),
  r('stripe-publishable-token', 'Stripe', 'Stripe Publishable Key', 'LOW', withoutWordPrefix('?P<secret>(?i)pk_(test|live)_[0-9a-z]{10,32}'), ['pk_test_', 'pk_live_'], S),
  r('stripe-secret-token', 'Stripe', 'Stripe Secret Key', 'CRITICAL', withoutWordPrefix('?P<secret>(?i)sk_(test|live)_[0-9a-z]{10,32}'), ['sk_test_', 'sk_live_'], S),
  // Not in Trivy: Stripe restricted keys.
  r('stripe-restricted-key', 'Stripe', 'Stripe Restricted Key', 'CRITICAL', withoutWordPrefix('?P<secret>(?i)rk_(test|live)_[0-9a-z]{10,99}'), ['rk_test_', 'rk_live_'], S),
  r('pypi-upload-token', 'PyPI', 'PyPI upload token', 'HIGH', String.raw`pypi-AgEIcHlwaS5vcmc[A-Za-z0-9\-_]{50,1000}`, ['pypi-AgEIcHlwaS5vcmc']),
  r('gcp-service-account', 'Google', 'Google (GCP) Service-account', 'CRITICAL', String.raw`\"type\": \"service_account\"`, ['"type": "service_account"']),
  r('heroku-api-key', 'Heroku', 'Heroku API Key', 'HIGH', ' ' + keyed('heroku', '[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}'), ['heroku'], S),
  r('slack-web-hook', 'Slack', 'Slack Webhook', 'MEDIUM', String.raw`https:\/\/hooks.slack.com\/services\/[A-Za-z0-9+\/]{44,48}`, ['hooks.slack.com']),
  r('twilio-api-key', 'Twilio', 'Twilio API Key', 'MEDIUM', 'SK[0-9a-fA-F]{32}', ['SK']),
  r('age-secret-key', 'Age', 'Age secret key', 'MEDIUM', 'AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}', ['AGE-SECRET-KEY-1']),
  r('facebook-token', 'Facebook', 'Facebook token', 'LOW', keyed('facebook', '[a-f0-9]{32}'), ['facebook'], S),
  r('twitter-token', 'Twitter', 'Twitter token', 'LOW', keyed('twitter', '[a-f0-9]{35,44}'), ['twitter'], S),
];
