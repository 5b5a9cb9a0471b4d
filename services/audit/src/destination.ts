// A destination is where a sink delivers audit events: Elasticsearch, Splunk HEC, syslog, a
// webhook. Each is small — it sends one batch and says what became of it; everything around the
// send (batching, retries with backoff, splitting a refused batch, acks, dead letters) is the one
// delivery loop in delivery.ts, the same for every destination.
import type { EcsDocument } from './ecs.ts';

/** An audit event ready to send: its id, its ECS document, and that document as one JSON line. */
export interface Sendable {
  readonly id: string;
  readonly line: string;
  readonly doc: EcsDocument;
}

/** What became of one event of a batch the destination answered item by item. */
export type ItemOutcome =
  | { result: 'created' }
  /** Already there (a redelivery): as good as created. */
  | { result: 'duplicate' }
  /** Refused for now (overloaded): sent again after a backoff. */
  | { result: 'retry' }
  /** Refused for good: dead-lettered with `reason`. */
  | { result: 'refused'; reason: string };

export interface Destination {
  /**
   * Sends one batch. Resolves once the destination accepted it: with one outcome per item (in
   * order) when it answers item by item, with nothing when it took the batch whole. Rejects with
   * a SendError when the request as a whole failed.
   */
  send(items: readonly Sendable[], signal: AbortSignal): Promise<ItemOutcome[] | void>;
  close(): Promise<void>;
}

/**
 * A failure of one send: `retryable` for transient trouble (the same batch is sent again later),
 * otherwise the batch was refused (it is split until the refused event is alone, which is then
 * dead-lettered with this message as the reason).
 */
export class SendError extends Error {
  readonly retryable: boolean;
  /** Why a retry happens, as the retries metric labels it. */
  readonly retryReason: string;
  constructor(message: string, retryable: boolean, retryReason = 'send') {
    super(message);
    this.retryable = retryable;
    this.retryReason = retryReason;
  }
}
