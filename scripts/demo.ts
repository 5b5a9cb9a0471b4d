// `npm run demo`: the seed walkthrough (issue 12) against the system `npm start` runs, read from
// <state>/local-stack.json. Builds a PostgreSQL-like image from a real Debian rootfs with
// `ssl-cert` and a clean image, pushes both to the local registry, creates (or updates) the
// policies through the policy REST API, waits for both verdicts, sends AdmissionReviews to the
// HTTPS webhook; then the trust part (scripts/demo/trust.ts): under a "trusted signers" policy an
// image is denied until its cosign signature is pushed, and an unsigned one stays denied. It
// counts the audit events the run produced, and says where the console shows it all (the demo
// image's page among it). The last line is
// `demo: denied=N allowed=N audit_events=N push_to_verdict_ms=N`; exit 1 if an expectation fails.
//
// Audit events: with ES_URL set (the stack then passes it to audit as AUDIT_ES_URL) they are
// counted in Elasticsearch (`_count` on the audit data stream: one document per event); without
// it, read from the ASSAY_AUDIT JetStream stream as the walkthrough's NATS user, each message
// decoded (admission batches several decisions into one message). Either way, the events this
// run added, never stream messages.
//
// Re-runnable: each run adds a small layer naming the run to both images, so each run pushes
// new digests and times a fresh discovery → scan → verdict.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { connectBus } from '@assay/bus';
import { Buckets, Compliance, digestBucketKey, Streams, VerdictSchema, type Verdict } from '@assay/proto';
import { pushImage } from '../test/support/oci-image.ts';
import { AuditStreamTally } from './demo/audit-events.ts';
import { ensureDemoPolicy } from './demo/policies.ts';
import {
  buildDemoImages,
  DEMO_NAMESPACE,
  deploymentReview,
  IMAGE_POLICY,
  imagePolicyDocument,
  RUNTIME_POLICY,
  runtimePolicyDocument,
} from './demo/walkthrough.ts';
import {
  buildTrustImages,
  demoSigningKey,
  signImage,
  TRUST_NAMESPACE,
  TRUST_POLICY,
  TRUST_RUNTIME_POLICY,
  trustPolicyDocument,
  trustRuntimePolicyDocument,
} from './demo/trust.ts';
import { consoleLine, consoleUrl, REPO_ROOT, type StackState } from './local-stack/stack.ts';

const stateDir = process.env.ASSAY_STATE_DIR ?? join(REPO_ROOT, '.assay');
const stateFile = join(stateDir, 'local-stack.json');
const say = (msg: string) => process.stdout.write(`${msg}\n`);
const step = (msg: string) => say(`\n==> ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const problems: string[] = [];
const expect = (ok: boolean, what: string) => {
  say(`    ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) problems.push(what);
};

function die(msg: string): never {
  process.stderr.write(`demo: ${msg}\n`);
  process.exit(1);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readState(): StackState {
  let state: StackState;
  try {
    state = JSON.parse(readFileSync(stateFile, 'utf8')) as StackState;
  } catch {
    die(`no running system (${stateFile} is missing): start the system first with \`npm start\``);
  }
  const pids = [state.pid, state.nats.pid, ...state.services.map((s) => s.pid), ...(state.registry ? [state.registry.pid] : [])];
  if (!pids.every(alive)) die(`the system in ${stateFile} is not running (a process is gone): start the system first with \`npm start\``);
  if (!state.ready) die('the system is still starting: wait for "assay is ready" from `npm start`, then run the demo again');
  if (!state.registry) die('the running system has no local registry (docker-registry is not installed): install it, restart `npm start`');
  if (!state.webhook) die('the running system has no admission webhook (openssl is not installed): install it, restart `npm start`');
  if (!state.policyApi?.url || !state.nats.demo) die(`${stateFile} lacks the policy API or the demo's NATS user: restart \`npm start\``);
  return state;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** POST over HTTPS, trusting the stack's CA only. */
function postTls(url: string, ca: string, body: unknown): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = https.request(
      url,
      { method: 'POST', ca, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown = text;
          try {
            json = JSON.parse(text);
          } catch {
            // kept as text
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`no answer from ${url} within 15 s`)));
    req.end(data);
  });
}

const state = readState();
const registry = state.registry!;
const webhook = state.webhook!;
const policyUrl = state.policyApi!.url!;
const policyToken = state.policyApi!.token;
const ca = readFileSync(webhook.caCert, 'utf8');
const show = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x));

async function policyCall(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${policyUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${policyToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

const upsert = (collection: string, id: string, document: Record<string, unknown>) =>
  ensureDemoPolicy(policyCall, collection, id, document);

const bus = await connectBus({
  servers: state.nats.url,
  name: 'assay-demo',
  user: state.nats.demo!.user,
  password: state.nats.demo!.password,
});
let exitCode = 1;
try {
  const verdicts = await bus.js.views.kv(Buckets.verdicts.name, { bindOnly: true });
  const jsm = await bus.jetstreamManager();
  const verdictOf = async (digest: string): Promise<Verdict | undefined> => {
    const e = await verdicts.get(digestBucketKey(digest));
    return e && e.operation === 'PUT' ? fromBinary(VerdictSchema, e.value) : undefined;
  };
  const finalVerdict = (digest: string, timeoutMs: number, want?: Compliance) =>
    waitFor(
      `the ${want !== undefined ? `${Compliance[want]} ` : ''}verdict for ${digest}`,
      async () => {
        const v = await verdictOf(digest);
        if (!v || v.compliance === Compliance.PENDING || v.compliance === Compliance.UNSPECIFIED) return undefined;
        return want === undefined || v.compliance === want ? v : undefined;
      },
      timeoutMs,
    );

  const esUrl = state.esUrl?.replace(/\/+$/, '');
  const dataStream = process.env.AUDIT_ES_DATA_STREAM ?? 'logs-assay.audit-default';
  const esCount = async (): Promise<number> => {
    const res = await fetch(`${esUrl}/${dataStream}/_count`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    if (res.status === 404) return 0;
    if (res.status !== 200) throw new Error(`Elasticsearch _count: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { count: number }).count;
  };
  // Without Elasticsearch: the events published to the stream from now on (the stream keeps them
  // by age, not by acknowledgement), decoded message by message.
  const stream = esUrl ? undefined : await AuditStreamTally.fromNow(jsm);
  const esBefore = esUrl ? await esCount() : 0;
  const auditCount = async (): Promise<number> => (stream ? (await stream.update()).events : (await esCount()) - esBefore);

  const runId = new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 17);
  step('Building the images');
  const { demo, clean } = await buildDemoImages({ runId });
  say(`    demo image  (Debian bookworm + ssl-cert, PostgreSQL-like): ${demo.digest}`);
  say(`    clean image (no keys, no packages):                        ${clean.digest}`);

  step(`Policies through the policy REST API (${policyUrl})`);
  say(`    ${await upsert('policies', IMAGE_POLICY, imagePolicyDocument())}: sensitive-data control, block`);
  say(
    `    ${await upsert('runtime-policies', RUNTIME_POLICY, runtimePolicyDocument(demo.platform))}: enforce in namespace ${DEMO_NAMESPACE}`,
  );

  const tag = `run-${runId}`;
  const demoRef = `${registry.host}/demo/postgres:${tag}`;
  const cleanRef = `${registry.host}/demo/hello:${tag}`;
  step(`Pushing to the local registry (${registry.url})`);
  await pushImage(registry.host, 'demo/postgres', tag, demo);
  const pushedAt = performance.now();
  say(`    pushed ${demoRef}`);
  const demoVerdict = await finalVerdict(demo.digest, 120_000);
  const pushToVerdictMs = Math.round(performance.now() - pushedAt);
  await pushImage(registry.host, 'demo/hello', tag, clean);
  say(`    pushed ${cleanRef}`);
  const cleanVerdict = await finalVerdict(clean.digest, 60_000);

  step('Verdicts');
  say(`    demo:  ${Compliance[demoVerdict.compliance]} after ${pushToVerdictMs} ms from push`);
  for (const r of demoVerdict.reasons) say(`           ${r.policy}/${r.control}: ${r.message}`);
  say(`    clean: ${Compliance[cleanVerdict.compliance]}`);
  expect(demoVerdict.compliance === Compliance.NON_COMPLIANT, 'the demo image is non-compliant');
  expect(
    demoVerdict.reasons.some((r) => r.policy === IMAGE_POLICY && /ssl-cert-snakeoil\.key/.test(r.message)),
    `the demo verdict names the snakeoil key under ${IMAGE_POLICY}`,
  );
  expect(cleanVerdict.compliance === Compliance.COMPLIANT, 'the clean image is compliant');

  step(`Admission webhook (${webhook.url}/validate, CREATE Deployment in ${DEMO_NAMESPACE})`);
  const review = async (uid: string, name: string, image: string, namespace = DEMO_NAMESPACE) => {
    const res = await postTls(`${webhook.url}/validate`, ca, deploymentReview(uid, namespace, name, [image]));
    if (res.status !== 200 || res.json?.response?.uid !== uid)
      throw new Error(`webhook answer for ${image}: ${res.status} ${show(res.json)}`);
    const r = res.json.response as { uid: string; allowed: boolean; status?: { code?: number; message?: string } };
    say(`    ${image}: ${r.allowed ? 'allowed' : `denied (${r.status?.code ?? '?'})`}`);
    if (!r.allowed && r.status?.message) say(`      ${r.status.message.split('\n').join('\n      ')}`);
    return r;
  };
  const rDemo = await review(`demo-${runId}-postgres`, 'postgres', demoRef);
  const rClean = await review(`demo-${runId}-hello`, 'hello', cleanRef);
  const rGhost = await review(`demo-${runId}-ghost`, 'ghost', `${registry.host}/demo/never-pushed:1.0`);
  expect(
    !rDemo.allowed && /\/etc\/ssl\/private\/ssl-cert-snakeoil\.key/.test(rDemo.status?.message ?? ''),
    'the demo image is denied, naming /etc/ssl/private/ssl-cert-snakeoil.key',
  );
  expect(rClean.allowed, 'the clean image is allowed');
  expect(!rGhost.allowed, 'the unregistered image is denied');

  step(`Trust: a "trusted signers" policy (${TRUST_POLICY}), enforced in namespace ${TRUST_NAMESPACE}`);
  const key = demoSigningKey(stateDir);
  say(`    ${await upsert('policies', TRUST_POLICY, trustPolicyDocument(key.publicKeyPem))}: signatures control, one cosign key`);
  say(`    ${await upsert('runtime-policies', TRUST_RUNTIME_POLICY, trustRuntimePolicyDocument(demo.platform))}`);
  const { signed, unsigned } = await buildTrustImages(runId);
  const signedRef = `${registry.host}/demo/trusted-app:${tag}`;
  const unsignedRef = `${registry.host}/demo/trusted-unsigned:${tag}`;
  await pushImage(registry.host, 'demo/trusted-app', tag, signed);
  await pushImage(registry.host, 'demo/trusted-unsigned', tag, unsigned);
  say(`    pushed ${signedRef} and ${unsignedRef}`);
  const before = await finalVerdict(signed.digest, 60_000);
  say(`    ${signedRef} before signing: ${Compliance[before.compliance]}`);
  for (const r of before.reasons) say(`           ${r.policy}/${r.control}: ${r.message}`);
  // What `cosign sign --key` does; the watcher sees the .sig tag and the image is verified again.
  const sigTag = await signImage(registry, 'demo/trusted-app', signed.digest, key);
  say(`    signed it: pushed ${registry.host}/demo/trusted-app:${sigTag}`);
  const signedVerdict = await finalVerdict(signed.digest, 60_000, Compliance.COMPLIANT);
  const unsignedVerdict = await finalVerdict(unsigned.digest, 60_000);
  say(`    ${signedRef}: ${Compliance[signedVerdict.compliance]}${signedVerdict.trust?.signed ? ' (signed)' : ''}`);
  say(`    ${unsignedRef}: ${Compliance[unsignedVerdict.compliance]}`);
  for (const r of unsignedVerdict.reasons) say(`           ${r.policy}/${r.control}: ${r.message}`);
  expect(
    before.compliance === Compliance.NON_COMPLIANT && before.reasons.some((r) => r.control === 'signatures'),
    'before its signature is pushed, the image is non-compliant under the signatures control',
  );
  expect(signedVerdict.compliance === Compliance.COMPLIANT, 'once signed, it is compliant (re-verified on the signature push)');
  expect(unsignedVerdict.compliance === Compliance.NON_COMPLIANT, 'the unsigned image is non-compliant');
  const rSigned = await review(`demo-${runId}-signed`, 'signed', signedRef, TRUST_NAMESPACE);
  const rUnsigned = await review(`demo-${runId}-unsigned`, 'unsigned', unsignedRef, TRUST_NAMESPACE);
  expect(rSigned.allowed, 'the signed image is allowed');
  expect(!rUnsigned.allowed && /not signed/.test(rUnsigned.status?.message ?? ''), 'the unsigned image is denied as not signed');

  step(
    esUrl
      ? `Audit events (Elasticsearch ${esUrl}, ${dataStream})`
      : `Audit events (JetStream stream ${Streams.audit.name}; set ES_URL for Elasticsearch)`,
  );
  // The five admission decisions (in the stream: exactly these reviews' uids; in Elasticsearch:
  // at least five new documents); then a moment for the rest (policy changes, scans).
  const uids = [rDemo, rClean, rGhost, rSigned, rUnsigned].map((r) => r.uid);
  const decided = async () => {
    if (!stream) return (await auditCount()) >= uids.length ? true : undefined;
    await stream.update();
    return uids.every((u) => stream.tally.admissionUids.has(u)) ? true : undefined;
  };
  let auditEvents = 0;
  try {
    await waitFor('the admission audit events of the five reviews', decided, 30_000, 100);
    await sleep(500);
  } catch (err) {
    expect(false, `audit events recorded (${(err as Error).message})`);
  }
  auditEvents = await auditCount();
  if (stream) {
    const t = stream.tally;
    const kinds = Object.entries(t.byKind)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k}=${n}`)
      .join(' ');
    say(`    ${t.events} audit events from this run in ${t.messages} stream messages: ${kinds}`);
    expect(
      uids.every((u) => t.admissionUids.has(u)),
      'an admission audit event for each of the five reviews',
    );
  } else {
    say(`    ${auditEvents} audit events from this run`);
  }

  // Where to see all of this: the console, and the page of the image the walkthrough denied.
  const consoleAt = state.console?.url ?? consoleUrl(policyUrl);
  step('The console');
  say(`    ${consoleLine(consoleAt, stateFile)}`);
  say(`    the non-compliant demo image: ${consoleAt}images/${demo.digest}`);

  const denied = [rDemo, rGhost, rUnsigned].filter((r) => !r.allowed).length;
  const allowed = [rClean, rSigned].filter((r) => r.allowed).length;
  if (problems.length > 0)
    process.stderr.write(`demo: ${problems.length} expectation(s) failed:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  say('');
  say(`demo: denied=${denied} allowed=${allowed} audit_events=${auditEvents} push_to_verdict_ms=${pushToVerdictMs}`);
  exitCode = problems.length === 0 ? 0 : 1;
} catch (err) {
  process.stderr.write(`demo: failed: ${err instanceof Error ? err.message : String(err)}\n`);
  exitCode = 1;
} finally {
  await bus.close();
}
process.exit(exitCode);
