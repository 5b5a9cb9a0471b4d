// Server errors as the real server reports them: a numeric code plus its codeName, so the driver
// builds the same MongoServerError (and the same retry decisions) it would against mongod.

/** Error codes used by the stand-in, with the names mongod gives them (src/mongo/base/error_codes.yml). */
export const Code = {
  BadValue: 2,
  FailedToParse: 9,
  TypeMismatch: 14,
  InvalidLength: 16,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  PathNotViable: 28,
  CursorNotFound: 43,
  ConflictingUpdateOperators: 40,
  NamespaceExists: 48,
  CommandNotFound: 59,
  ImmutableField: 66,
  CannotCreateIndex: 67,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  NotImplemented: 238,
  UnsupportedOpQueryCommand: 352,
  DuplicateKey: 11000,
  BSONObjectTooLarge: 10334,
  UnknownField: 40415,
  UnrecognizedPipelineStage: 40324,
} as const;

const NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [2, 'BadValue'],
  [9, 'FailedToParse'],
  [14, 'TypeMismatch'],
  [16, 'InvalidLength'],
  [20, 'IllegalOperation'],
  [26, 'NamespaceNotFound'],
  [27, 'IndexNotFound'],
  [28, 'PathNotViable'],
  [43, 'CursorNotFound'],
  [40, 'ConflictingUpdateOperators'],
  [13, 'Unauthorized'],
  [48, 'NamespaceExists'],
  [59, 'CommandNotFound'],
  [66, 'ImmutableField'],
  [67, 'CannotCreateIndex'],
  [72, 'InvalidOptions'],
  [73, 'InvalidNamespace'],
  [85, 'IndexOptionsConflict'],
  [86, 'IndexKeySpecsConflict'],
  [238, 'NotImplemented'],
  [352, 'UnsupportedOpQueryCommand'],
  [11000, 'DuplicateKey'],
  [10334, 'BSONObjectTooLarge'],
  [11600, 'InterruptedAtShutdown'],
  [91, 'ShutdownInProgress'],
  [189, 'PrimarySteppedDown'],
  [10107, 'NotWritablePrimary'],
  [13435, 'NotPrimaryNoSecondaryOk'],
  [6, 'HostUnreachable'],
  [7, 'HostNotFound'],
  [89, 'NetworkTimeout'],
  [50, 'MaxTimeMSExpired'],
  [112, 'WriteConflict'],
  [251, 'NoSuchTransaction'],
]);

/** mongod names codes without a registered name `Location<code>` (e.g. Location40415). */
export function codeName(code: number): string {
  return NAMES.get(code) ?? `Location${code}`;
}

/** A command failure: becomes `{ ok: 0, errmsg, code, codeName, ...extra }` on the wire. */
export class CommandError extends Error {
  readonly code: number;
  readonly extra: Record<string, unknown>;
  constructor(code: number, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.name = 'CommandError';
    this.code = code;
    this.extra = extra;
  }

  toReply(): Record<string, unknown> {
    return { ok: 0, errmsg: this.message, code: this.code, codeName: codeName(this.code), ...this.extra };
  }
}

/** A boundary of the stand-in (not a server error): said loudly so a test never passes by accident. */
export function notImplemented(what: string): CommandError {
  return new CommandError(Code.NotImplemented, `mongo-standin does not implement ${what}`);
}

/** Errors thrown by mingo (bad operators, bad update paths) surface as the server's BadValue. */
export function fromUnknown(err: unknown, fallbackCode: number = Code.BadValue): CommandError {
  if (err instanceof CommandError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/immutable field '_id'/.test(message)) return new CommandError(Code.ImmutableField, message);
  if (/would create a conflict at/.test(message)) {
    return new CommandError(Code.ConflictingUpdateOperators, message.charAt(0).toUpperCase() + message.slice(1));
  }
  if (/^Cannot (increment|multiply) with non-numeric argument/.test(message)) return new CommandError(Code.TypeMismatch, message);
  if (/unregistered pipeline operator|Unknown pipeline operator/i.test(message)) {
    return new CommandError(Code.UnrecognizedPipelineStage, `Unrecognized pipeline stage name: ${message}`);
  }
  return new CommandError(fallbackCode, message);
}
