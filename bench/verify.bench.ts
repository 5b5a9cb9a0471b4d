// Signature verification, measured two ways against baselines in the same run.
//
// 1. Throughput. N distinct cosign simple-signing payloads, each signed with a P-256 key, as the
//    scanner finds them. Assay's path per signature:
//    - the record the scanner writes (recordOf: payload parsed, its digest checked, the signed
//      bytes kept);
//    - the policy engine's check of a trusted key against it (matchSigner; cold, since every
//      payload is new).
//    The baseline is a plain crypto.verify of the same payloads with the same key.
//    Then the same records are judged again (the policy service re-evaluating after a policy
//    change): memoised, no signature verified twice.
// 2. What trust adds to push → verdict. The demo image (a real Debian root filesystem with
//    ssl-cert) is pushed to a real registry with one cosign signature. Its scan (every analyzer,
//    no layer cache: what the scanner does for a new push) is timed against the trust step
//    (discovery in the registry + verification) on the same image. The policy's signature
//    control costs one memoised check.
//
// Last line:
//   verify_vs_crypto_ratio=… assay_per_s=… crypto_verify_per_s=… rejudge_per_s=…
//   trust_ms=… scan_ms=… trust_overhead_pct=…
import { createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import type { TrustedSigner } from '@assay/domain';
import { RegistryClient } from '@assay/registry-client';
import { buildReport, DEFAULT_LIMITS, defaultAnalyzerRegistry, newScanState, scanImage, type ScanTarget } from '@assay/scan-engine';
import { loadTrustedRoots, matchSigner, recordOf, verifyImageTrust, type CosignSignatureArtifact } from '@assay/trust';
import { buildDemoImages } from '../scripts/demo/walkthrough.ts';
import { cosignTagOf, pushCosignManifest, signatureLayer, simpleSigningPayload } from '../test/support/cosign-artifacts.ts';
import { pushImage } from '../test/support/oci-image.ts';
import { startRegistry } from '../test/support/oci-registry.ts';

const N = Number(process.env.BENCH_SIGNATURES ?? 4000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// ---- 1. throughput ------------------------------------------------------------------------------
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const signer: TrustedSigner = { key: pem };
const roots = loadTrustedRoots({ publicGood: true });
const now = new Date();

function signed(round: number) {
  return Array.from({ length: N }, (_, i) => {
    const digest = `sha256:${randomBytes(32).toString('hex')}`;
    const payload = simpleSigningPayload(`registry.example/bench/app${round}-${i}`, digest);
    return { digest, payload, signature: sign('sha256', payload, privateKey) };
  });
}

function plain(items: ReturnType<typeof signed>): number {
  const key = createPublicKey(pem);
  const t = performance.now();
  let ok = 0;
  for (const it of items) if (verify('sha256', it.payload, key, it.signature)) ok++;
  const ms = performance.now() - t;
  if (ok !== items.length) throw new Error(`plain verify: ${ok} of ${items.length} verified`);
  return ms;
}

function assay(items: ReturnType<typeof signed>) {
  const t = performance.now();
  const records = items.map((it) => {
    const artifact: CosignSignatureArtifact = {
      kind: 'cosign-signature',
      subject: it.digest,
      scope: 'image',
      source: 'cosign-tag',
      artifact: `${it.digest}/sig`,
      payload: it.payload,
      signature: it.signature.toString('base64'),
    };
    const r = recordOf(artifact, roots, now);
    if (!('signature' in r)) throw new Error('a signature became an attestation');
    return r.signature;
  });
  let ok = records.filter((r) => !r.error && matchSigner(signer, r)).length;
  const ms = performance.now() - t;
  if (ok !== items.length) throw new Error(`assay: ${ok} of ${items.length} verified`);
  const t2 = performance.now();
  ok = records.filter((r) => matchSigner(signer, r)).length;
  const rejudgeMs = performance.now() - t2;
  if (ok !== items.length) throw new Error(`assay re-judge: ${ok} of ${items.length} verified`);
  return { ms, rejudgeMs };
}

// Warm-up (JIT, key parsing), then alternating rounds on fresh payloads.
plain(signed(-1));
assay(signed(-2));
const plainMs: number[] = [];
const assayMs: number[] = [];
const rejudgeMs: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const items = signed(r);
  plainMs.push(plain(items));
  const a = assay(signed(r + 100));
  assayMs.push(a.ms);
  rejudgeMs.push(a.rejudgeMs);
}
const perSecond = (ms: number) => (N / ms) * 1000;
const plainRate = perSecond(median(plainMs));
const assayRate = perSecond(median(assayMs));
const rejudgeRate = perSecond(median(rejudgeMs));
console.log(`signatures=${N} rounds=${ROUNDS} plain_ms=${median(plainMs).toFixed(1)} assay_ms=${median(assayMs).toFixed(1)}`);

// ---- 2. what trust adds to push → verdict -----------------------------------------------------
const registry = await startRegistry();
let trustMs = 0;
let scanMs = 0;
try {
  const { demo } = await buildDemoImages({ runId: 'bench-verify' });
  const repository = 'demo/postgres';
  await pushImage(registry.host, repository, 'signed', demo);
  await pushCosignManifest(registry.url, repository, cosignTagOf(demo.digest, '.sig'), [
    signatureLayer(privateKey, `${registry.host}/${repository}`, demo.digest),
  ]);
  const client = new RegistryClient({ registry: registry.host, insecure: true, retries: 0 });
  const analyzers = defaultAnalyzerRegistry();
  const target: ScanTarget = { registry: registry.host, repository, digest: demo.digest };
  const scan = async () => {
    const t = performance.now();
    const state = newScanState();
    await scanImage({ analyzers, clientFor: () => client, limits: DEFAULT_LIMITS }, target, state);
    buildReport(target, {}, state);
    return performance.now() - t;
  };
  const trust = async () => {
    const t = performance.now();
    const section = await verifyImageTrust(client, repository, [{ digest: demo.digest, scope: 'image' }], { roots });
    const record = section.signatures[0];
    if (section.signatures.length !== 1 || !record || record.error || !matchSigner(signer, record))
      throw new Error(`the demo image's signature did not verify: ${JSON.stringify(section.warnings)}`);
    return performance.now() - t;
  };
  await scan();
  await trust();
  const scans: number[] = [];
  const trusts: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    scans.push(await scan());
    trusts.push(await trust());
  }
  scanMs = median(scans);
  trustMs = median(trusts);
  await client.close();
} finally {
  await registry.close();
}

console.log(
  `verify_vs_crypto_ratio=${(assayRate / plainRate).toFixed(2)} assay_per_s=${assayRate.toFixed(0)} crypto_verify_per_s=${plainRate.toFixed(0)} rejudge_per_s=${rejudgeRate.toFixed(0)} trust_ms=${trustMs.toFixed(1)} scan_ms=${scanMs.toFixed(0)} trust_overhead_pct=${((trustMs / scanMs) * 100).toFixed(2)}`,
);
