// docs/configuration.md is generated from the services' config schemas by
// scripts/config-reference.ts; these tests fail when it is stale, and check that what it shows
// (defaults, secrets) is what the schemas say.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { durationMs, int, str, secret } from '@assay/config';
import { serviceConfigSpec, type ServiceDefinition } from '@assay/service-kit';
import { referencePath, renderConfigReference, services, undescribedVariables } from '../../scripts/config-reference.ts';

/** Rows of every table in a section of the document: variable → [default cell, secret]. */
function sectionRows(doc: string, heading: string): Map<string, { default: string; secret: boolean }> {
  const start = doc.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `docs/configuration.md has no section "## ${heading}"`);
  const end = doc.indexOf('\n## ', start + 1);
  const body = doc.slice(start, end < 0 ? undefined : end);
  const rows = new Map<string, { default: string; secret: boolean }>();
  for (const line of body.split('\n')) {
    const m = /^\| `([A-Z0-9_]+)`( 🔒)? \| (.*?) \| /.exec(line);
    if (m) rows.set(m[1]!, { default: m[3]!, secret: m[2] !== undefined });
  }
  return rows;
}

describe('docs/configuration.md', () => {
  it('is up to date with the config schemas (run: node scripts/config-reference.ts)', () => {
    let current: string;
    try {
      current = readFileSync(referencePath, 'utf8');
    } catch {
      assert.fail('docs/configuration.md is missing: run node scripts/config-reference.ts');
    }
    assert.ok(
      current === renderConfigReference(),
      'docs/configuration.md is stale: run node scripts/config-reference.ts (Node 24) and commit the result',
    );
  });

  it('lists every variable of every service, with secrets marked and defaults the schemas read back', () => {
    const doc = renderConfigReference();
    const common = sectionRows(doc, 'Common');
    for (const def of services) {
      const spec = serviceConfigSpec(def);
      const own = sectionRows(doc, def.name);
      const ownNames = new Set(Object.keys(def.config ?? {}));
      for (const v of spec.variables()) {
        const row = ownNames.has(v.name) ? own.get(v.name) : common.get(v.name);
        assert.ok(row, `${def.name}: ${v.name} is not in docs/configuration.md`);
        assert.equal(row.secret, v.secret, `${def.name}: ${v.name} secret marking`);
        // A default shown as a value must be one the variable accepts, and mean the same.
        const shown = /^`([^`]*)`$/.exec(row.default)?.[1]?.replace(/\\\|/g, '|');
        if (shown === undefined || v.default === undefined || v.name === 'SERVICE_INSTANCE') continue;
        const schema = (spec.shape as Record<string, { safeParse(x: unknown): { success: boolean; data?: unknown } }>)[v.name]!;
        const parsed = schema.safeParse(shown);
        assert.ok(parsed.success, `${def.name}: ${v.name} default shown as ${shown} is not a valid value`);
        assert.deepEqual(parsed.data, v.default, `${def.name}: ${v.name} default shown as ${shown}`);
      }
      assert.equal(own.size, ownNames.size, `${def.name}: own variables in docs/configuration.md`);
    }
  });

  it('renders deterministically (nothing of this machine or process)', () => {
    const doc = renderConfigReference();
    assert.equal(doc, renderConfigReference());
    assert.ok(!doc.includes(`-${process.pid}`), 'the document contains this process id');
  });

  it('lists a variable without a description, and reports it', () => {
    const fake: ServiceDefinition<any, any> = {
      name: 'fake',
      httpPort: 9999,
      config: {
        FAKE_COUNT: int({ min: 1, max: 9 }).default(3),
        FAKE_WAIT: durationMs().default(90_000).describe('How long | to *wait*'),
        FAKE_NAME: str(),
        FAKE_PASSWORD: secret().optional(),
      },
    };
    const doc = renderConfigReference([fake]);
    assert.match(doc, /^\| `FAKE_COUNT` \| `3` \| \*Form:\* an integer \(1-9\) \|$/m);
    assert.match(doc, /^\| `FAKE_WAIT` \| `90s` \| How long \\\| to \\\*wait\\\*<br>/m);
    assert.match(doc, /^\| `FAKE_NAME` \| \*\*required\*\* \| /m);
    assert.match(doc, /^\| `FAKE_PASSWORD` 🔒 \| \*unset\* \| /m);
    assert.deepEqual(undescribedVariables([fake]), ['fake: FAKE_COUNT', 'fake: FAKE_NAME', 'fake: FAKE_PASSWORD']);
  });
});
