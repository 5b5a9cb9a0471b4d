// Headers every Assay message carries, so any consumer (or a human with `nats sub`) can tell
// what the bytes are without knowing the subject's contract.
import type { DescMessage } from '@bufbuild/protobuf';
import { headers as newHeaders, type MsgHdrs } from 'nats';

export const HEADER_MSG_ID = 'Nats-Msg-Id';
export const HEADER_CONTENT_TYPE = 'Content-Type';
export const HEADER_ASSAY_TYPE = 'Assay-Type';
export const CONTENT_TYPE_PROTOBUF = 'application/protobuf';

/** Content headers for a message of `schema`, plus the de-duplication id when there is one. */
export function eventHeaders(schema: DescMessage, msgId: string | undefined, extra?: Record<string, string>): MsgHdrs {
  const h = newHeaders();
  if (extra) for (const [k, v] of Object.entries(extra)) h.set(k, v);
  if (msgId !== undefined) h.set(HEADER_MSG_ID, msgId);
  h.set(HEADER_CONTENT_TYPE, CONTENT_TYPE_PROTOBUF);
  h.set(HEADER_ASSAY_TYPE, schema.typeName);
  return h;
}

/** Headers as a plain map (repeated values joined by ", "), e.g. for a DeadLetter record. */
export function headersToRecord(h: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const k of h.keys()) out[k] = h.values(k).join(', ');
  return out;
}
