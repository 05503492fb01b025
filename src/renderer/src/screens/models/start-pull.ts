/** Starts a pull; resolves with an error message, or null once the job runs. */
export type StartPull = (payload: {
  repo: string;
  path?: string;
  revision?: string;
  kind?: 'sae' | 'model';
  onnxFile?: string;
}) => Promise<string | null>;
