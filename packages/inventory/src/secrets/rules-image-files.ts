// Not in Trivy: credentials files commonly baked into images.
import { r, S, type RuleSpec } from './rule-spec.ts';

export const IMAGE_FILE_RULES: readonly RuleSpec[] = [
  // .npmrc: `//registry/:_authToken=…`, `_auth=…`, `_password=…` (placeholders `${VAR}` skipped).
  r(
    'npmrc-auth',
    'Npm',
    'npm registry credential in .npmrc',
    'CRITICAL',
    String.raw`(?im)(?:^|:)(?:_authToken|_auth|_password)\s*=\s*["']?(?P<secret>[^\s"'$][^\s"']{7,})`,
    ['_auth', '_password'],
    S,
    { path: String.raw`(^|/)\.?npmrc$` },
  ),
  // .pypirc: `password = …` in an index section.
  r(
    'pypirc-password',
    'PyPI',
    'Package index password in .pypirc',
    'HIGH',
    String.raw`(?im)^\s*password\s*[:=]\s*(?P<secret>[^\s$][^\n]*[^\s])\s*$`,
    ['password'],
    S,
    { path: String.raw`(^|/)\.pypirc$` },
  ),
  // Docker/Podman client config: `"auths": {"reg": {"auth": "<base64 user:pass>"}}` and identity tokens.
  r(
    'docker-config-auth',
    'Docker',
    'Registry credential in Docker config.json',
    'HIGH',
    String.raw`"(?:auth|identitytoken|registrytoken)"\s*:\s*"(?P<secret>[A-Za-z0-9+/=._-]{8,})"`,
    ['"auth', 'token"'],
    S,
    { path: String.raw`(^|/)(config\.json|\.dockercfg|auth\.json)$`, requireAll: ['"auths"'] },
  ),
  // kubeconfig: client keys and bearer tokens of users.
  r(
    'kubeconfig-client-key',
    'Kubernetes',
    'Client key in kubeconfig',
    'CRITICAL',
    String.raw`client-key-data:\s*["']?(?P<secret>[A-Za-z0-9+/=]{20,})`,
    ['client-key-data'],
    S,
  ),
  r(
    'kubeconfig-token',
    'Kubernetes',
    'User token in kubeconfig',
    'CRITICAL',
    String.raw`(?m)^[ \t]+(?:-[ \t]+)?token:[ \t]*["']?(?P<secret>[A-Za-z0-9._~+/=:-]{16,})["']?[ \t]*\r?$`,
    ['token:'],
    S,
    { requireAll: ['users:', 'kind: config'] },
  ),
];
