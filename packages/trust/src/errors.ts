// The one error a malformed trust document raises (a simple-signing payload, a DSSE envelope, an
// in-toto statement, a predicate): callers turn it into the record's `error`, so one unreadable
// artifact never hides the good ones beside it.
export class TrustFormatError extends Error {
  override name = 'TrustFormatError';
}
