// Tag lookups at their worst: a review naming many tags nobody knows, against a registry that is
// slow. The review is answered within its lookup budget (ADMISSION_TAG_LOOKUP_TIMEOUT, from its
// arrival) whatever the registry does; tags without an answer by then are decided as images of
// unknown digest under blockUnregistered, and the refusal says their tag was not resolved within
// the budget (unlike a tag the registry answered "not found"); the registry never sees more
// HEADs at once than ADMISSION_TAG_LOOKUP_CONCURRENCY; a lookup that answers after its review
// serves the next one; a small review is not starved by a large one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { TagResolver } from '@assay/admission';
import { AuditBatchSchema, Compliance, Topics, type AuditEvent } from '@assay/proto';
import { parseImageReference } from '@assay/review-engine';
import { digestOfTag, startSlowRegistry, type SlowRegistry, type TagAnswer } from '../support/slow-registry.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../support/processes.ts';
import { podReview, post, runtimePolicy, verdict } from './helpers.ts';
import { startStack, type Stack } from './stack.ts';

/** The repository says what the registry does: `d<ms>/…` found after ms, `missing/…` 404, `never/…` no answer. */
function byRepository(repository: string, tag: string): TagAnswer {
  const [first] = repository.split('/');
  if (first === 'never') return { never: true };
  if (first === 'missing') return { notFound: true, delayMs: 20 };
  return { digest: digestOfTag(repository, tag), delayMs: Number(first!.slice(1)) };
}

const BUDGET_MS = 600;
/** Room for deciding and answering after the budget (a loaded CI machine included). */
const MARGIN_MS = 700;

describe('admission: tag lookups within one budget per review', { timeout: 120_000 }, () => {
  let stack: Stack;
  let registry: SlowRegistry;
  let url: string;
  let audits: AuditEvent[];

  before(async () => {
    stack = await startStack();
    registry = await startSlowRegistry(byRepository);
    audits = [];
    const sub = stack.admin.nc.subscribe(Topics.auditAdmissionBatch.subject);
    void (async () => {
      for await (const m of sub) audits.push(...fromBinary(AuditBatchSchema, m.data).events);
    })();
    await stack.putPolicy(runtimePolicy('prod', { scope: { namespaces: ['shop'] } }));
    const svc = await stack.service({ ADMISSION_TAG_LOOKUP_TIMEOUT: String(BUDGET_MS), ADMISSION_TAG_LOOKUP_CONCURRENCY: '4' });
    url = svc.api!.webhook!.address;
  });
  after(async () => {
    await stack?.close();
    await registry?.close();
  });

  it('answers a review of 300 unknown tags within the budget, refusing the unresolved ones and saying why', async () => {
    registry.resetStats();
    // Looked up in this order: the missing tag among the first, the never-answered ones last.
    const images = [
      `${registry.host}/missing/gone:v1`,
      ...Array.from({ length: 290 }, (_, i) => `${registry.host}/d400/app-${i}:v1`),
      ...Array.from({ length: 5 }, (_, i) => `${registry.host}/never/app-${i}:v1`),
    ];
    const t0 = Date.now();
    const res = await post(stack.agent, `${url}/validate`, podReview('many', 'shop', images));
    const took = Date.now() - t0;
    assert.equal(res.status, 200);
    assert.ok(took < BUDGET_MS + MARGIN_MS, `answered in ${took} ms (budget ${BUDGET_MS} ms)`);
    assert.ok(took >= BUDGET_MS - 50, `waited for the budget (${took} ms)`);
    assert.equal(res.json.response.allowed, false);
    const message: string = res.json.response.status.message;
    // Refused as images of unknown digest are under blockUnregistered, and said so.
    assert.match(
      message,
      new RegExp(
        `image "${registry.host}/d400/app-\\d+:v1" \\(digest unknown\\) is not registered: its tag was not resolved within the 0\\.6 s lookup budget`,
      ),
    );
    // Capped: 20 lines and a count of the rest, not one line per image.
    const lines = message.split('\n');
    assert.equal(lines.length, 21, message);
    assert.match(lines[20]!, /^… and \d+ more images$/);
    assert.equal(Number(/and (\d+) more/.exec(lines[20]!)![1]) + 20, images.length, 'every image is refused');

    await waitFor('the decision audited', () => audits.find((a) => a.event.case === 'admission' && a.event.value.uid === 'many'));
    const event = audits.find((a) => a.event.case === 'admission' && a.event.value.uid === 'many')!;
    assert.ok(event.event.case === 'admission');
    const decisions = event.event.value.images;
    assert.equal(decisions.length, images.length, 'the audit record has every image');
    const late = decisions.filter((d) =>
      d.reasons.some((r) => r.control === 'tag-lookup' && /not resolved within the 0\.6 s/.test(r.message)),
    );
    // 4 at once, 400 ms each, 600 ms budget: at most 8 answered in time; the never-answered ones are late too.
    assert.ok(late.length >= images.length - 1 - 8, `${late.length} images recorded as not resolved in time`);
    const gone = decisions.find((d) => d.reference.includes('/missing/'))!;
    assert.ok(!gone.reasons.some((r) => r.control === 'tag-lookup'), 'a tag the registry does not have is not "unresolved"');
    assert.equal(gone.image?.digest, '');
    assert.equal(gone.allowed, false);

    // Queued lookups whose review was out of budget were never sent.
    await new Promise((r) => setTimeout(r, 600));
    assert.ok(registry.requests < 30, `${registry.requests} HEADs sent for ${images.length} tags`);
  });

  it('never has more HEADs at the registry than ADMISSION_TAG_LOOKUP_CONCURRENCY, across reviews', async () => {
    registry.resetStats();
    const reviews = [0, 1, 2].map((r) =>
      post(
        stack.agent,
        `${url}/validate`,
        podReview(
          `cap-${r}`,
          'shop',
          Array.from({ length: 50 }, (_, i) => `${registry.host}/d100/cap-${r}-${i}:v1`),
        ),
      ),
    );
    for (const res of await Promise.all(reviews)) assert.equal(res.status, 200);
    assert.ok(registry.requests >= 8, `${registry.requests} HEADs made`);
    assert.ok(registry.maxInFlight <= 4, `${registry.maxInFlight} HEADs at once at the registry`);
    assert.equal(registry.maxInFlight, 4, 'the bound was reached');
  });

  it('uses a tag resolved after its review answered for the next review', async () => {
    // Four lookups ahead of it in the same review: it starts at 400 ms and answers at 800 ms,
    // after the review's 600 ms budget (and well within its own HEAD deadline).
    const image = `${registry.host}/d400/later:v1`;
    const ahead = Array.from({ length: 4 }, (_, i) => `${registry.host}/d400/ahead-${i}:v1`);
    await stack.putVerdict(digestOfTag('d400/later', 'v1'), verdict(Compliance.COMPLIANT));
    registry.resetStats();
    const first = await post(stack.agent, `${url}/validate`, podReview('later-1', 'shop', [...ahead, image]));
    assert.equal(first.json.response.allowed, false);
    assert.ok(
      first.json.response.status.message.includes(
        `image "${image}" (digest unknown) is not registered: its tag was not resolved within the 0.6 s lookup budget`,
      ),
      first.json.response.status.message,
    );
    // The HEAD goes on after the answer, and what it learns is kept.
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    const second = await post(stack.agent, `${url}/validate`, podReview('later-2', 'shop', [image]));
    assert.equal(second.json.response.allowed, true, JSON.stringify(second.json.response));
    assert.ok(Date.now() - t0 < 300, 'answered from the cache');
    assert.equal(registry.requests, 5, 'no second HEAD for the tag');
  });

  it('shares one lookup between reviews asking for the same tag at once', async () => {
    registry.resetStats();
    const image = `${registry.host}/d200/shared:v1`;
    const [a, b] = await Promise.all([
      post(stack.agent, `${url}/validate`, podReview('shared-1', 'shop', [image])),
      post(stack.agent, `${url}/validate`, podReview('shared-2', 'shop', [image])),
    ]);
    for (const res of [a, b]) assert.match(res.json.response.status.message, /\(sha256:[0-9a-f]{64}\) is not registered \(never scanned\)/);
    assert.equal(registry.requests, 1);
  });

  it('starts a small review’s lookup at the next free slot, not behind a large review’s queue', async () => {
    const small = `${registry.host}/d50/small:v1`;
    await stack.putVerdict(digestOfTag('d50/small', 'v1'), verdict(Compliance.COMPLIANT));
    const large = post(
      stack.agent,
      `${url}/validate`,
      podReview(
        'large',
        'shop',
        Array.from({ length: 400 }, (_, i) => `${registry.host}/d300/big-${i}:v1`),
      ),
    );
    await new Promise((r) => setTimeout(r, 50)); // the large review's lookups are queued first
    const res = await post(stack.agent, `${url}/validate`, podReview('small', 'shop', [small]));
    assert.equal(res.json.response.allowed, true, JSON.stringify(res.json.response));
    assert.equal((await large).json.response.allowed, false);
  });
});

describe('admission: the tag resolver on its own', { timeout: 60_000 }, () => {
  it('keeps a bounded number of registry clients however many hosts reviews name, and still resolves', async () => {
    const registry = await startSlowRegistry(byRepository);
    const resolver = new TagResolver({ registries: [], timeoutMs: 1000, ttlMs: 60_000, maxEntries: 10_000, concurrency: 16 });
    try {
      // 100 hosts nobody listens on: each lookup fails fast (connection refused), each host a client.
      const hosts = await Promise.all(Array.from({ length: 100 }, () => freePort()));
      const refs = hosts.map((port) => parseImageReference(`127.0.0.1:${port}/team/app:v1`));
      const unresolved = await resolver.resolveAll(refs, Date.now() + 5000);
      assert.equal(unresolved.size, 100);
      assert.ok(
        [...unresolved.values()].every((why) => why === 'error'),
        JSON.stringify([...unresolved.values()].slice(0, 3)),
      );
      assert.ok(resolver.load.registryClients <= 64, `${resolver.load.registryClients} registry clients held`);
      const ok = parseImageReference(`${registry.host}/d20/app:v1`);
      assert.equal((await resolver.resolveAll([ok], Date.now() + 2000)).size, 0);
      assert.equal(resolver.cached(`${registry.host}/d20/app:v1`)?.value, digestOfTag('d20/app', 'v1'));
      assert.deepEqual(resolver.load, { running: 0, queued: 0, registryClients: 64 });
    } finally {
      await resolver.close();
      await registry.close();
    }
  });
});
