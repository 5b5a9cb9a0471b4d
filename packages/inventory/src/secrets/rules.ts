// The builtin secret rules: Trivy's (pkg/fanal/secret/builtin-rules.go, Apache-2.0), regexes kept
// in their Go syntax (translated by ./regex.ts), plus a few rules Trivy lacks for files found in
// images (PEM keys with headers, .npmrc/.pypirc, Docker config.json auths, kubeconfigs).

/** A rule as declared: regexes are Go RE2 strings. */
export interface RuleSpec {
  readonly id: string;
  readonly category: string;
  readonly title: string;
  /** Trivy's severity words (CRITICAL, HIGH…); missing or unknown → unknown. */
  readonly severity?: string;
  readonly regex: string;
  /** Prefilter: the regex runs only if one of these occurs in the file (case-insensitive). */
  readonly keywords?: readonly string[];
  /** Only files whose path matches. */
  readonly path?: string;
  /** Group(s) of the match that are the secret (masked); the whole match when absent. */
  readonly secretGroupName?: string;
  readonly allowRules?: readonly { readonly id?: string; readonly description?: string; readonly regex?: string; readonly path?: string }[];
  /** Prefilter: the regex runs only if all of these occur in the file (case-insensitive). */
  readonly requireAll?: readonly string[];
}

// Trivy's reusable fragments.
const quote = `["']?`;
const connect = String.raw`\s*(:|=>|=)?\s*`;
const endSecret = String.raw`[.,]?(\s+|$)`;
const startWord = '([^0-9a-zA-Z_]|^)';
const endWord = '([^0-9a-zA-Z_]|$)';
const aws = 'aws_?';
const withoutWordPrefix = (s: string) => `${startWord}(${s})`;
const withBoundaries = (s: string) => `${startWord}(${s})${endWord}`;
/** Trivy's generic `<vendor>… = "<secret>"` form. */
const keyed = (vendor: string, secret: string) => String.raw`(?i)(?P<key>${vendor}[a-z0-9_ .\-,]{0,25})(=|>|:=|\|\|:|<=|=>|:).{0,5}['\"](?P<secret>${secret})['\"]`;

type R = RuleSpec;
const r = (id: string, category: string, title: string, severity: string | undefined, regex: string, keywords: string[], secretGroupName?: string, extra: Partial<R> = {}): R => ({
  id,
  category,
  title,
  ...(severity ? { severity } : {}),
  regex,
  keywords,
  ...(secretGroupName ? { secretGroupName } : {}),
  ...extra,
});
const S = 'secret';

export const BUILTIN_RULES: readonly RuleSpec[] = [
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
  r('adobe-client-id', 'Adobe', 'Adobe Client ID (Oauth Web)', 'LOW', keyed('adobe', '[a-f0-9]{32}'), ['adobe'], S),
  r('adobe-client-secret', 'Adobe', 'Adobe Client Secret', 'LOW', '(p8e-)(?i)[a-z0-9]{32}', ['p8e-']),
  r('alibaba-access-key-id', 'Alibaba', 'Alibaba AccessKey ID', 'HIGH', '([^0-9A-Za-z]|^)(?P<secret>(LTAI)(?i)[a-z0-9]{20})([^0-9A-Za-z]|$)', ['LTAI'], S),
  r('alibaba-secret-key', 'Alibaba', 'Alibaba Secret Key', 'HIGH', keyed('alibaba', '[a-z0-9]{30}'), ['alibaba'], S),
  r('asana-client-id', 'Asana', 'Asana Client ID', 'MEDIUM', keyed('asana', '[0-9]{16}'), ['asana'], S),
  r('asana-client-secret', 'Asana', 'Asana Client Secret', 'MEDIUM', keyed('asana', '[a-z0-9]{32}'), ['asana'], S),
  r('atlassian-api-token', 'Atlassian', 'Atlassian API token', 'HIGH', keyed('atlassian', '[a-z0-9]{24}'), ['atlassian'], S),
  r('bitbucket-client-id', 'Bitbucket', 'Bitbucket client ID', 'HIGH', keyed('bitbucket', '[a-z0-9]{32}'), ['bitbucket'], S),
  r('bitbucket-client-secret', 'Bitbucket', 'Bitbucket client secret', 'HIGH', keyed('bitbucket', String.raw`[a-z0-9_\-]{64}`), ['bitbucket'], S),
  r('beamer-api-token', 'Beamer', 'Beamer API token', 'LOW', keyed('beamer', String.raw`b_[a-z0-9=_\-]{44}`), ['beamer'], S),
  r('clojars-api-token', 'Clojars', 'Clojars API token', 'MEDIUM', '(CLOJARS_)(?i)[a-z0-9]{60}', ['CLOJARS_']),
  r('contentful-delivery-api-token', 'ContentfulDelivery', 'Contentful delivery API token', 'LOW', keyed('contentful', String.raw`[a-z0-9\-=_]{43}`), ['contentful'], S),
  r('databricks-api-token', 'Databricks', 'Databricks API token', 'MEDIUM', 'dapi[a-h0-9]{32}', ['dapi']),
  r('discord-api-token', 'Discord', 'Discord API key', 'MEDIUM', keyed('discord', '[a-h0-9]{64}'), ['discord'], S),
  r('discord-client-id', 'Discord', 'Discord client ID', 'MEDIUM', keyed('discord', '[0-9]{18}'), ['discord'], S),
  r('discord-client-secret', 'Discord', 'Discord client secret', 'MEDIUM', keyed('discord', String.raw`[a-z0-9=_\-]{32}`), ['discord'], S),
  r('doppler-api-token', 'Doppler', 'Doppler API token', 'MEDIUM', String.raw`['\"](dp\.pt\.)(?i)[a-z0-9]{43}['\"]`, ['dp.pt.']),
  r('dropbox-api-secret', 'Dropbox', 'Dropbox API secret/key', 'HIGH', String.raw`(?i)(dropbox[a-z0-9_ .\-,]{0,25})(=|>|:=|\|\|:|<=|=>|:).{0,5}['\"]([a-z0-9]{15})['\"]`, ['dropbox']),
  r('dropbox-short-lived-api-token', 'Dropbox', 'Dropbox short lived API token', 'HIGH', String.raw`(?i)(dropbox[a-z0-9_ .\-,]{0,25})(=|>|:=|\|\|:|<=|=>|:).{0,5}['\"](sl\.[a-z0-9\-=_]{135})['\"]`, ['dropbox']),
  r('dropbox-long-lived-api-token', 'Dropbox', 'Dropbox long lived API token', 'HIGH', String.raw`(?i)(dropbox[a-z0-9_ .\-,]{0,25})(=|>|:=|\|\|:|<=|=>|:).{0,5}['\"][a-z0-9]{11}(AAAAAAAAAA)[a-z0-9\-_=]{43}['\"]`, ['dropbox']),
  r('duffel-api-token', 'Duffel', 'Duffel API token', 'LOW', String.raw`['\"]duffel_(test|live)_(?i)[a-z0-9_-]{43}['\"]`, ['duffel_test_', 'duffel_live_']),
  r('dynatrace-api-token', 'Dynatrace', 'Dynatrace API token', 'MEDIUM', String.raw`['\"]dt0c01\.(?i)[a-z0-9]{24}\.[a-z0-9]{64}['\"]`, ['dt0c01.']),
  r('easypost-api-token', 'Easypost', 'EasyPost API token', 'LOW', String.raw`['\"]EZ[AT]K(?i)[a-z0-9]{54}['\"]`, ['EZAK', 'EZAT']),
  r('fastly-api-token', 'Fastly', 'Fastly API token', 'MEDIUM', keyed('fastly', String.raw`[a-z0-9\-=_]{32}`), ['fastly'], S),
  r('finicity-client-secret', 'Finicity', 'Finicity client secret', 'MEDIUM', keyed('finicity', '[a-z0-9]{20}'), ['finicity'], S),
  r('finicity-api-token', 'Finicity', 'Finicity API token', 'MEDIUM', keyed('finicity', '[a-f0-9]{32}'), ['finicity'], S),
  r('flutterwave-public-key', 'Flutterwave', 'Flutterwave public/secret key', 'MEDIUM', withoutWordPrefix('?P<secret>FLW(PUB|SEC)K_TEST-(?i)[a-h0-9]{32}-X'), ['FLWSECK_TEST-', 'FLWPUBK_TEST-'], S),
  r('flutterwave-enc-key', 'Flutterwave', 'Flutterwave encrypted key', 'MEDIUM', withoutWordPrefix('?P<secret>FLWSECK_TEST[a-h0-9]{12}'), ['FLWSECK_TEST'], S),
  r('frameio-api-token', 'Frameio', 'Frame.io API token', 'LOW', String.raw`fio-u-(?i)[a-z0-9\-_=]{64}`, ['fio-u-']),
  r('gocardless-api-token', 'GoCardless', 'GoCardless API token', 'MEDIUM', String.raw`['\"]live_(?i)[a-z0-9\-_=]{40}['\"]`, ['live_']),
  r('grafana-api-token', 'Grafana', 'Grafana API token', 'MEDIUM', String.raw`['\"]?eyJrIjoi(?i)[a-z0-9\-_=]{72,92}['\"]?`, ['eyJrIjoi']),
  r('hashicorp-tf-api-token', 'HashiCorp', 'HashiCorp Terraform user/org API token', 'MEDIUM', String.raw`['\"](?i)[a-z0-9]{14}\.atlasv1\.[a-z0-9\-_=]{60,70}['\"]`, ['atlasv1.']),
  r('hubspot-api-token', 'HubSpot', 'HubSpot API token', 'LOW', keyed('hubspot', '[a-h0-9]{8}-[a-h0-9]{4}-[a-h0-9]{4}-[a-h0-9]{4}-[a-h0-9]{12}'), ['hubspot'], S),
  r('intercom-api-token', 'Intercom', 'Intercom API token', 'LOW', keyed('intercom', '[a-z0-9=_]{60}'), ['intercom'], S),
  r('intercom-client-secret', 'Intercom', 'Intercom client secret/ID', 'LOW', keyed('intercom', '[a-h0-9]{8}-[a-h0-9]{4}-[a-h0-9]{4}-[a-h0-9]{4}-[a-h0-9]{12}'), ['intercom'], S),
  r('ionic-api-token', 'Ionic', 'Ionic API token', undefined, String.raw`(?i)(ionic[a-z0-9_ .\-,]{0,25})(=|>|:=|\|\|:|<=|=>|:).{0,5}['\"](ion_[a-z0-9]{42})['\"]`, ['ionic']),
  // The optional `ghs_<APPID>_` prefix drops the JWT inside a stateless GitHub App token (reported once, by github-app-token).
  r('jwt-token', 'JWT', 'JWT token', 'MEDIUM', String.raw`(?:ghs_[0-9]+_)?(?P<secret>ey[a-zA-Z0-9]{17,}\.ey[a-zA-Z0-9\/\\_-]{17,}\.(?:[a-zA-Z0-9\/\\_-]{10,}={0,2})?)`, ['.eyJ'], S, { allowRules: [{ id: 'stateless-ghs-jwt', regex: '^ghs_' }] }),
  r('linear-api-token', 'Linear', 'Linear API token', 'MEDIUM', 'lin_api_(?i)[a-z0-9]{40}', ['lin_api_']),
  r('linear-client-secret', 'Linear', 'Linear client secret/ID', 'MEDIUM', keyed('linear', '[a-f0-9]{32}'), ['linear'], S),
  r('lob-api-key', 'Lob', 'Lob API Key', 'LOW', keyed('lob', '(live|test)_[a-f0-9]{35}'), ['lob'], S),
  r('lob-pub-api-key', 'Lob', 'Lob Publishable API Key', 'LOW', keyed('lob', '(test|live)_pub_[a-f0-9]{31}'), ['lob'], S),
  r('mailchimp-api-key', 'Mailchimp', 'Mailchimp API key', 'MEDIUM', keyed('mailchimp', '[a-f0-9]{32}-us20'), ['mailchimp'], S),
  r('mailgun-token', 'Mailgun', 'Mailgun private API token', 'MEDIUM', keyed('mailgun', '(pub)?key-[a-f0-9]{32}'), ['mailgun'], S),
  r('mailgun-signing-key', 'Mailgun', 'Mailgun webhook signing key', 'MEDIUM', keyed('mailgun', '[a-h0-9]{32}-[a-h0-9]{8}-[a-h0-9]{8}'), ['mailgun'], S),
  r('mapbox-api-token', 'Mapbox', 'Mapbox API token', 'MEDIUM', String.raw`(?i)(pk\.[a-z0-9]{60}\.[a-z0-9]{22})`, ['pk.']),
  r('messagebird-api-token', 'MessageBird', 'MessageBird API token', 'MEDIUM', keyed('messagebird', '[a-z0-9]{25}'), ['messagebird'], S),
  r('messagebird-client-id', 'MessageBird', 'MessageBird API client ID', 'MEDIUM', keyed('messagebird', '[a-h0-9]{8}-[a-h0-9]{4}-[a-h0-9]{4}-[a-h0-9]{4}-[a-h0-9]{12}'), ['messagebird'], S),
  r('new-relic-user-api-key', 'NewRelic', 'New Relic user API Key', 'MEDIUM', String.raw`['\"](NRAK-[A-Z0-9]{27})['\"]`, ['NRAK-']),
  r('new-relic-user-api-id', 'NewRelic', 'New Relic user API ID', 'MEDIUM', keyed('newrelic', '[A-Z0-9]{64}'), ['newrelic'], S),
  r('new-relic-browser-api-token', 'NewRelic', 'New Relic ingest browser API token', 'MEDIUM', String.raw`['\"](NRJS-[a-f0-9]{19})['\"]`, ['NRJS-']),
  r('npm-access-token', 'Npm', 'npm access token', 'CRITICAL', String.raw`['\"](npm_(?i)[a-z0-9]{36})['\"]`, ['npm_']),
  r('planetscale-password', 'Planetscale', 'PlanetScale password', 'MEDIUM', String.raw`pscale_pw_(?i)[a-z0-9\-_\.]{43}`, ['pscale_pw_']),
  r('planetscale-api-token', 'Planetscale', 'PlanetScale API token', 'MEDIUM', String.raw`pscale_tkn_(?i)[a-z0-9\-_\.]{43}`, ['pscale_tkn_']),
  r('private-packagist-token', 'Private Packagist', 'Private Packagist token', 'HIGH', 'packagist_[ou][ru]t_(?i)[a-f0-9]{68}', ['packagist_uut_', 'packagist_ort_', 'packagist_out_']),
  r('postman-api-token', 'Postman', 'Postman API token', 'MEDIUM', String.raw`PMAK-(?i)[a-f0-9]{24}\-[a-f0-9]{34}`, ['PMAK-']),
  r('pulumi-api-token', 'Pulumi', 'Pulumi API token', 'HIGH', 'pul-[a-f0-9]{40}', ['pul-']),
  r('rubygems-api-token', 'RubyGems', 'Rubygem API token', 'MEDIUM', 'rubygems_[a-f0-9]{48}', ['rubygems_']),
  r('sendgrid-api-token', 'SendGrid', 'SendGrid API token', 'MEDIUM', String.raw`SG\.(?i)[a-z0-9_\-\.]{66}`, ['SG.']),
  r('sendinblue-api-token', 'Sendinblue', 'Sendinblue API token', 'LOW', String.raw`xkeysib-[a-f0-9]{64}\-(?i)[a-z0-9]{16}`, ['xkeysib-']),
  r('shippo-api-token', 'Shippo', 'Shippo API token', 'LOW', 'shippo_(live|test)_[a-f0-9]{40}', ['shippo_live_', 'shippo_test_']),
  r('linkedin-client-secret', 'LinkedIn', 'LinkedIn Client secret', 'LOW', keyed('linkedin', '[a-z]{16}'), ['linkedin'], S),
  r('linkedin-client-id', 'LinkedIn', 'LinkedIn Client ID', 'LOW', keyed('linkedin', '[a-z0-9]{14}'), ['linkedin'], S),
  r('twitch-api-token', 'Twitch', 'Twitch API token', 'LOW', keyed('twitch', '[a-z0-9]{30}'), ['twitch'], S),
  r('typeform-api-token', 'Typeform', 'Typeform API token', 'LOW', String.raw`(?i)(?P<key>typeform[a-z0-9_ .\-,]{0,25})(=|>|:=|\|\|:|<=|=>|:).{0,5}(?P<secret>tfp_[a-z0-9\-_\.=]{59})`, ['typeform'], S),
  r('dockerconfig-secret', 'Docker', 'Dockerconfig secret exposed', 'HIGH', String.raw`(?i)(\.(dockerconfigjson|dockercfg):\s*\|*\s*(?P<secret>(ey|ew)+[A-Za-z0-9\/\+=]+))`, ['dockerc'], S),
  r('symfony-default-secret', 'Symfony', 'Symfony Default Secret', 'HIGH', 'ThisTokenIsNotSoSecretChangeIt|ThisEzPlatformTokenIsNotSoSecret_PleaseChangeIt', ['TokenIsNotSoSecret']),
  r('azure-storage-account-key', 'Azure', 'Azure Storage Account Key', 'CRITICAL', String.raw`(?i)AccountKey\s*=\s*(?P<secret>[A-Za-z0-9+/]{86}==)`, ['AccountKey'], S),
  r('azure-sas-token', 'Azure', 'Azure Shared Access Signature Token', 'HIGH', String.raw`sv=\d{4}-\d{2}-\d{2}(?:[&;][a-z]+=[^&\s'"]*){1,12}[&;]sig=(?P<secret>[A-Za-z0-9%+/=]{40,})`, ['sig=', 'sv='], S),
  r('azure-devops-pat', 'Azure', 'Azure DevOps Personal Access Token', 'HIGH', String.raw`(?i)(?:azure[_\-]?devops|ado)[_\-]?(?:pat|token|personal.?access.?token)\s*[:=]\s*["']?(?P<secret>[a-z2-7]{52})["']?`, ['azure_devops', 'azuredevops', 'azure-devops', 'ado_pat', 'ado_token', 'ado-pat', 'ado-token'], S),
  r('azure-entra-client-secret', 'Azure', 'Azure Entra ID Client Secret', 'CRITICAL', String.raw`(?:[^a-zA-Z0-9_~.\-]|\A)(?P<secret>[a-zA-Z0-9_~.\-]{3}8Q~[a-zA-Z0-9_~.\-]{34})(?:[^a-zA-Z0-9_~.\-]|\z)`, ['8Q~'], S),
  r('azure-container-registry-credential', 'Azure', 'Azure Container Registry Credential', 'CRITICAL', '(?P<secret>[A-Za-z0-9+/]{52}JQQJ99C[A-Z]ACYeBjFEqg7NAAA[A-Z]AZCR[A-Za-z0-9+/]{4})', ['ACYeBjFEqg7NAAA'], S),
  r('azure-container-registry-password', 'Azure', 'Azure Container Registry Password', 'CRITICAL', String.raw`(?i)azurecr\.io[^\n]{0,100}(?:password|pwd)\s*[:=]\s*["']?(?P<secret>[a-zA-Z0-9+/]{32})["']?`, ['azurecr.io'], S),
  r('azure-app-config-connection-string', 'Azure', 'Azure App Configuration Connection String', 'CRITICAL', String.raw`(?i)Endpoint\s*=\s*https://[a-zA-Z0-9\-]+\.azconfig\.io\s*;\s*Id\s*=\s*[a-zA-Z0-9+/=:\-]+\s*;\s*Secret\s*=\s*(?P<secret>[a-zA-Z0-9+/=~]{32,88})`, ['azconfig.io'], S),
  r('azure-ai-services-key', 'Azure', 'Azure AI Services Key', 'HIGH', '(?P<secret>[A-Za-z0-9+/]{52}JQQJ99C[A-Z][A-Za-z0-9+/]{7}XJ3w3[A-Za-z0-9+/]{4}ACOG[A-Za-z0-9+/]{4})', ['XJ3w3'], S),
  // Maven: `{…}` values are encrypted (useless without the master) or `${…}` placeholders.
  r('maven-settings-password', 'Maven', 'Maven settings.xml password', 'HIGH', String.raw`(?i)<\s*password\s*>\s*(?P<secret>[^<\s{][^<{]+[^<\s])\s*<\s*/\s*password\s*>`, ['password'], S, { path: String.raw`(?i)(^|[/\\])settings\.xml$` }),
  r('maven-settings-passphrase', 'Maven', 'Maven settings.xml passphrase', 'HIGH', String.raw`(?i)<\s*passphrase\s*>\s*(?P<secret>[^<\s{][^<{]+[^<\s])\s*<\s*/\s*passphrase\s*>`, ['passphrase'], S, { path: String.raw`(?i)(^|[/\\])settings\.xml$` }),
  r('maven-settings-security-master', 'Maven', 'Maven settings-security.xml master password', 'HIGH', String.raw`(?i)<\s*master\s*>\s*(?P<secret>[^<\s][^<]+[^<\s])\s*<\s*/\s*master\s*>`, ['master'], S, { path: String.raw`(?i)(^|[/\\])settings-security\.xml$` }),
  // OpenAI: every sk- key carries the watermark T3BlbkFJ (base64 "OpenAI").
  r('openai-project-api-key', 'OpenAI', 'OpenAI Project API Key', 'CRITICAL', withoutWordPrefix('?P<secret>sk-proj-[A-Za-z0-9_-]{20,100}T3BlbkFJ[A-Za-z0-9_-]{20,100}'), ['T3BlbkFJ'], S),
  r('openai-service-account-key', 'OpenAI', 'OpenAI Service Account Key', 'CRITICAL', withoutWordPrefix('?P<secret>sk-svcacct-[A-Za-z0-9_-]{20,100}T3BlbkFJ[A-Za-z0-9_-]{20,100}'), ['T3BlbkFJ'], S),
  r('openai-admin-api-key', 'OpenAI', 'OpenAI Admin API Key', 'CRITICAL', withoutWordPrefix('?P<secret>sk-admin-[A-Za-z0-9_-]{20,100}T3BlbkFJ[A-Za-z0-9_-]{20,100}'), ['T3BlbkFJ'], S),
  r('openai-legacy-api-key', 'OpenAI', 'OpenAI Legacy User API Key', 'HIGH', withoutWordPrefix('?P<secret>sk-(?:None-)?[A-Za-z0-9]{20,42}T3BlbkFJ[A-Za-z0-9]{20,42}'), ['T3BlbkFJ'], S),
  r('openai-service-api-key', 'OpenAI', 'OpenAI Service API Key', 'HIGH', withoutWordPrefix('?P<secret>sk-service-[A-Za-z0-9-]+-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}'), ['T3BlbkFJ'], S),
  r('openai-realtime-client-secret', 'OpenAI', 'OpenAI Realtime Client Secret', 'MEDIUM', withBoundaries('?P<secret>ek_[a-f0-9]{32}'), ['ek_'], S),

  // --- Not in Trivy: credentials files commonly baked into images. ---
  // .npmrc: `//registry/:_authToken=…`, `_auth=…`, `_password=…` (placeholders `${VAR}` skipped).
  r('npmrc-auth', 'Npm', 'npm registry credential in .npmrc', 'CRITICAL', String.raw`(?im)(?:^|:)(?:_authToken|_auth|_password)\s*=\s*["']?(?P<secret>[^\s"'$][^\s"']{7,})`, ['_auth', '_password'], S, { path: String.raw`(^|/)\.?npmrc$` }),
  // .pypirc: `password = …` in an index section.
  r('pypirc-password', 'PyPI', 'Package index password in .pypirc', 'HIGH', String.raw`(?im)^\s*password\s*[:=]\s*(?P<secret>[^\s$][^\n]*[^\s])\s*$`, ['password'], S, { path: String.raw`(^|/)\.pypirc$` }),
  // Docker/Podman client config: `"auths": {"reg": {"auth": "<base64 user:pass>"}}` and identity tokens.
  r('docker-config-auth', 'Docker', 'Registry credential in Docker config.json', 'HIGH', String.raw`"(?:auth|identitytoken|registrytoken)"\s*:\s*"(?P<secret>[A-Za-z0-9+/=._-]{8,})"`, ['"auth', 'token"'], S, { path: String.raw`(^|/)(config\.json|\.dockercfg|auth\.json)$`, requireAll: ['"auths"'] }),
  // kubeconfig: client keys and bearer tokens of users.
  r('kubeconfig-client-key', 'Kubernetes', 'Client key in kubeconfig', 'CRITICAL', String.raw`client-key-data:\s*["']?(?P<secret>[A-Za-z0-9+/=]{20,})`, ['client-key-data'], S),
  r('kubeconfig-token', 'Kubernetes', 'User token in kubeconfig', 'CRITICAL', String.raw`(?m)^[ \t]+(?:-[ \t]+)?token:[ \t]*["']?(?P<secret>[A-Za-z0-9._~+/=:-]{16,})["']?[ \t]*\r?$`, ['token:'], S, { requireAll: ['users:', 'kind: config'] }),
];
