/**
 * The values a pickle may hold besides plain data: allow-listed Python callables and globals,
 * the reader's options, and a short type description for error messages.
 */

/** An allow-listed Python callable, implemented in TypeScript. */
export class PyCallable {
  /**
   * @param name fully qualified Python name, e.g. `collections.OrderedDict`.
   * @param call what REDUCE does with the argument tuple.
   */
  constructor(
    readonly name: string,
    readonly call: (args: readonly unknown[]) => unknown,
  ) {}
}

/** An allow-listed Python global that is only ever passed around as a value (e.g. `torch.FloatStorage`). */
export class PyGlobal {
  constructor(readonly name: string) {}
}

/** Options for `unpickle`. */
export interface UnpickleOptions {
  /** The file named in errors (the archive). */
  readonly file: string;
  /** The pickle's name inside the file, e.g. `archive/data.pkl`. */
  readonly entry: string;
  /** `module.name` → what it resolves to. Anything else is refused. */
  readonly globals: ReadonlyMap<string, PyCallable | PyGlobal>;
  /** Resolves PERSID / BINPERSID ids; without it they are refused. */
  readonly persistentLoad?: (pid: unknown) => unknown;
}

/** A short description of a pickled value's type, for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof Map) return 'dict';
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'tuple' : 'list';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof PyCallable || v instanceof PyGlobal) return v.name;
  if (typeof v === 'object') return (v as object).constructor.name;
  return typeof v;
}
