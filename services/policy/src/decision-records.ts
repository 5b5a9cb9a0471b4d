// Admission decisions as the console lists them: read from the audit stream (what admission
// published), so the console shows them without Elasticsearch. The shape people filter by.

export type DecisionOutcome = 'allowed' | 'denied' | 'warned';

export interface DecisionRecord {
  /** The audit event's id (the Elasticsearch _id). */
  id: string;
  /** When admission decided (ISO-8601). */
  at: string;
  outcome: DecisionOutcome;
  dryRun: boolean;
  namespace: string;
  /** Kind and name of the object reviewed (Pod, Deployment…). */
  kind: string;
  name: string;
  operation: string;
  /** Who asked the API server. */
  user: string;
  /** enforce, warn or audit. */
  mode: string;
  runtimePolicy: string;
  /** What kubectl showed. */
  message: string;
  images: Array<{ image: string; digest: string; allowed: boolean; compliance: string; reasons: string[] }>;
  /** Break-glass exceptions used. */
  exceptionIds: string[];
  warnings: string[];
}

export interface DecisionQuery {
  outcome?: DecisionOutcome;
  namespace?: string;
  /** A substring of the object's name, an image, the message or the user (case-insensitive). */
  q?: string;
  limit?: number;
  /** The `next` of the previous page. */
  cursor?: string;
}

export interface DecisionPage {
  items: DecisionRecord[];
  next?: string;
}

/** Recent admission decisions, newest first. */
export interface DecisionSource {
  list(q: DecisionQuery): DecisionPage;
  /** How many decisions are held. */
  readonly size: number;
}
