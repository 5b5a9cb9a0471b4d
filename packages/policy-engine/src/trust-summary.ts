// A verdict's trust summary (the proto TrustSummary): the report's trust section in one line
// (@assay/trust summariseTrust), and an index's over its platforms. Audit documents index it
// (assay.trust.*) so a dashboard can ask "unsigned images admitted" without reading reasons.
import { create } from '@bufbuild/protobuf';
import { TrustSummarySchema, type TrustSummary } from '@assay/proto';
import type { ScanReport } from '@assay/domain';
import { boundedList, summariseTrust } from '@assay/trust';

/** The summary of a report's trust section; undefined when the report has none (not verified). */
export function trustSummaryOf(report: Pick<ScanReport, 'trust'>): TrustSummary | undefined {
  return report.trust ? create(TrustSummarySchema, summariseTrust(report.trust)) : undefined;
}

/**
 * An index's summary over its platforms' verdicts: signed when every platform is (a pod may run
 * any of them), with every signer and attestation kind found on any platform; undefined until a
 * platform has a summary.
 */
export function aggregateTrust(platforms: Iterable<{ trust?: TrustSummary | undefined }>): TrustSummary | undefined {
  const summaries = [...platforms].map((p) => p.trust);
  if (!summaries.some((t) => t !== undefined)) return undefined;
  return create(TrustSummarySchema, {
    signed: summaries.every((t) => t?.signed === true),
    signers: boundedList(summaries.flatMap((t) => t?.signers ?? [])),
    attestationKinds: boundedList(summaries.flatMap((t) => t?.attestationKinds ?? [])),
  });
}
