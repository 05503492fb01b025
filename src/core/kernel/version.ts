import pkg from '../../../package.json' with { type: 'json' };

/** The app's version, from package.json (bundled into the Electron main by vite). */
export const appVersion: string = pkg.version;
