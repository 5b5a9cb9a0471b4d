// Admission decisions as the console lists them: read from the audit stream (what admission
// published), so the console shows them without Elasticsearch. The shape people filter by.
import type { DecisionRow } from '@assay/console';

// One shape, written once: the console's decision row (its views cannot import this service).
export type DecisionRecord = DecisionRow;
export type DecisionOutcome = DecisionRow['outcome'];

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
