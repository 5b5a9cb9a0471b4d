// The Kibana saved objects in deploy/kibana: every field a visualisation, the saved search or the
// data view uses exists in the audit index template's mapping, the data view covers the data
// stream, and the dashboard references every panel object that is in the file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AUDIT_MAPPINGS, templatePattern } from '@assay/audit';
import { flattenMapping } from '../support/elasticsearch-standin/index.ts';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const file = join(root, 'deploy', 'kibana', 'assay-audit.ndjson');

interface SavedObject {
  type: string;
  id: string;
  attributes: Record<string, any>;
  references: { name: string; type: string; id: string }[];
}

const objects: SavedObject[] = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as SavedObject);

/** Field names in a KQL query: the left side of every `field : value`. */
function kqlFields(q: string): string[] {
  return [...q.matchAll(/([A-Za-z@_][\w@.]*)\s*:/g)].map((m) => m[1]!);
}

function fieldsUsed(o: SavedObject): string[] {
  const out: string[] = [];
  const search = o.attributes.kibanaSavedObjectMeta?.searchSourceJSON;
  if (search) {
    const s = JSON.parse(search) as { query?: { query?: string }; filter?: { meta?: { key?: string } }[] };
    out.push(...kqlFields(s.query?.query ?? ''));
    for (const f of s.filter ?? []) if (f.meta?.key) out.push(f.meta.key);
  }
  if (o.type === 'visualization') {
    const vs = JSON.parse(o.attributes.visState as string) as { aggs: { params: { field?: string } }[] };
    for (const a of vs.aggs) if (a.params.field) out.push(a.params.field);
  }
  if (o.type === 'search') {
    out.push(...(o.attributes.columns as string[]));
    for (const [f] of o.attributes.sort as [string, string][]) out.push(f);
  }
  if (o.type === 'index-pattern') out.push(o.attributes.timeFieldName as string);
  return out;
}

describe('Kibana saved objects', () => {
  const mapped = flattenMapping(AUDIT_MAPPINGS as never);

  it('use only fields of the index template mapping', () => {
    let checked = 0;
    for (const o of objects) {
      for (const f of fieldsUsed(o)) {
        checked++;
        assert.ok(mapped.has(f), `${o.type} ${o.id} uses ${f}, which is not in the mapping`);
        assert.notEqual(mapped.get(f), 'object', `${o.type} ${o.id} uses ${f}, an object`);
      }
    }
    assert.ok(checked > 20, `only ${checked} fields checked`);
  });

  it('aggregate only on aggregatable fields (keyword, numbers, dates, booleans)', () => {
    for (const o of objects.filter((x) => x.type === 'visualization')) {
      const vs = JSON.parse(o.attributes.visState as string) as { aggs: { type: string; params: { field?: string } }[] };
      for (const a of vs.aggs) {
        if (!a.params.field) continue;
        assert.match(mapped.get(a.params.field) ?? '', /^(keyword|long|integer|date|boolean|ip|double)$/, `${o.id}: ${a.params.field}`);
      }
    }
  });

  it('have a data view over the data stream and a dashboard with every panel', () => {
    const dv = objects.find((o) => o.type === 'index-pattern');
    assert.ok(dv);
    assert.equal(dv.attributes.title, templatePattern('logs-assay.audit-default'));
    const ids = new Set(objects.map((o) => `${o.type}/${o.id}`));
    for (const o of objects)
      for (const r of o.references) assert.ok(ids.has(`${r.type}/${r.id}`), `${o.id} references missing ${r.type}/${r.id}`);
    const dash = objects.find((o) => o.type === 'dashboard');
    assert.ok(dash);
    const panels = JSON.parse(dash.attributes.panelsJSON as string) as { panelRefName: string }[];
    assert.equal(panels.length, objects.filter((o) => o.type === 'visualization' || o.type === 'search').length);
    for (const p of panels) assert.ok(dash.references.some((r) => r.name === p.panelRefName));
    const titles = objects.filter((o) => o.type === 'visualization').map((o) => o.attributes.title as string);
    for (const want of [/over time/, /by namespace/, /failing images/, /failing controls/, /CVE/, /[Bb]reak-glass/]) {
      assert.ok(
        titles.some((t) => want.test(t)),
        `no visualisation for ${want}`,
      );
    }
  });
});
