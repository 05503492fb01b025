import { InputFileError } from '../kernel/input-file-error.ts';

/**
 * A record found malformed only while its stream was read (a long JSONL line broken after its
 * text began): the windowing treats it as a bad line (--on-bad-line), as it would have been
 * had the line been short enough to parse whole.
 */
export class BadRecordError extends InputFileError {}
