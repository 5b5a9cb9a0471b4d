// Console area: images. The list is answered from the verdict list's memory (no store read per
// row, so it stays fast at 50,000 images); an image's page reads its verdict (one KV get) and
// its stored report; the report's downloads are the report as stored, CycloneDX and SARIF.
import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import {
  html,
  imagePage,
  imagesPage,
  imagesUrl,
  imageUrl,
  VULNERABILITY_SORTS,
  type ImagesFilter,
  type VerdictView,
  type VulnerabilitySort,
} from '@assay/console';
import type { ScanReport } from '@assay/domain';
import { Compliance, type Verdict } from '@assay/proto';
import { platformName } from '@assay/runtime-policy';
import { toCycloneDx, toSarif } from '@assay/scan-engine';
import { COMPLIANCE_NAMES, InvalidContinueError, type ComplianceName, type VerdictFilter } from '../verdict-list.ts';
import type { ConsoleArea, ConsoleCall } from './router.ts';

export const IMAGES_PER_PAGE = 50;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const MAX_FILTER_CHARS = 500;

const COMPLIANCE_WORDS: Record<number, string> = {
  [Compliance.UNSPECIFIED]: 'unspecified',
  [Compliance.COMPLIANT]: 'compliant',
  [Compliance.NON_COMPLIANT]: 'non_compliant',
  [Compliance.PENDING]: 'pending',
  [Compliance.ERROR]: 'error',
};
const complianceWord = (c: Compliance) => COMPLIANCE_WORDS[c] ?? 'unspecified';
const iso = (t: Timestamp | undefined) => (t ? timestampDate(t).toISOString() : undefined);

/** The protobuf verdict as the page's plain data. */
export function verdictView(v: Verdict): VerdictView {
  const img = v.image;
  return {
    image: {
      registry: img?.registry ?? '',
      repository: img?.repository ?? '',
      tag: img?.tag ?? '',
      mediaType: img?.mediaType ?? '',
      platform: img?.platform && (img.platform.os || img.platform.architecture) ? platformName(img.platform) : '',
    },
    compliance: complianceWord(v.compliance),
    evaluatedAt: iso(v.evaluatedAt),
    scannedAt: iso(v.scannedAt),
    complianceSince: iso(v.complianceSince),
    vulnDbVersion: v.vulnDbVersion,
    reportId: v.reportId,
    reasons: v.reasons.map((r) => ({
      policy: r.policy,
      control: r.control,
      message: r.message,
      severity: r.severity,
      remediation: r.remediation,
      auditOnly: r.auditOnly,
      evidence: r.evidence.map((e) => ({ item: e.item, fields: e.fields })),
      evidenceOmitted: r.evidenceOmitted,
    })),
    policies: v.policies.map((p) => ({ id: p.id, version: p.version })),
    trust: v.trust ? { signed: v.trust.signed, signers: v.trust.signers, attestationKinds: v.trust.attestationKinds } : undefined,
    suppressed: v.suppressed.map((s) => ({ ...s })),
    suppressedOmitted: v.suppressedOmitted,
    platforms: v.platforms.map((p) => ({
      platform: platformName(p.platform),
      digest: p.digest,
      compliance: complianceWord(p.compliance),
      reasons: p.reasons.length,
    })),
  };
}

/** The list's filter from the query string, with what was wrong with it (by field). */
function filterOf(c: ConsoleCall): { filter: ImagesFilter; errors: Map<string, string> } {
  const errors = new Map<string, string>();
  const text = (name: 'q' | 'repository' | 'control') => {
    const v = c.query[name]?.trim();
    if (!v) return undefined;
    if (v.length > MAX_FILTER_CHARS) {
      errors.set(name, `at most ${MAX_FILTER_CHARS} characters`);
      return undefined;
    }
    return v;
  };
  let compliance = c.query.compliance || undefined;
  if (compliance && !(COMPLIANCE_NAMES as readonly string[]).includes(compliance)) {
    errors.set('compliance', `unknown verdict ${JSON.stringify(compliance.slice(0, 50))}: choose one of the list`);
    compliance = undefined;
  }
  return { filter: { compliance, q: text('q'), repository: text('repository'), control: text('control') }, errors };
}

function listFilter(f: ImagesFilter): VerdictFilter {
  return {
    ...(f.compliance ? { compliance: f.compliance as ComplianceName } : {}),
    ...(f.repository ? { repository: f.repository } : {}),
    ...(f.q ? { q: f.q } : {}),
    ...(f.control ? { control: f.control } : {}),
  };
}

async function listPage(c: ConsoleCall) {
  const list = c.api.verdicts;
  if (!list) {
    c.status(503);
    return c.shell({ title: 'Images', active: 'images', body: html`<p>The verdict list is not available in this deployment.</p>` });
  }
  const { filter, errors } = filterOf(c);
  const cont = c.query.continue || undefined;
  const f = listFilter(filter);
  try {
    const page = list.list(f, IMAGES_PER_PAGE, cont);
    const previous = cont ? list.previous(f, IMAGES_PER_PAGE, cont).continue : undefined;
    if (errors.size) c.status(400);
    return c.shell({
      active: 'images',
      ...imagesPage({
        rows: page.items,
        filter,
        matching: list.count(f),
        total: list.size,
        next: page.continue,
        previous,
        continued: cont !== undefined,
        errors,
        now: c.now,
      }),
    });
  } catch (err) {
    if (!(err instanceof InvalidContinueError)) throw err;
    c.status(400);
    return c.shell({
      title: 'Images',
      active: 'images',
      body: html`<p role="alert">
        This page link is not valid (its continue token is damaged). <a href="${imagesUrl(filter)}">Start from the first page</a>.
      </p>`,
    });
  }
}

function notFound(c: ConsoleCall, digest: string) {
  c.status(404);
  const valid = DIGEST.test(digest);
  return c.shell({
    title: 'Image not found',
    active: 'images',
    body: html`<p>
      ${
        valid
          ? html`No image <code>${digest}</code> is known: it has no verdict and no scan report.`
          : html`<code>${digest.slice(0, 200)}</code> is not an image digest (<code>sha256:</code> and 64 hex digits).`
      }
      <a href="/console/images">See all images</a>.
    </p>`,
  });
}

async function imageDetail(c: ConsoleCall) {
  const digest = c.params.digest ?? '';
  if (!DIGEST.test(digest)) return notFound(c, digest);
  const [verdict, report] = await Promise.all([c.api.engine.verdict(digest), c.api.engine.store.reports.get(digest)]);
  if (!verdict && !report) return notFound(c, digest);
  const sort: VulnerabilitySort = (VULNERABILITY_SORTS as readonly string[]).includes(c.query.sort ?? '')
    ? (c.query.sort as VulnerabilitySort)
    : 'severity';
  const page = Math.max(1, Math.trunc(Number(c.query.page)) || 1);
  return c.shell({
    active: 'images',
    ...imagePage({
      digest,
      verdict: verdict ? verdictView(verdict) : undefined,
      report,
      vulnerabilities: {
        sort,
        page,
        href: (s, p) => `${imageUrl(digest)}?${new URLSearchParams({ sort: s, ...(p > 1 ? { page: String(p) } : {}) })}#h-vulnerabilities`,
      },
      now: c.now,
    }),
  });
}

/** A download of the stored report in one of its forms. */
function download(suffix: string, type: string, body: (r: ScanReport) => string) {
  return async (c: ConsoleCall) => {
    const digest = c.params.digest ?? '';
    if (!DIGEST.test(digest)) return notFound(c, digest);
    const report = await c.api.engine.store.reports.get(digest);
    if (!report) return notFound(c, digest);
    const name = `${digest.replace(':', '-').slice(0, 19)}${suffix}`;
    return c.reply.type(type).header('content-disposition', `attachment; filename="${name}"`).send(body(report));
  };
}

export const imagePages: ConsoleArea = (router) => {
  router.get('/images', listPage);
  router.get('/images/:digest', imageDetail);
  router.get(
    '/images/:digest/report.json',
    download('.report.json', 'application/json; charset=utf-8', (r) => JSON.stringify(r)),
  );
  router.get(
    '/images/:digest/report.cdx.json',
    download('.cdx.json', 'application/vnd.cyclonedx+json; version=1.6', (r) => toCycloneDx(r)),
  );
  router.get(
    '/images/:digest/report.sarif.json',
    download('.sarif.json', 'application/sarif+json', (r) => JSON.stringify(toSarif(r))),
  );
};
