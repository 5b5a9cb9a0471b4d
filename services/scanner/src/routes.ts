// The scanner's HTTP routes on its health server:
//   GET /reports/:digest        the stored scan report (JSON)
//   GET /reports/:digest/sbom   its inventory as CycloneDX 1.6 JSON
//   GET /reports/:digest/sarif  its findings as SARIF 2.1.0 (code-scanning dashboards)
// 503 while the service starts, 400 for a malformed digest, 404 when there is no report.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ScanReport } from '@assay/domain';
import { toCycloneDx, toSarif } from '@assay/scan-engine';

export interface ScannerRoutesOptions {
  /** Reads a report; undefined while the service starts. */
  reports: () => { get(digest: string): Promise<ScanReport | undefined> } | undefined;
}

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
export const CYCLONEDX_JSON = 'application/vnd.cyclonedx+json; version=1.6';
export const SARIF_JSON = 'application/sarif+json';

export const scannerRoutes: FastifyPluginAsync<ScannerRoutesOptions> = async (app, opts) => {
  /** A route answering with a form of the stored report, or with why there is none. */
  const reportRoute =
    (type: string, body: (report: ScanReport) => unknown) =>
    async (req: FastifyRequest<{ Params: { digest: string } }>, reply: FastifyReply) => {
      const { digest } = req.params;
      if (!DIGEST.test(digest))
        return reply.code(400).send({ error: `${JSON.stringify(digest.slice(0, 200))} is not a digest (sha256:<hex>)` });
      const reports = opts.reports();
      if (!reports) return reply.code(503).send({ error: 'scanner is starting' });
      const report = await reports.get(digest);
      if (!report) return reply.code(404).send({ error: `no report for ${digest}` });
      return reply.type(type).send(body(report));
    };
  app.get(
    '/reports/:digest',
    reportRoute('application/json', (r) => r),
  );
  app.get(
    '/reports/:digest/sbom',
    reportRoute(CYCLONEDX_JSON, (r) => toCycloneDx(r)),
  );
  app.get(
    '/reports/:digest/sarif',
    reportRoute(SARIF_JSON, (r) => JSON.stringify(toSarif(r))),
  );
};
