/** A reference (or digest) that does not follow the grammar; the message names what is wrong. */
export class InvalidReferenceError extends Error {
  readonly input: string;
  readonly reason: string;
  constructor(input: string, reason: string) {
    super(`invalid reference ${JSON.stringify(input)}: ${reason}`);
    this.name = 'InvalidReferenceError';
    this.input = input;
    this.reason = reason;
  }
}
