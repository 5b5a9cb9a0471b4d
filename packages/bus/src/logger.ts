// The bus kit logs through whatever logger the service passes in. Only this much of pino's
// interface is used, so a pino logger (or a child of one) fits, and tests can pass their own.
// Errors are logged under `err`, which pino's standard serializer expands (message, stack, code).
export interface BusLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A logger that drops everything: the default when none is passed. */
export const silentLogger: BusLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
