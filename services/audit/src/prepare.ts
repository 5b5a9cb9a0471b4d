// From a stream message (or one event of an AuditBatch) to what a destination sends: decoded,
// mapped to ECS and serialised once, whatever the destination. A message that cannot be prepared
// carries the reason instead, and is dead-lettered without being sent anywhere.
import { fromBinary } from '@bufbuild/protobuf';
import type { JsMsg } from 'nats';
import { HEADER_ASSAY_TYPE } from '@assay/bus';
import { AuditEventSchema } from '@assay/proto';
import { partIndex } from './batch-message.ts';
import type { Sendable } from './destination.ts';
import { type EcsDocument, toEcs } from './ecs.ts';

/** A message ready for a destination, or the reason it cannot be one. */
export type Prepared = Sendable | { error: string };

/**
 * An event ready to send, kept as its JSON line. Thousands are held while batches fill and wait
 * for the sink; a tree of objects each (the document) is what the garbage collector then walks
 * and promotes, a string is not. The document is parsed back from the line only for the
 * destinations that read its fields (Splunk, syslog).
 */
class PreparedEvent implements Sendable {
  readonly id: string;
  readonly line: string;
  #doc: EcsDocument | undefined;
  constructor(id: string, line: string) {
    this.id = id;
    this.line = line;
  }
  get doc(): EcsDocument {
    return (this.#doc ??= JSON.parse(this.line) as EcsDocument);
  }
}

/** Decodes, maps and serialises one message; never throws. */
export function prepareAuditMessage(m: JsMsg, stream: string): { item: Prepared; bytes: number } {
  const type = m.headers?.get(HEADER_ASSAY_TYPE);
  if (type && type !== AuditEventSchema.typeName) {
    return { item: { error: `message type ${type} is not ${AuditEventSchema.typeName}` }, bytes: m.data.length };
  }
  try {
    const ev = fromBinary(AuditEventSchema, m.data);
    const origin = {
      subject: m.subject,
      stream,
      streamSequence: m.seq,
      storedAt: new Date(Math.floor(m.info.timestampNanos / 1e6)),
    };
    const doc = toEcs(ev, origin);
    // Without an event id, the stream position (and place in its batch) is the next most stable identity.
    const part = partIndex(m);
    const id = ev.meta?.id || `${stream}-${m.seq}${part === undefined ? '' : `-${part}`}`;
    if (!ev.meta?.id) (doc.event as Record<string, unknown>).id = id;
    const line = JSON.stringify(doc);
    return { item: new PreparedEvent(id, line), bytes: line.length + id.length + 40 };
  } catch (err) {
    return {
      item: { error: `cannot decode as ${AuditEventSchema.typeName}: ${err instanceof Error ? err.message : String(err)}` },
      bytes: m.data.length,
    };
  }
}
