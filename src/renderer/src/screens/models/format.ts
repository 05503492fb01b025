/** Which field of the open form a picked folder goes to. */
export type OpenTarget = 'model' | 'sae';

/** Fills the open form's model or SAE field with a local path. */
export type UsePath = (target: OpenTarget, path: string) => void;
