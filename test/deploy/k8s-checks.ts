// Checks shared by the kustomize and Helm tests: schema validation of every rendered object
// (kubernetes-models), the security properties of every workload, and the coverage of the
// admission webhook configurations. Each returns a list of problems; the tests assert it empty.
import * as admissionV1 from 'kubernetes-models/admissionregistration.k8s.io/v1';
import * as apiextensionsV1 from 'kubernetes-models/apiextensions.k8s.io/v1';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as batchV1 from 'kubernetes-models/batch/v1';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as rbacV1 from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import * as coreV1 from 'kubernetes-models/v1';
import type { K8sObject } from './kustomize-render.ts';

type Validatable = new (data: never) => { validate(): void };
const MODULES: Record<string, Record<string, unknown>> = {
  v1: coreV1,
  'apps/v1': appsV1,
  'batch/v1': batchV1,
  'policy/v1': policyV1,
  'networking.k8s.io/v1': networkingV1,
  'rbac.authorization.k8s.io/v1': rbacV1,
  'admissionregistration.k8s.io/v1': admissionV1,
  // Assay's CustomResourceDefinitions (deploy/k8s/base/crds.yaml, the chart's crds/).
  'apiextensions.k8s.io/v1': apiextensionsV1,
};

export interface ValidationResult {
  validated: number;
  /** Objects of kinds kubernetes-models has no schema for (CRDs), checked structurally. */
  structural: string[];
  problems: string[];
}

export const idOf = (o: K8sObject): string => `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;

/** Validates each object against its Kubernetes schema; cert-manager objects structurally. */
export function validateObjects(objects: K8sObject[]): ValidationResult {
  const res: ValidationResult = { validated: 0, structural: [], problems: [] };
  for (const o of objects) {
    const Model = MODULES[o.apiVersion]?.[o.kind] as Validatable | undefined;
    if (Model) {
      try {
        new Model(o as never).validate();
        res.validated++;
      } catch (err) {
        res.problems.push(`${idOf(o)}: ${(err as Error).message}`);
      }
      continue;
    }
    if (o.apiVersion === 'cert-manager.io/v1') {
      res.structural.push(idOf(o));
      res.problems.push(...certManagerProblems(o));
      continue;
    }
    res.problems.push(`${idOf(o)}: no schema for ${o.apiVersion} ${o.kind}`);
  }
  return res;
}

function certManagerProblems(o: K8sObject): string[] {
  const spec = o['spec'] as Record<string, unknown> | undefined;
  const p: string[] = [];
  if (!o.metadata?.name) p.push(`${o.kind}: no name`);
  if (!spec || typeof spec !== 'object') return [`${idOf(o)}: no spec`];
  if (o.kind === 'Issuer' || o.kind === 'ClusterIssuer') {
    const kinds = ['selfSigned', 'ca', 'acme', 'vault', 'venafi'].filter((k) => k in spec);
    if (kinds.length !== 1) p.push(`${idOf(o)}: needs exactly one issuer type, has ${kinds.join(', ') || 'none'}`);
  } else if (o.kind === 'Certificate') {
    if (typeof spec['secretName'] !== 'string') p.push(`${idOf(o)}: spec.secretName must be a string`);
    const ref = spec['issuerRef'] as { name?: unknown; kind?: unknown } | undefined;
    if (typeof ref?.name !== 'string') p.push(`${idOf(o)}: spec.issuerRef.name must be a string`);
    if (ref?.kind !== undefined && ref.kind !== 'Issuer' && ref.kind !== 'ClusterIssuer')
      p.push(`${idOf(o)}: spec.issuerRef.kind ${String(ref.kind)}`);
    const dns = spec['dnsNames'];
    if (!Array.isArray(dns) || dns.length === 0 || !dns.every((d) => typeof d === 'string'))
      p.push(`${idOf(o)}: spec.dnsNames must list names`);
    for (const k of Object.keys(spec)) {
      if (
        ![
          'secretName',
          'issuerRef',
          'dnsNames',
          'commonName',
          'duration',
          'renewBefore',
          'privateKey',
          'usages',
          'ipAddresses',
          'subject',
          'secretTemplate',
          'isCA',
        ].includes(k)
      ) {
        p.push(`${idOf(o)}: unknown field spec.${k}`);
      }
    }
  } else {
    p.push(`${idOf(o)}: unexpected cert-manager kind`);
  }
  return p;
}

// ------------------------------------------------------------------------------ workloads

interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type?: string };
}
interface Probe {
  httpGet?: unknown;
  tcpSocket?: unknown;
  exec?: unknown;
}
export interface Container {
  name: string;
  image: string;
  securityContext?: SecurityContext;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string; optional?: boolean } }[];
  ports?: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string }[];
}
export interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: SecurityContext & { fsGroup?: number };
  containers: Container[];
  initContainers?: Container[];
  volumes?: {
    name: string;
    secret?: { secretName: string };
    configMap?: { name: string };
    persistentVolumeClaim?: { claimName: string };
    hostPath?: unknown;
    emptyDir?: unknown;
  }[];
  affinity?: {
    podAntiAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: { topologyKey: string }[];
      preferredDuringSchedulingIgnoredDuringExecution?: { podAffinityTerm: { topologyKey: string } }[];
    };
  };
  topologySpreadConstraints?: { topologyKey: string; whenUnsatisfiable: string }[];
}
export interface Workload {
  id: string;
  object: K8sObject;
  pod: PodSpec;
  labels: Record<string, string>;
}

/** Every pod template in the objects (Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod). */
export function workloads(objects: K8sObject[]): Workload[] {
  const out: Workload[] = [];
  for (const o of objects) {
    const spec = o['spec'] as Record<string, unknown> | undefined;
    let tpl: { metadata?: { labels?: Record<string, string> }; spec: PodSpec } | undefined;
    if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(o.kind)) tpl = spec?.['template'] as typeof tpl;
    else if (o.kind === 'CronJob') tpl = (spec?.['jobTemplate'] as { spec: { template: typeof tpl } }).spec.template;
    else if (o.kind === 'Pod') tpl = { metadata: o.metadata, spec: spec as unknown as PodSpec };
    if (tpl) out.push({ id: idOf(o), object: o, pod: tpl.spec, labels: tpl.metadata?.labels ?? {} });
  }
  return out;
}

/** The pod- and container-level properties every workload must have (PSS `restricted` and more). */
export function securityProblems(objects: K8sObject[]): string[] {
  const p: string[] = [];
  const serviceAccounts = new Map(
    objects.filter((o) => o.kind === 'ServiceAccount').map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]),
  );
  for (const w of workloads(objects)) {
    const ps = w.pod;
    const psc = ps.securityContext ?? {};
    if (psc.runAsNonRoot !== true) p.push(`${w.id}: pod runAsNonRoot is not true`);
    if (psc.runAsUser === 0) p.push(`${w.id}: pod runs as uid 0`);
    if (psc.seccompProfile?.type !== 'RuntimeDefault') p.push(`${w.id}: pod seccompProfile is not RuntimeDefault`);
    if (ps.hostNetwork || ps.hostPID || ps.hostIPC) p.push(`${w.id}: uses host namespaces`);
    for (const v of ps.volumes ?? []) if (v.hostPath !== undefined) p.push(`${w.id}: hostPath volume ${v.name}`);
    const saName = ps.serviceAccountName;
    if (!saName || saName === 'default') p.push(`${w.id}: runs as the default ServiceAccount`);
    const sa = serviceAccounts.get(`${w.object.metadata.namespace}/${saName}`);
    if (saName && !sa) p.push(`${w.id}: ServiceAccount ${saName} is not defined`);
    const token = ps.automountServiceAccountToken ?? (sa?.['automountServiceAccountToken'] as boolean | undefined) ?? true;
    if (token && !TOKEN_ALLOWED.has(saName ?? '')) p.push(`${w.id}: mounts a ServiceAccount token it does not need`);
    for (const c of [...ps.containers, ...(ps.initContainers ?? [])]) {
      const at = `${w.id} container ${c.name}`;
      const sc = c.securityContext ?? {};
      if (sc.allowPrivilegeEscalation !== false) p.push(`${at}: allowPrivilegeEscalation is not false`);
      if (sc.readOnlyRootFilesystem !== true) p.push(`${at}: readOnlyRootFilesystem is not true`);
      if (sc.privileged === true) p.push(`${at}: privileged`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) p.push(`${at}: capabilities do not drop ALL`);
      if ((sc.capabilities?.add ?? []).length > 0) p.push(`${at}: adds capabilities`);
      if (sc.runAsNonRoot === false || sc.runAsUser === 0) p.push(`${at}: may run as root`);
      if (sc.seccompProfile !== undefined && sc.seccompProfile.type !== 'RuntimeDefault')
        p.push(`${at}: seccompProfile ${sc.seccompProfile.type}`);
      if (!c.resources?.requests?.['cpu'] || !c.resources.requests['memory']) p.push(`${at}: no cpu/memory requests`);
      if (!c.resources?.limits?.['memory']) p.push(`${at}: no memory limit`);
      if (/:latest$/.test(c.image)) p.push(`${at}: image ${c.image} uses :latest`);
      const isJob = w.object.kind === 'Job' || w.object.kind === 'CronJob';
      if (!isJob && ps.initContainers?.includes(c) !== true && (!c.readinessProbe || !c.livenessProbe))
        p.push(`${at}: no readiness/liveness probe`);
    }
  }
  return p;
}

/** ServiceAccounts that need an API token, and why. */
export const TOKEN_ALLOWED = new Map([
  ['assay-certgen', 'the TLS bootstrap Jobs create the Secret and patch the webhook caBundle'],
  ['assay-admission', 'admission lists and watches namespaces for runtime policies scoped on namespace labels'],
  // Issue 19: the policy service's controller keeps the store in step with the assay.dev custom
  // resources (list/watch) and writes their status subresource.
  ['assay-policy', "policy's controller watches Assay's custom resources and writes their status"],
  // Issue 19: the registry-watcher's Pod informer (where each digest runs) lists and watches pods
  // and reads the ReplicaSets and Jobs that own them.
  ['assay-registry-watcher', "registry-watcher's Pod informer lists and watches pods and reads their owners"],
  // Issue 19, opt-in (Helm services.scanner.readPullSecrets): the scanner reads the pull secrets a
  // running workload names, to pull its image.
  ['assay-scanner', "the scanner reads running workloads' imagePullSecrets (only with readPullSecrets)"],
]);

// ------------------------------------------------------------------------------ webhooks

interface Rule {
  apiGroups: string[];
  apiVersions: string[];
  operations: string[];
  resources: string[];
  scope?: string;
}
interface Webhook {
  name: string;
  admissionReviewVersions: string[];
  sideEffects: string;
  timeoutSeconds?: number;
  failurePolicy?: string;
  matchPolicy?: string;
  clientConfig: { service?: { name: string; namespace: string; path?: string; port?: number }; url?: string; caBundle?: string };
  namespaceSelector?: { matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  objectSelector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
  matchConditions?: { name: string; expression: string }[];
  rules: Rule[];
}

/** Every workload kind that carries a pod template, plus pods and their ephemeral containers. */
export const REQUIRED_RESOURCES: [group: string, resource: string][] = [
  ['', 'pods'],
  ['', 'pods/ephemeralcontainers'],
  ['', 'replicationcontrollers'],
  ['', 'podtemplates'],
  ['apps', 'deployments'],
  ['apps', 'replicasets'],
  ['apps', 'statefulsets'],
  ['apps', 'daemonsets'],
  ['batch', 'jobs'],
  ['batch', 'cronjobs'],
];

/** The pod label that asks the mutating webhook to pin a pod's images to digests. */
export const PIN_LABEL = 'assay.dev/pin-digests';

export function webhookConfigs(objects: K8sObject[]): K8sObject[] {
  return objects.filter((o) => o.kind === 'ValidatingWebhookConfiguration' || o.kind === 'MutatingWebhookConfiguration');
}

export interface WebhookExpectations {
  /** The validating webhook's failurePolicy. */
  failurePolicy: 'Fail' | 'Ignore';
  /** The mutating webhook's own failurePolicy (default Ignore: pinning is a convenience). */
  mutatingFailurePolicy?: 'Fail' | 'Ignore';
  namespace: string;
  /** Pin every pod: the mutating webhook then has no objectSelector. */
  pinAll?: boolean;
}

/**
 * Coverage, scope and safety of the webhook configurations: the validating webhook sees CREATE
 * and UPDATE of every workload kind (never DELETE) and lets through only UPDATEs that change an
 * image (matchConditions); the mutating one sees pod CREATE only, for labelled pods.
 */
export function webhookProblems(objects: K8sObject[], expect: WebhookExpectations): string[] {
  const p: string[] = [];
  const configs = webhookConfigs(objects);
  for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
    if (!configs.some((c) => c.kind === kind)) p.push(`no ${kind}`);
  }
  const services = new Map(objects.filter((o) => o.kind === 'Service').map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]));
  for (const c of configs) {
    const validating = c.kind === 'ValidatingWebhookConfiguration';
    const hooks = (c['webhooks'] ?? []) as Webhook[];
    if (hooks.length === 0) p.push(`${idOf(c)}: no webhooks`);
    for (const h of hooks) {
      const at = `${idOf(c)} ${h.name}`;
      if (JSON.stringify(h.admissionReviewVersions) !== '["v1"]') p.push(`${at}: admissionReviewVersions must be [v1]`);
      if (h.sideEffects !== 'NoneOnDryRun' && h.sideEffects !== 'None') p.push(`${at}: sideEffects ${h.sideEffects}`);
      if (h.timeoutSeconds === undefined || h.timeoutSeconds > 10) p.push(`${at}: timeoutSeconds ${h.timeoutSeconds} (must be set, ≤ 10)`);
      const policy = validating ? expect.failurePolicy : (expect.mutatingFailurePolicy ?? 'Ignore');
      if (h.failurePolicy !== policy) p.push(`${at}: failurePolicy ${h.failurePolicy}, expected ${policy}`);
      if (h.clientConfig.url !== undefined) p.push(`${at}: calls a URL, not the admission Service`);
      const svc = h.clientConfig.service;
      if (svc) {
        const target = services.get(`${svc.namespace}/${svc.name}`);
        if (!target) p.push(`${at}: Service ${svc.namespace}/${svc.name} is not defined`);
        const ports = ((target?.['spec'] as { ports?: { port: number; targetPort?: unknown }[] } | undefined)?.ports ?? []).map(
          (x) => x.port,
        );
        if (!ports.includes(svc.port ?? 443)) p.push(`${at}: Service has no port ${svc.port ?? 443}`);
        const path = validating ? '/validate' : '/mutate';
        if (svc.path !== path) p.push(`${at}: path ${svc.path}, expected ${path}`);
      }
      const excluded = new Set<string>();
      for (const e of h.namespaceSelector?.matchExpressions ?? []) {
        if (e.key === 'kubernetes.io/metadata.name' && e.operator === 'NotIn') for (const v of e.values ?? []) excluded.add(v);
      }
      for (const ns of ['kube-system', expect.namespace]) if (!excluded.has(ns)) p.push(`${at}: namespace ${ns} is not excluded`);
      const covers = (group: string, resource: string, op: string) =>
        h.rules.some(
          (r) =>
            (r.apiGroups.includes(group) || r.apiGroups.includes('*')) &&
            (r.resources.includes(resource) || r.resources.includes('*')) &&
            (r.operations.includes(op) || r.operations.includes('*')) &&
            (r.apiVersions.includes('v1') || r.apiVersions.includes('*')),
        );
      for (const r of h.rules)
        if (r.operations.some((op) => op === 'DELETE' || op === 'CONNECT' || op === '*'))
          p.push(`${at}: rule covers ${r.operations.join(',')}`);
      if (validating) {
        for (const [group, resource] of REQUIRED_RESOURCES) {
          for (const op of ['CREATE', 'UPDATE'])
            if (!covers(group, resource, op)) p.push(`${at}: ${op} ${group || 'core'}/${resource} is not covered`);
        }
        const conditions = h.matchConditions ?? [];
        if (!conditions.some((m) => /\boldObject\b/.test(m.expression) && /request\.operation/.test(m.expression))) {
          p.push(`${at}: no matchCondition keeps image-less UPDATEs away (compare object with oldObject)`);
        }
        if (h.objectSelector !== undefined && Object.keys(h.objectSelector).length > 0)
          p.push(`${at}: an objectSelector would let unlabelled workloads past validation`);
      } else {
        // Mutation pins digests at pod creation only: any other rule only adds outage exposure.
        const rules = h.rules.map((r) => `${r.apiGroups.join(',')}/${r.resources.join(',')}:${r.operations.join(',')}`);
        if (JSON.stringify(rules) !== JSON.stringify(['/pods:CREATE']))
          p.push(`${at}: rules ${rules.join(' ')}, expected pods CREATE only`);
        const selected = h.objectSelector?.matchLabels?.[PIN_LABEL];
        if (expect.pinAll) {
          if (h.objectSelector !== undefined && Object.keys(h.objectSelector).length > 0) p.push(`${at}: pin-all, yet an objectSelector`);
        } else if (selected !== 'true') p.push(`${at}: objectSelector does not select ${PIN_LABEL}: "true"`);
      }
    }
  }
  return p;
}

/** Objects' references that must resolve inside the rendered set (ConfigMaps, Secrets, Services). */
export function referenceProblems(objects: K8sObject[], external: { secrets: string[] }): string[] {
  const p: string[] = [];
  const names = (kind: string) => new Set(objects.filter((o) => o.kind === kind).map((o) => o.metadata.name));
  const configMaps = names('ConfigMap');
  const secrets = new Set([...names('Secret'), ...external.secrets]);
  const certSecrets = objects.filter((o) => o.kind === 'Certificate').map((o) => (o['spec'] as { secretName: string }).secretName);
  for (const s of certSecrets) secrets.add(s);
  for (const w of workloads(objects)) {
    for (const v of w.pod.volumes ?? []) {
      if (v.configMap && !configMaps.has(v.configMap.name))
        p.push(`${w.id}: volume ${v.name}: ConfigMap ${v.configMap.name} is not defined`);
      if (v.secret && !secrets.has(v.secret.secretName))
        p.push(`${w.id}: volume ${v.name}: Secret ${v.secret.secretName} comes from nowhere`);
      if (v.persistentVolumeClaim && !names('PersistentVolumeClaim').has(v.persistentVolumeClaim.claimName))
        p.push(`${w.id}: volume ${v.name}: claim ${v.persistentVolumeClaim.claimName} is not defined`);
    }
    for (const c of w.pod.containers) {
      for (const e of c.envFrom ?? []) {
        if (e.configMapRef && !configMaps.has(e.configMapRef.name))
          p.push(`${w.id}: envFrom ConfigMap ${e.configMapRef.name} is not defined`);
        if (e.secretRef && e.secretRef.optional !== true && !secrets.has(e.secretRef.name))
          p.push(`${w.id}: envFrom Secret ${e.secretRef.name} (required) comes from nowhere`);
      }
      const claims = ((w.object['spec'] as { volumeClaimTemplates?: { metadata: { name: string } }[] }).volumeClaimTemplates ?? []).map(
        (v) => v.metadata.name,
      );
      const volumes = new Set([...(w.pod.volumes ?? []).map((v) => v.name), ...claims]);
      for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) p.push(`${w.id}: mount ${m.name} has no volume`);
    }
  }
  for (const s of objects.filter((o) => o.kind === 'Service')) {
    const sel = (s['spec'] as { selector?: Record<string, string> }).selector ?? {};
    const hit = workloads(objects).some(
      (w) => w.object.metadata.namespace === s.metadata.namespace && Object.entries(sel).every(([k, v]) => w.labels[k] === v),
    );
    if (!hit) p.push(`${idOf(s)}: selects no pods`);
  }
  return p;
}
