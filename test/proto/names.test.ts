// The topology named in @assay/proto must be self-consistent: every subject lands in exactly
// one stream, every consumer filters inside its own stream, and messages round-trip.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, fromBinary, toBinary, toJson } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { Buckets, Consumers, deadLetterTopic, EventMetaSchema, FullTopology, ScanProgressTopic, Streams, Topics } from '@assay/proto';

// NATS subject matching: `*` one token, `>` one or more trailing tokens.
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

function streamsFor(subject: string): string[] {
  return FullTopology.streams.filter((st) => st.subjects.some((p) => matches(p, subject))).map((st) => st.name);
}

test('subject matcher used by these tests behaves like NATS', () => {
  assert.ok(matches('assay.audit.>', 'assay.audit.admission'));
  assert.ok(!matches('assay.audit.>', 'assay.audit'));
  assert.ok(matches('assay.*.requested', 'assay.scan.requested'));
  assert.ok(!matches('assay.scan.requested', 'assay.scan.completed'));
});

test('every stored topic is captured by exactly one stream', () => {
  for (const [key, t] of Object.entries(Topics)) {
    assert.deepEqual(streamsFor(t.subject).length, 1, `${key} (${t.subject}) → ${streamsFor(t.subject).join(',')}`);
  }
  for (const st of FullTopology.streams) {
    assert.deepEqual(streamsFor(deadLetterTopic(st.name).subject), [Streams.deadLetter.name]);
  }
});

test('progress messages are core NATS only: no stream stores them', () => {
  assert.deepEqual(streamsFor(ScanProgressTopic.forDigest('sha256:' + 'a'.repeat(64)).subject), []);
});

test('every consumer filters on subjects of its own stream, with unique durable names', () => {
  const durables = new Set<string>();
  for (const c of Object.values(Consumers)) {
    const stream = FullTopology.streams.find((s) => s.name === c.stream);
    assert.ok(stream, `${c.durable}: stream ${c.stream} exists`);
    const probe = c.filterSubject.replace('>', 'x').replaceAll('*', 'x');
    assert.ok(
      stream.subjects.some((p) => matches(p, probe)),
      `${c.durable} filter ${c.filterSubject} inside ${c.stream}`,
    );
    assert.ok(!durables.has(c.durable), `duplicate durable ${c.durable}`);
    durables.add(c.durable);
  }
  assert.equal(new Set(Object.values(Buckets).map((b) => b.name)).size, Object.keys(Buckets).length);
});

test('every topic message has EventMeta and round-trips through binary and JSON', () => {
  for (const [key, t] of Object.entries(Topics)) {
    const metaField = t.schema.fields.find((f) => f.name === 'meta');
    assert.ok(metaField && metaField.message?.typeName === EventMetaSchema.typeName, `${key} has meta`);
    const meta = create(EventMetaSchema, { id: `id-${key}`, time: timestampNow(), producer: 'test' });
    const msg = create(t.schema, { meta } as never);
    const back = fromBinary(t.schema, toBinary(t.schema, msg));
    const json = toJson(t.schema, back) as { meta?: { id?: string; producer?: string } };
    assert.equal(json.meta?.id, `id-${key}`);
    assert.equal(json.meta?.producer, 'test');
  }
});
