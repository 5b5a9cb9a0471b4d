// The watcher's counters: what notifications brought, what was announced, what changed in the
// tags bucket, deletions, failures and polls. (The queue and failure gauges are collected from
// the running watcher, in watcher.ts.)
import type { Counter, Metrics } from '@assay/telemetry';

export interface WatcherCounters {
  received: Counter<'kind' | 'action' | 'outcome'>;
  discovered: Counter<'registry' | 'source'>;
  tagChanges: Counter<'registry' | 'change'>;
  deletes: Counter<'registry'>;
  errors: Counter<'registry' | 'stage'>;
  polls: Counter<'registry' | 'outcome'>;
}

export function watcherCounters(metrics: Metrics): WatcherCounters {
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) => metrics.counter<L>({ name, help, labelNames });
  return {
    received: counter(
      'assay_watcher_notification_events_total',
      'Registry notification events received, by kind, action and what became of them',
      ['kind', 'action', 'outcome'],
    ),
    discovered: counter('assay_watcher_images_discovered_total', 'Manifest digests announced as ImageDiscovered', ['registry', 'source']),
    tagChanges: counter(
      'assay_watcher_tag_changes_total',
      'Changes written to the tags bucket (updated: new or moved tag; removed: deleted tag or manifest)',
      ['registry', 'change'],
    ),
    deletes: counter('assay_watcher_deletes_total', 'Manifest or tag deletions notified by registries', ['registry']),
    errors: counter('assay_watcher_errors_total', 'Failures: polls, notification work attempts (retried) and work given up', [
      'registry',
      'stage',
    ]),
    polls: counter('assay_watcher_polls_total', 'Registry polls, by outcome', ['registry', 'outcome']),
  };
}

/** What the cluster source's gauges read (cluster/cluster-source.ts). */
export interface ClusterGaugeSource {
  running: { digestCount: number; pods: number };
  workloads: number;
  omitted: number;
  informer: { staleSeconds(): number; isSynced: boolean };
}

/** The cluster source's gauges: running digests, workloads and pods, omitted workloads, informer staleness. */
export function clusterGauges(metrics: Metrics, source: ClusterGaugeSource): void {
  const gauge = (name: string, help: string, read: () => number) =>
    metrics.gauge({
      name,
      help,
      collect() {
        this.set(read());
      },
    });
  gauge(
    'assay_watcher_running_digests',
    'Digests running in the cluster (entries of the running bucket)',
    () => source.running.digestCount,
  );
  gauge('assay_watcher_running_workloads', 'Workloads running each digest, summed over digests', () => source.workloads);
  gauge('assay_watcher_running_pods', 'Pods running at least one image with a known digest', () => source.running.pods);
  gauge(
    'assay_watcher_running_workloads_omitted',
    'Workloads left out of running bucket entries (beyond WATCHER_RUNNING_MAX_WORKLOADS per digest)',
    () => source.omitted,
  );
  gauge(
    'assay_watcher_pod_informer_stale_seconds',
    'Seconds the Pod list/watch has been broken after loading (what the running bucket says may be stale); 0 while up',
    () => source.informer.staleSeconds(),
  );
  gauge('assay_watcher_pod_informer_synced', '1 once the Pod list has loaded', () => (source.informer.isSynced ? 1 : 0));
}
