// Store checks shared by the kustomize and Helm tests: one store per deployment. Every service
// that persists (policy, scanner) reads MONGO_URL from one required Secret and never falls back
// to an SQLite file of its own; where the deployment brings its MongoDB (kind, Helm by default),
// it is a single-member replica set on a PVC, initialised once, reachable only by its clients.
import { idOf, workloads, type Workload } from './k8s-checks.ts';
import type { K8sObject } from './kustomize-render.ts';

/** The services that persist data, and so share the deployment's store. */
export const PERSISTING = ['policy', 'scanner'];

export interface StoreExpectations {
  /** The Secret holding MONGO_URL (envFrom, required). */
  secret: string;
  /** When the deployment runs its own MongoDB: the StatefulSet and the URL its Secret holds. */
  bundled?: { statefulSet: string; url: string };
}

const nameOf = (w: Workload) => w.labels['app.kubernetes.io/name'] ?? w.object.metadata.name;

interface NetworkPolicySpec {
  podSelector: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values: string[] }[] };
  ingress?: { from?: { podSelector?: NetworkPolicySpec['podSelector'] }[]; ports?: { port: number }[] }[];
  egress?: { to?: { podSelector?: NetworkPolicySpec['podSelector'] }[]; ports?: { port: number }[] }[];
}

/** The app.kubernetes.io/name values a pod selector admits (undefined: any pod). */
function selectedNames(sel: NetworkPolicySpec['podSelector'] | undefined): string[] | undefined {
  if (!sel) return undefined;
  const direct = sel.matchLabels?.['app.kubernetes.io/name'];
  if (direct !== undefined) return [direct];
  const expr = sel.matchExpressions?.find((e) => e.key === 'app.kubernetes.io/name' && e.operator === 'In');
  return expr?.values;
}

export function storeProblems(objects: K8sObject[], expect: StoreExpectations): string[] {
  const p: string[] = [];
  const all = workloads(objects);
  for (const name of PERSISTING) {
    const w = all.find((x) => nameOf(x) === name && x.object.kind === 'Deployment');
    if (!w) {
      p.push(`no ${name} Deployment`);
      continue;
    }
    const c = w.pod.containers[0]!;
    const ref = (c.envFrom ?? []).find((e) => e.secretRef?.name === expect.secret)?.secretRef;
    if (!ref) p.push(`${w.id}: does not read Secret ${expect.secret} (MONGO_URL)`);
    else if (ref.optional === true)
      p.push(`${w.id}: Secret ${expect.secret} is optional: without it the pod would judge from a store nobody else sees`);
    if ((c.env ?? []).some((e) => e.name === 'SQLITE_PATH' || e.name === 'MONGO_URL'))
      p.push(`${w.id}: sets its own SQLITE_PATH/MONGO_URL`);
  }
  if (!expect.bundled) return p;

  const { statefulSet, url } = expect.bundled;
  const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === expect.secret) as
    (K8sObject & { stringData?: Record<string, string> }) | undefined;
  if (secret?.stringData?.['MONGO_URL'] !== url)
    p.push(`Secret ${expect.secret}: MONGO_URL is ${secret?.stringData?.['MONGO_URL']}, expected ${url}`);
  const sts = all.find((w) => w.object.kind === 'StatefulSet' && w.object.metadata.name === statefulSet);
  if (!sts) return [...p, `no StatefulSet ${statefulSet}`];
  const spec = sts.object['spec'] as { serviceName: string; replicas?: number; volumeClaimTemplates?: { metadata: { name: string } }[] };
  const mongod = sts.pod.containers[0]! as {
    image: string;
    command?: string[];
    args?: string[];
    volumeMounts?: { name: string; mountPath: string }[];
  };
  if (!/^(docker\.io\/(library\/)?)?mongo:\d/.test(mongod.image))
    p.push(`${sts.id}: image ${mongod.image} is not the official mongo image`);
  const argv = [...(mongod.command ?? []), ...(mongod.args ?? [])];
  for (const [flag, value] of [
    ['--replSet', 'rs0'],
    ['--bind_ip_all', undefined],
  ] as const) {
    const i = argv.indexOf(flag);
    if (i < 0 || (value !== undefined && argv[i + 1] !== value)) p.push(`${sts.id}: mongod lacks ${flag}${value ? ` ${value}` : ''}`);
  }
  const claims = (spec.volumeClaimTemplates ?? []).map((v) => v.metadata.name);
  const dataMount = mongod.volumeMounts?.find((m) => m.mountPath === '/data/db');
  if (!dataMount || !claims.includes(dataMount.name)) p.push(`${sts.id}: /data/db is not on a PersistentVolumeClaim`);
  const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === spec.serviceName) as
    (K8sObject & { spec: { clusterIP?: string } }) | undefined;
  if (svc?.spec.clusterIP !== 'None') p.push(`${sts.id}: its Service ${spec.serviceName} is not headless`);
  const ns = sts.object.metadata.namespace;
  const member = `${statefulSet}-0.${spec.serviceName}.${ns}.svc.cluster.local:27017`;
  if (!url.startsWith(`mongodb://${member}/`) || !/[?&]replicaSet=rs0(&|$)/.test(url))
    p.push(`MONGO_URL ${url} does not name ${member} and replicaSet=rs0`);
  // The one-shot initialisation: an idempotent rs.initiate naming the member.
  const init = all.find((w) => w.object.kind === 'Job' && JSON.stringify(w.pod.containers).includes('rs.initiate'));
  if (!init) p.push('no Job initiates the replica set');
  else {
    const text = JSON.stringify(init.pod.containers);
    if (!text.includes(member) || !text.includes("_id: 'rs0'")) p.push(`${init.id}: rs.initiate does not configure rs0 with ${member}`);
    if (!/NotYetInitialized|rs\.status\(\)/.test(text)) p.push(`${init.id}: rs.initiate is not guarded (must be idempotent)`);
  }
  // Network: MongoDB accepts only its clients (and its own members and init Job).
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => ({ o, spec: o['spec'] as NetworkPolicySpec }));
  const mongoName = nameOf(sts);
  const allowedFrom = new Set([...PERSISTING, mongoName, ...(init ? [nameOf(init)] : [])]);
  let clientsAllowed = 0;
  for (const { o, spec: np } of policies) {
    if (!selectedNames(np.podSelector)?.includes(mongoName)) continue;
    for (const rule of np.ingress ?? []) {
      const sources = (rule.from ?? [undefined]).map((f) => selectedNames(f?.podSelector));
      for (const s of sources) {
        if (s === undefined || s.some((n) => !allowedFrom.has(n)))
          p.push(`${idOf(o)}: MongoDB accepts ${s === undefined ? 'any source' : s.join(', ')}`);
        else if (PERSISTING.every((n) => s.includes(n)) && rule.ports?.some((x) => x.port === 27017)) clientsAllowed++;
      }
    }
  }
  if (clientsAllowed === 0) p.push('no NetworkPolicy lets policy and scanner reach MongoDB on 27017');
  for (const name of PERSISTING) {
    const out = policies.some(
      ({ spec: np }) =>
        (selectedNames(np.podSelector)?.includes(name) ||
          np.podSelector.matchExpressions?.some((e) => e.key === 'app.kubernetes.io/component' && e.values.includes(name))) &&
        np.egress?.some(
          (e) =>
            e.ports?.some((x) => x.port === 27017) &&
            (e.to === undefined || e.to.some((t) => selectedNames(t.podSelector)?.includes(mongoName))),
        ),
    );
    if (!out) p.push(`${name} may not reach MongoDB on 27017`);
  }
  return p;
}
