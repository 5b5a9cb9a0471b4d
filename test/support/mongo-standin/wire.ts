// MongoDB wire protocol framing: the 16-byte message header, OP_MSG (body section and document
// sequences) and the legacy OP_QUERY/OP_REPLY pair the driver still uses for its first handshake
// (driver v7 sends `isMaster` over OP_QUERY until it knows the server's wire version; every later
// command is OP_MSG). OP_COMPRESSED is never seen because the stand-in advertises no compressors.
import { BSON, type Document } from 'bson';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

export const MSG_CHECKSUM_PRESENT = 1;
export const MSG_MORE_TO_COME = 2;
export const MSG_EXHAUST_ALLOWED = 1 << 16;
/** Bits 0-15 are "required": a parser must refuse a message carrying one it does not know. */
const KNOWN_REQUIRED_BITS = MSG_CHECKSUM_PRESENT | MSG_MORE_TO_COME;

export const HEADER_SIZE = 16;

export interface MessageHeader {
  length: number;
  requestId: number;
  responseTo: number;
  opCode: number;
}

/** One OP_MSG kind-1 section: `identifier` names the command field its documents replace. */
export interface DocumentSequence {
  identifier: string;
  documents: Buffer[];
}

export interface OpMsg {
  kind: 'msg';
  header: MessageHeader;
  flags: number;
  body: Buffer;
  sequences: DocumentSequence[];
}

export interface OpQuery {
  kind: 'query';
  header: MessageHeader;
  flags: number;
  fullCollectionName: string;
  numberToSkip: number;
  numberToReturn: number;
  query: Buffer;
}

export interface OtherMessage {
  kind: 'other';
  header: MessageHeader;
}

export type Message = OpMsg | OpQuery | OtherMessage;

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export function readHeader(buf: Buffer): MessageHeader {
  return {
    length: buf.readInt32LE(0),
    requestId: buf.readInt32LE(4),
    responseTo: buf.readInt32LE(8),
    opCode: buf.readInt32LE(12),
  };
}

function readCString(buf: Buffer, offset: number, end: number): [string, number] {
  const zero = buf.indexOf(0, offset);
  if (zero < 0 || zero >= end) throw new ProtocolError('unterminated cstring');
  return [buf.toString('utf8', offset, zero), zero + 1];
}

function bsonLengthAt(buf: Buffer, offset: number, end: number): number {
  if (offset + 5 > end) throw new ProtocolError('truncated BSON document');
  const len = buf.readInt32LE(offset);
  if (len < 5 || offset + len > end) throw new ProtocolError(`invalid BSON document length ${len}`);
  return len;
}

/** Decodes one complete message (header included). */
export function decodeMessage(buf: Buffer): Message {
  const header = readHeader(buf);
  if (header.opCode === OP_MSG) return decodeOpMsg(buf, header);
  if (header.opCode === OP_QUERY) return decodeOpQuery(buf, header);
  return { kind: 'other', header };
}

function decodeOpMsg(buf: Buffer, header: MessageHeader): OpMsg {
  const flags = buf.readUInt32LE(HEADER_SIZE);
  if ((flags & 0xffff & ~KNOWN_REQUIRED_BITS) !== 0) {
    throw new ProtocolError(`unsupported required OP_MSG flag bits 0x${flags.toString(16)}`);
  }
  // The CRC-32C trailer is not verified: loopback TCP already guarantees integrity, and the
  // driver never sets the flag. It is stripped so the sections parse.
  const end = flags & MSG_CHECKSUM_PRESENT ? buf.length - 4 : buf.length;
  let offset = HEADER_SIZE + 4;
  let body: Buffer | undefined;
  const sequences: DocumentSequence[] = [];
  while (offset < end) {
    const kind = buf[offset++];
    if (kind === 0) {
      if (body) throw new ProtocolError('OP_MSG with more than one body section');
      const len = bsonLengthAt(buf, offset, end);
      body = buf.subarray(offset, offset + len);
      offset += len;
    } else if (kind === 1) {
      if (offset + 4 > end) throw new ProtocolError('truncated document sequence');
      const size = buf.readInt32LE(offset);
      const seqEnd = offset + size;
      if (size < 5 || seqEnd > end) throw new ProtocolError(`invalid document sequence size ${size}`);
      const [identifier, docsStart] = readCString(buf, offset + 4, seqEnd);
      const documents: Buffer[] = [];
      let p = docsStart;
      while (p < seqEnd) {
        const len = bsonLengthAt(buf, p, seqEnd);
        documents.push(buf.subarray(p, p + len));
        p += len;
      }
      sequences.push({ identifier, documents });
      offset = seqEnd;
    } else {
      throw new ProtocolError(`unknown OP_MSG section kind ${String(kind)}`);
    }
  }
  if (!body) throw new ProtocolError('OP_MSG without a body section');
  return { kind: 'msg', header, flags, body, sequences };
}

function decodeOpQuery(buf: Buffer, header: MessageHeader): OpQuery {
  const flags = buf.readInt32LE(HEADER_SIZE);
  const [fullCollectionName, afterName] = readCString(buf, HEADER_SIZE + 4, buf.length);
  const numberToSkip = buf.readInt32LE(afterName);
  const numberToReturn = buf.readInt32LE(afterName + 4);
  const qStart = afterName + 8;
  const len = bsonLengthAt(buf, qStart, buf.length);
  return {
    kind: 'query',
    header,
    flags,
    fullCollectionName,
    numberToSkip,
    numberToReturn,
    query: buf.subarray(qStart, qStart + len),
  };
}

/** Serialises without bson's shared 17 MiB scratch buffer, so replies of any size encode. */
export function serializeDocument(doc: Document): Buffer {
  const size = BSON.calculateObjectSize(doc);
  const out = Buffer.alloc(size);
  BSON.serializeWithBufferAndIndex(doc, out);
  return out;
}

let nextRequestId = 1;

function header(length: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.alloc(HEADER_SIZE);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(nextRequestId, 4);
  nextRequestId = (nextRequestId + 1) & 0x7fffffff;
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

/** An OP_MSG reply: flags 0 and a single body section (replies never use document sequences). */
export function encodeOpMsgReply(responseTo: number, reply: Document): Buffer {
  const body = serializeDocument(reply);
  const length = HEADER_SIZE + 4 + 1 + body.length;
  const flagsAndKind = Buffer.alloc(5); // flags 0, section kind 0
  return Buffer.concat([header(length, responseTo, OP_MSG), flagsAndKind, body], length);
}

/** An OP_REPLY carrying one document, the answer to an OP_QUERY command. */
export function encodeOpReply(responseTo: number, reply: Document): Buffer {
  const body = serializeDocument(reply);
  const fixed = Buffer.alloc(20); // responseFlags, cursorID (int64), startingFrom, numberReturned
  fixed.writeInt32LE(1, 16);
  const length = HEADER_SIZE + fixed.length + body.length;
  return Buffer.concat([header(length, responseTo, OP_REPLY), fixed, body], length);
}

/**
 * Splits a TCP byte stream into whole messages. Chunks are kept in a list and joined only
 * once a full message is present, so a 48 MB message costs one copy rather than one per chunk.
 */
export class MessageFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly maxMessageSize: number;

  constructor(maxMessageSize: number) {
    this.maxMessageSize = maxMessageSize;
  }

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const length = this.peekLength();
      if (length < HEADER_SIZE || length > this.maxMessageSize) {
        throw new ProtocolError(`message length ${length} outside [${HEADER_SIZE}, ${this.maxMessageSize}]`);
      }
      if (this.buffered < length) break;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      out.push(all.subarray(0, length));
      const rest = all.subarray(length);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
    }
    return out;
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32LE(0);
    const joined = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [joined];
    return joined.readInt32LE(0);
  }
}
