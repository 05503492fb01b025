import { AppError } from '#shared/reply.ts';

/**
 * A problem in the content of an input file (a broken JSONL line, a Parquet row that cannot
 * be read, a token id outside the vocabulary, bytes that are not UTF-8): a `bad_request` to
 * the API, but not a usage error to the CLI (exit 1, not 2): the command line was right, the
 * file is not.
 */
export class InputFileError extends AppError {
  constructor(message: string) {
    super('bad_request', message);
  }
}
