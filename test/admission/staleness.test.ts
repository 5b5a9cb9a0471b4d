// How stale admission's decision state is: 0 / undefined while connected with every mirror's
// watch up; from the moment the connection is lost (or a mirror's watch drops) it counts
// seconds, through a re-sync after the reconnect, until every mirror is live again. Before the
// first complete load there is nothing to be stale.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Staleness, type MirrorState } from '@assay/admission';

function mirror(bucket: string): MirrorState & { synced: boolean; live: boolean } {
  return {
    bucket,
    synced: false,
    live: false,
    isSynced() {
      return this.synced;
    },
    isLive() {
      return this.live;
    },
  };
}

describe('admission: staleness of the decision state', () => {
  it('counts from the loss of the connection until every mirror is live again', () => {
    let now = 1_000_000;
    let connected = true;
    const a = mirror('verdicts');
    const b = mirror('tags');
    const s = new Staleness({ mirrors: [a, b], isConnected: () => connected, now: () => now });
    assert.equal(s.staleFor(), undefined, 'nothing loaded yet: nothing to be stale');
    a.synced = a.live = true;
    b.synced = b.live = true;
    assert.equal(s.staleFor(), undefined);
    assert.equal(s.seconds(), 0);

    // The connection drops; the mirrors learn of it a little later.
    s.lost();
    connected = false;
    now += 2500;
    a.live = b.live = false;
    assert.equal(s.staleFor(), 2.5, 'counted from the loss, not from the first look');
    now += 10_000;
    assert.equal(s.seconds(), 12.5);

    // Reconnected, one mirror re-synced, the other still loading: still stale.
    connected = true;
    a.live = true;
    now += 500;
    assert.equal(s.staleFor(), 13);
    b.live = true;
    assert.equal(s.staleFor(), undefined);
    assert.equal(s.seconds(), 0);
  });

  it('a watch that drops while connected makes it stale from the first look, and a decision made at once is already marked', () => {
    let now = 0;
    const a = mirror('runtime-policies');
    a.synced = a.live = true;
    const s = new Staleness({ mirrors: [a], isConnected: () => true, now: () => now });
    a.live = false;
    assert.equal(s.staleFor(), 0, 'stale (defined), for 0 s so far');
    now += 1000;
    assert.equal(s.staleFor(), 1);
    a.live = true;
    assert.equal(s.staleFor(), undefined);
  });
});
