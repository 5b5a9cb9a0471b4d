// No restart changes a decision. The whole system on real servers (nats-server, registry, the five
// services), once with the deployment's one store on the MongoDB wire stand-in (as in Kubernetes)
// and once on a shared SQLite file (as `npm start`): a fixed set of reviews — a compliant image,
// one with a private key, an unregistered one, one let in by a break-glass exception, one under a
// warn-mode runtime policy, one in a namespace no runtime policy covers — is answered, then every
// service is restarted in turn, then NATS (same store directory), then the store (MongoDB: its
// listener over the same data; SQLite: every connection closed and the file reopened), then
// policy comes back on an empty store (a pod on a fresh volume: it must refuse, not reconcile the
// policy buckets away) and on the right one again. After each, the same reviews get exactly the
// same answers.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { STORE_IDENTITY_CHECK } from '@assay/service-kit';
import { post } from '../admission/helpers.ts';
import { IMAGE_POLICY, imagePolicyDocument } from '../../scripts/demo/walkthrough.ts';
import { buildImage, hostPlatform, pushImage, type BuiltImage } from '../support/oci-image.ts';
import { waitFor } from '../support/processes.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { deploymentReview, finalVerdict, show, startStack, type Stack } from './stack.ts';

type TempDir = Awaited<ReturnType<typeof makeTempDir>>;

interface Decision {
  allowed: boolean;
  code: number | undefined;
  message: string | undefined;
  warnings: string[];
}

interface Case {
  name: string;
  namespace: string;
  image: string;
}

for (const storeKind of ['mongo', 'sqlite'] as const)
  describe(`e2e: restarts change no decision (store: ${storeKind})`, { timeout: 170_000 }, () => {
    let stack: Stack | undefined;
    let cases: Case[] = [];
    let spare: TempDir | undefined;

    before(
      async () => {
        spare = await makeTempDir('restart-fresh-store');
        const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
        const app = (extra: string) => [
          [
            { path: 'app', type: 'dir' as const },
            { path: 'app/run', mode: 0o755, content: `#!/bin/sh\necho ${extra}\n` },
          ],
        ];
        const clean = await buildImage({ config: { User: '1000', Cmd: ['/app/run'] }, layers: app('clean') });
        const keyed = (what: string): Promise<BuiltImage> =>
          buildImage({
            config: { User: '1000', Cmd: ['/app/run'] },
            layers: [...app(what), [{ path: 'etc/ssl/private/server.key', content: pem }]],
          });
        const demoKeyed = await keyed('keyed');
        const glassKeyed = await keyed('glass');

        stack = await startStack({ store: storeKind });
        const s = stack;
        const host = s.registry.host;
        const platform = hostPlatform();
        const created = async (path: string, body: unknown) => {
          const r = await s.policyCall('POST', path, body);
          assert.equal(r.status, 201, `${path}: ${r.text}`);
        };
        await created('/api/v1/policies', { id: IMAGE_POLICY, document: imagePolicyDocument() });
        const runtime = (namespace: string, enforcement: string) => ({
          name: `${enforcement} in ${namespace}`,
          enabled: true,
          enforcement,
          scope: { namespaces: [namespace] },
          imagePolicies: [IMAGE_POLICY],
          blockUnregistered: true,
          blockPending: true,
          platforms: [{ os: platform.os, architecture: platform.architecture }],
        });
        await created('/api/v1/runtime-policies', { id: 'enforce-demo', document: runtime('demo', 'enforce') });
        await created('/api/v1/runtime-policies', { id: 'warn-staging', document: runtime('staging', 'warn') });
        await created('/api/v1/exceptions', {
          id: 'incident-7',
          scope: { repository: 'glass/*', namespaces: ['demo'] },
          reason: 'outage: ship the fix now',
          expiresAt: new Date(Date.now() + 24 * 3600_000).toISOString(),
          breakGlass: true,
        });

        await pushImage(host, 'demo/hello', '1.0', clean);
        await pushImage(host, 'demo/keyed', '1.0', demoKeyed);
        await pushImage(host, 'glass/keyed', '1.0', glassKeyed);
        for (const img of [clean, demoKeyed, glassKeyed]) await finalVerdict(s, img.digest, 60_000);

        cases = [
          { name: 'compliant', namespace: 'demo', image: `${host}/demo/hello:1.0` },
          { name: 'private key', namespace: 'demo', image: `${host}/demo/keyed:1.0` },
          { name: 'unregistered', namespace: 'demo', image: `${host}/demo/never-pushed:1.0` },
          { name: 'break-glass', namespace: 'demo', image: `${host}/glass/keyed:1.0` },
          { name: 'warn mode', namespace: 'staging', image: `${host}/demo/keyed:1.0` },
          { name: 'no runtime policy', namespace: 'elsewhere', image: `${host}/demo/keyed:1.0` },
        ];
      },
      { timeout: 150_000 },
    );

    after(async () => {
      await stack?.close();
      await spare?.remove();
    });

    async function decide(): Promise<Record<string, Decision>> {
      const s = stack!;
      const out: Record<string, Decision> = {};
      for (const c of cases) {
        const uid = `restart-${c.name.replace(/\W+/g, '-')}`;
        const res = await post(s.agent, `${s.webhookUrl}/validate`, deploymentReview(uid, c.namespace, 'app', [c.image]));
        assert.equal(res.status, 200, `${c.name}: ${show(res.json)}`);
        const r = res.json.response as { uid: string; allowed: boolean; status?: { code?: number; message?: string }; warnings?: string[] };
        assert.equal(r.uid, uid);
        out[c.name] = { allowed: r.allowed, code: r.status?.code, message: r.status?.message, warnings: r.warnings ?? [] };
      }
      return out;
    }

    it('answers the fixed reviews identically after restarting each service, NATS and the store', { timeout: 150_000 }, async (t) => {
      const s = stack!;
      const baseline = await decide();
      // The baseline is what the policies say, or the comparison below would prove nothing.
      assert.equal(baseline['compliant']!.allowed, true, show(baseline));
      assert.equal(baseline['private key']!.allowed, false, show(baseline));
      assert.match(baseline['private key']!.message ?? '', /etc\/ssl\/private\/server\.key/, show(baseline));
      assert.equal(baseline['unregistered']!.allowed, false, show(baseline));
      assert.match(baseline['unregistered']!.message ?? '', /not registered/, show(baseline));
      assert.equal(baseline['break-glass']!.allowed, true, show(baseline));
      assert.ok(
        baseline['break-glass']!.warnings.some((w) => /break-glass exception incident-7/.test(w)),
        show(baseline),
      );
      assert.equal(baseline['warn mode']!.allowed, true, show(baseline));
      assert.ok(
        baseline['warn mode']!.warnings.some((w) => /server\.key/.test(w)),
        show(baseline),
      );
      assert.equal(baseline['no runtime policy']!.allowed, true, show(baseline));

      const restarts: [string, () => Promise<void>][] = [
        ['registry-watcher', () => s.restartService('watcher')],
        ['scanner', () => s.restartService('scanner')],
        ['policy', () => s.restartService('policy')],
        ['admission', () => s.restartService('admission')],
        ['audit', () => s.restartService('audit')],
        [
          'NATS',
          async () => {
            await s.nats.stop();
            await s.nats.start();
            await s.allReady(60_000);
          },
        ],
        ['the store', () => s.restartStore({ downMs: 1000 })],
        [
          'policy on an empty store (refused)',
          async () => {
            const fresh: Record<string, string> =
              storeKind === 'mongo' ? { MONGO_DB: 'assay_fresh_volume' } : { SQLITE_PATH: join(spare!.path, 'fresh.db') };
            await s.restartService('policy', { env: fresh, ready: false });
            const detail = await waitFor(
              'policy to refuse its empty store',
              async () => {
                const c = (await s.services.policy!.readiness()).checks.find((x) => x.name === STORE_IDENTITY_CHECK);
                return c && !c.ok && /is not the deployment's store/.test(c.detail ?? '') ? c.detail : undefined;
              },
              { timeoutMs: 20_000, intervalMs: 25 },
            );
            t.diagnostic(`policy on an empty store: ${detail}`);
          },
        ],
        ['policy on the deployment store again', () => s.restartService('policy')],
      ];
      for (const [what, restart] of restarts) {
        const began = performance.now();
        await restart();
        if (s.services.policy!.state === 'running') await s.allReady(60_000);
        assert.deepEqual(await decide(), baseline, `decisions after restarting ${what}`);
        t.diagnostic(`${what} restarted and ready in ${Math.round(performance.now() - began)} ms: decisions unchanged`);
      }
      for (const name of ['policy', 'scanner'] as const) {
        assert.match(
          await s.services[name]!.metrics.text(),
          /^assay_store_identity_mismatch\{[^}]*\} 0$/m,
          `${name} on the deployment's store`,
        );
      }
    });
  });
