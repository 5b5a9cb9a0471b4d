// Errors a clamd caller must tell apart: an unreachable daemon is a scan error (never a pass),
// a stream over the limit means the caller must split, a reply we cannot read is a bug or a
// version mismatch.

export class ClamdError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ClamdError';
  }
}

/** clamd cannot be reached or did not answer in time. */
export class ClamdUnavailableError extends ClamdError {
  readonly address: string;
  constructor(address: string, message: string, options?: ErrorOptions) {
    super(`clamd at ${address} is unavailable: ${message}`, options);
    this.name = 'ClamdUnavailableError';
    this.address = address;
  }
}

/** The stream is larger than clamd's StreamMaxLength (clamd said so, or we knew before sending). */
export class ClamdLimitError extends ClamdError {
  readonly limitBytes: number | undefined;
  constructor(message: string, limitBytes?: number) {
    super(message);
    this.name = 'ClamdLimitError';
    this.limitBytes = limitBytes;
  }
}

/** clamd answered something we do not understand, or reported an error of its own. */
export class ClamdProtocolError extends ClamdError {
  readonly reply: string;
  constructor(message: string, reply: string) {
    super(`${message}: ${JSON.stringify(reply.slice(0, 300))}`);
    this.name = 'ClamdProtocolError';
    this.reply = reply;
  }
}
