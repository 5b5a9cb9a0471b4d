// The scanner's HTTP routes on its health server:
//   GET /reports/:digest        the stored scan report (JSON)
//   GET /reports/:digest/sbom   its inventory as CycloneDX 1.6 JSON
//   GET /reports/:digest/sarif  its findings as SARIF 2.1.0 (code-scanning dashboards)
// 503 while the service starts, 400 for a malformed digest, 404 when there is no report.
import type { FastifyPluginAsync } from 'fastify';
import { toSarif } from '@assay/inventory';
import type { ScanReport } from '@assay/store';
import { toCycloneDx } from './cyclonedx.ts';

export interface ScannerRoutesOptions {
  /** Reads a report; undefined while the service starts. */
  reports: () => { get(digest: string): Promise<ScanReport | undefined> } | undefined;
}

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
export const CYCLONEDX_JSON = 'application/vnd.cyclonedx+json; version=1.6';
export const SARIF_JSON = 'application/sarif+json';

export const scannerRoutes: FastifyPluginAsync<ScannerRoutesOptions> = async (app, opts) => {
  const load = async (digest: string): Promise<{ status: number; body: unknown } | ScanReport> => {
    if (!DIGEST.test(digest)) return { status: 400, body: { error: `${JSON.stringify(digest.slice(0, 200))} is not a digest (sha256:<hex>)` } };
    const reports = opts.reports();
    if (!reports) return { status: 503, body: { error: 'scanner is starting' } };
    const report = await reports.get(digest);
    if (!report) return { status: 404, body: { error: `no report for ${digest}` } };
    return report;
  };
  app.get<{ Params: { digest: string } }>('/reports/:digest', async (req, reply) => {
    const r = await load(req.params.digest);
    if ('status' in r && typeof r.status === 'number' && !('reportId' in r)) return reply.code(r.status).send(r.body);
    return reply.type('application/json').send(r);
  });
  app.get<{ Params: { digest: string } }>('/reports/:digest/sbom', async (req, reply) => {
    const r = await load(req.params.digest);
    if ('status' in r && typeof r.status === 'number' && !('reportId' in r)) return reply.code(r.status).send(r.body);
    return reply.type(CYCLONEDX_JSON).send(toCycloneDx(r as ScanReport));
  });
  app.get<{ Params: { digest: string } }>('/reports/:digest/sarif', async (req, reply) => {
    const r = await load(req.params.digest);
    if ('status' in r && typeof r.status === 'number' && !('reportId' in r)) return reply.code(r.status).send(r.body);
    return reply.type(SARIF_JSON).send(JSON.stringify(toSarif(r as ScanReport)));
  });
};
