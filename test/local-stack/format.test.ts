// The local stack's log formatter and its colour rules.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFormatter, useColor } from '../../scripts/local-stack/format.ts';

describe('local stack: log formatting', () => {
  const plain = createFormatter({ color: false, nameWidth: 16 });

  it('turns a pino JSON line into HH:MM:SS service LEVEL message key=val', () => {
    const time = new Date(2025, 0, 2, 9, 5, 7).toISOString();
    const line = JSON.stringify({
      level: 'warn',
      time,
      service: 'scanner',
      instance: 'i',
      pid: 1,
      msg: 'slow layer',
      digest: 'sha256:ab',
      seconds: 2.5,
      note: 'two words',
      nested: { a: 1 },
    });
    assert.equal(
      plain.format('scanner', line),
      '09:05:07 scanner          WARN  slow layer digest=sha256:ab seconds=2.5 note="two words" nested={"a":1}',
    );
  });

  it('accepts numeric pino levels and epoch times', () => {
    const t = new Date(2025, 0, 2, 23, 59, 1).getTime();
    assert.equal(plain.format('audit', JSON.stringify({ level: 50, time: t, msg: 'boom' })), '23:59:01 audit            ERROR boom');
  });

  it('shows an error message, and its stack under error lines', () => {
    const out = plain.format(
      'policy',
      JSON.stringify({
        level: 'error',
        time: 0,
        msg: 'failed',
        err: { type: 'Error', message: 'bad thing', stack: 'Error: bad thing\n    at x (y.ts:1:1)' },
      }),
    );
    const [first, ...rest] = out.split('\n');
    assert.match(first!, /ERROR failed err="bad thing"$/);
    assert.deepEqual(rest, ['    Error: bad thing', '        at x (y.ts:1:1)']);
  });

  it('passes non-JSON lines through under the service name', () => {
    assert.match(
      plain.format('admission', 'node:internal/modules/run_main:123'),
      /^\d\d:\d\d:\d\d admission        node:internal\/modules\/run_main:123$/,
    );
    assert.match(plain.format('admission', '{not json'), /admission        \{not json$/);
  });

  it('colours only when asked', () => {
    const colored = createFormatter({ color: true });
    assert.match(colored.format('scanner', JSON.stringify({ level: 'info', msg: 'hi' })), /\u001b\[/);
    assert.doesNotMatch(plain.format('scanner', JSON.stringify({ level: 'info', msg: 'hi' })), /\u001b\[/);
  });

  it('colour rules: TTY without NO_COLOR; FORCE_COLOR forces', () => {
    assert.equal(useColor({ isTTY: true }, {}), true);
    assert.equal(useColor({ isTTY: false }, {}), false);
    assert.equal(useColor({}, {}), false);
    assert.equal(useColor({ isTTY: true }, { NO_COLOR: '1' }), false);
    assert.equal(useColor({ isTTY: true }, { NO_COLOR: '' }), true);
    assert.equal(useColor({ isTTY: false }, { FORCE_COLOR: '1' }), true);
    assert.equal(useColor({ isTTY: true }, { FORCE_COLOR: '0' }), false);
    assert.equal(useColor({ isTTY: false }, { FORCE_COLOR: '1', NO_COLOR: '1' }), true);
  });
});
