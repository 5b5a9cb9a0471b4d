// CISA's Known Exploited Vulnerabilities catalogue
// (https://www.cisa.gov/known-exploited-vulnerabilities-catalog), the JSON feed
// `known_exploited_vulnerabilities.json`: `{catalogVersion, dateReleased, count,
// vulnerabilities: [{cveID, vendorProject, product, vulnerabilityName, dateAdded,
// shortDescription, requiredAction, dueDate, knownRansomwareCampaignUse, notes, cwes}]}`.
import { CVE_ID } from './epss.ts';

export interface KevRow {
  cve: string;
  /** YYYY-MM-DD */
  dateAdded: string;
  /** YYYY-MM-DD: the remediation deadline CISA sets for US federal agencies. */
  dueDate?: string;
  /** knownRansomwareCampaignUse is `Known`. */
  ransomware: boolean;
  name?: string;
}

export interface KevFeed {
  catalogVersion?: string;
  dateReleased?: string;
  rows: KevRow[];
  invalid: number;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

export function parseKevJson(text: string): KevFeed {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`KEV catalogue: invalid JSON: ${(err as Error).message}`, { cause: err });
  }
  const doc = json as { catalogVersion?: unknown; dateReleased?: unknown; vulnerabilities?: unknown };
  if (typeof json !== 'object' || json === null || !Array.isArray(doc.vulnerabilities))
    throw new Error('KEV catalogue: no `vulnerabilities` array');
  const feed: KevFeed = { rows: [], invalid: 0 };
  const version = str(doc.catalogVersion);
  const released = str(doc.dateReleased);
  if (version) feed.catalogVersion = version;
  if (released) feed.dateReleased = released;
  for (const v of doc.vulnerabilities as unknown[]) {
    const e = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
    const cve = str(e.cveID);
    const dateAdded = str(e.dateAdded);
    if (!cve || !CVE_ID.test(cve) || !dateAdded || !DATE.test(dateAdded)) {
      feed.invalid++;
      continue;
    }
    const dueDate = str(e.dueDate);
    const name = str(e.vulnerabilityName);
    feed.rows.push({
      cve,
      dateAdded,
      ...(dueDate && DATE.test(dueDate) ? { dueDate } : {}),
      ransomware: str(e.knownRansomwareCampaignUse)?.toLowerCase() === 'known',
      ...(name ? { name: name.slice(0, 500) } : {}),
    });
  }
  return feed;
}
