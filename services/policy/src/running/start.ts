// Starting the running-workloads reports from the policy service's configuration, on the
// Kubernetes client its controller uses (POLICY_KUBERNETES): the formats, the debounce, the
// bound, the link to a digest's full report, and the gauge.
import type { ConnectionState } from '@assay/bus';
import type { KubeClient } from '@assay/kube';
import type { Logger, Metrics } from '@assay/telemetry';
import type { JetStreamClient } from 'nats';
import { reportFormats } from './report-objects.ts';
import { ReportWriter } from './report-writer.ts';
import { RunningReports } from './running-reports.ts';

export interface RunningReportsSettings {
  POLICY_REPORTS_FORMAT: string[];
  POLICY_REPORTS_DEBOUNCE: number;
  POLICY_REPORTS_MAX_RESULTS: number;
  POLICY_REPORTS_LINK: string;
}

export function runningReports(
  settings: RunningReportsSettings,
  deps: { client: KubeClient; js: JetStreamClient; connection?: ConnectionState; logger: Logger; metrics: Metrics },
): RunningReports {
  const formats = reportFormats(settings.POLICY_REPORTS_FORMAT);
  const writes = deps.metrics.counter({
    name: 'assay_running_report_writes_total',
    help: 'Running-workload report writes, by format and outcome (created, replaced, unchanged, deleted, absent, unavailable, foreign)',
    labelNames: ['format', 'outcome'],
  });
  const gauge = deps.metrics.gauge({
    name: 'assay_running_noncompliant_workloads',
    help: 'Running workloads whose image is non-compliant, by namespace and failing control',
    labelNames: ['namespace', 'control'],
  });
  const writer = new ReportWriter({
    client: deps.client,
    formats,
    logger: deps.logger,
    onWrite: (format, outcome) => writes.inc({ format, outcome }),
  });
  const link = settings.POLICY_REPORTS_LINK;
  return new RunningReports({
    js: deps.js,
    ...(deps.connection ? { connection: deps.connection } : {}),
    writer,
    logger: deps.logger,
    gauge,
    link: (digest) => link.replaceAll('{digest}', digest),
    maxResults: settings.POLICY_REPORTS_MAX_RESULTS,
    debounceMs: settings.POLICY_REPORTS_DEBOUNCE,
  });
}
