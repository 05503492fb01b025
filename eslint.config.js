// Lint config. Besides the usual checks it enforces the layers of DESIGN.md: each runtime
// imports only what may run there (VS Code style "layering by runtime").
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Bare names only; `node:*` is caught by a pattern below.
const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('node:'));

/** Test files: they may import the test tooling of src/testing. */
const tests = ['**/*.test.ts', '**/*.test.tsx'];

/**
 * no-restricted-imports options: forbidden packages and forbidden import path patterns.
 * `testing`: also forbid src/testing (test tooling, not shipped), as `#testing/...` or by path.
 */
function restrict({ electron = false, node = false, layers = [], testing = false, core = [] }) {
  const paths = [];
  if (electron) paths.push({ name: 'electron', message: 'Only src/main and src/preload may import electron.' });
  if (node) {
    for (const name of nodeBuiltins) paths.push({ name, message: 'Node built-ins are not available in this layer.' });
  }
  const patterns = [];
  if (node) patterns.push({ group: ['node:*'], message: 'Node built-ins are not available in this layer.' });
  if (electron) patterns.push({ group: ['electron/*'], message: 'Only src/main and src/preload may import electron.' });
  for (const layer of layers) {
    patterns.push({
      group: [`**/${layer}/**`, `**/${layer}`],
      message: `This layer must not import src/${layer} (see DESIGN.md, "Layers").`,
    });
  }
  if (testing) {
    patterns.push({
      regex: '^#testing(/|$)|(^|/)testing(/|$)',
      message: 'Product code must not import src/testing (test tooling); only *.test.ts files and src/testing may.',
    });
  }
  // one way to reach src/shared from anywhere under src: its alias
  patterns.push({ regex: '^(\\.\\./)+shared/', message: 'Import src/shared as #shared/... (package.json "imports").' });
  patterns.push(...core);
  return ['error', { paths, patterns }];
}

// ---- Floors inside src/core ------------------------------------------------------------
// kernel (events, jobs, SQLite, data folder, worker threads, file access) knows no feature;
// model and sae build on it; index on those; the feature areas on all of them, reaching one
// another only through `<area>/service.ts`; host (createCore, dispatch, the handler merge)
// composes everything and nothing in core imports it. Checked on product files; tests may
// assemble across floors.

const features = ['annotations', 'autointerp', 'explorer', 'health', 'hub', 'steer', 'workspace'];
const coreFolders = ['kernel', 'util', 'model', 'sae', 'index', 'host', ...features];

/**
 * Imports that break the floors today, allowed one file at a time (importer area → the
 * files of other areas it still reaches into). Shrink this list; never grow it lightly.
 */
const floorExceptions = {
  model: ['hub/release-facts.ts'],
  annotations: ['hub/release-facts.ts'],
  autointerp: ['annotations/store.ts'],
  explorer: ['autointerp/store.ts', 'hub/release-facts.ts', 'steer/next-tokens.ts'],
  health: ['hub/release-facts.ts'],
};

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** no-restricted-imports patterns keeping core area `area` on its floor. */
function floor(area) {
  const below = {
    kernel: [],
    util: [],
    model: ['kernel', 'util', 'model', 'sae'],
    sae: ['kernel', 'util', 'model', 'sae'],
    index: ['kernel', 'util', 'model', 'sae', 'index'],
  }[area] ?? ['kernel', 'util', 'model', 'sae', 'index', area];
  const allowed = floorExceptions[area] ?? [];
  const patterns = [];
  for (const other of coreFolders) {
    if (below.includes(other) || other === area) continue;
    // a feature area may use another's public service types (`<area>/service.ts`)
    const open = features.includes(area) && features.includes(other) ? ['service.ts'] : [];
    const files = [...open, ...allowed.filter((f) => f.startsWith(`${other}/`)).map((f) => f.slice(other.length + 1))];
    const except = files.length ? `(?!(${files.map(escapeRe).join('|')})$)` : '';
    patterns.push({
      regex: `^(\\.\\./)+${other}/${except}`,
      message:
        other === 'host'
          ? 'Nothing in src/core imports src/core/host (the composition root) but host itself.'
          : `src/core/${area} must not import src/core/${other}${open.length ? ' except through its service.ts' : ''} (floors of src/core: see eslint.config.js).`,
    });
  }
  return patterns;
}

/**
 * A layer whose tests share its import rules: every file of `dir` gets `options`, and its
 * product files (not tests) are also kept off src/testing.
 */
function layer(dir, options) {
  return [
    { files: [`${dir}/**`], rules: { 'no-restricted-imports': restrict(options) } },
    { files: [`${dir}/**`], ignores: tests, rules: { 'no-restricted-imports': restrict({ ...options, testing: true }) } },
  ];
}

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.cache/**', '.tmp/**', 'test-results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }],
    },
  },
  // Config files and build hooks are loaded by tools that want a default export.
  {
    files: ['*.config.{js,ts,mjs}', 'scripts/after-pack.mjs'],
    rules: { 'no-restricted-syntax': 'off' },
  },

  // ---- Sizes -----------------------------------------------------------------------------
  // Product code stays in rooms a reader can hold: functions ≤ 80 lines and files ≤ 400 (a
  // longer one needs an eslint-disable comment saying why). Tests and test tooling are exempt.
  {
    files: ['src/**/*.{ts,tsx}'],
    ignores: [...tests, 'src/testing/**', '**/testdata/**'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
      'max-lines': ['error', { max: 400 }],
    },
  },

  // ---- Layers --------------------------------------------------------------------------
  {
    files: ['src/shared/**'],
    // Tests run in Node whatever layer they sit in.
    ignores: tests,
    languageOptions: { globals: { ...globals.es2021 } },
    rules: {
      'no-restricted-imports': restrict({
        electron: true,
        node: true,
        layers: ['core', 'main', 'preload', 'renderer', 'server', 'cli'],
        testing: true,
      }),
      // Shared code runs in Node, the preload and the browser: no DOM or Node globals.
      'no-restricted-globals': [
        'error',
        ...['window', 'document', 'navigator', 'localStorage', 'sessionStorage', 'location', 'HTMLElement'].map((name) => ({
          name,
          message: 'src/shared must not use the DOM.',
        })),
        ...['process', 'Buffer', '__dirname', '__filename', 'require', 'global'].map((name) => ({
          name,
          message: 'src/shared must not use Node globals.',
        })),
      ],
    },
  },
  ...layer('src/core', { electron: true, layers: ['main', 'preload', 'renderer', 'server', 'cli'] }),
  ...coreFolders
    .filter((area) => area !== 'host')
    .map((area) => ({
      files: [`src/core/${area}/**`],
      // tests and their helper processes may assemble a whole core
      ignores: [...tests, '**/testdata/**', '**/test-support/**', '**/test-support.ts'],
      rules: {
        'no-restricted-imports': restrict({
          electron: true,
          layers: ['main', 'preload', 'renderer', 'server', 'cli'],
          testing: true,
          core: floor(area),
        }),
      },
    })),
  ...layer('src/server', { electron: true, layers: ['main', 'preload', 'renderer', 'cli'] }),
  ...layer('src/cli', { electron: true, layers: ['main', 'preload', 'renderer'] }),
  // The CLI reaches core as the app does: createCore, then requests or services. Its product
  // files import src/core only through src/core/host (core.ts, and host/cli.ts for result
  // types and pure helpers); tests may reach further in to check what a command wrote.
  {
    files: ['src/cli/**'],
    ignores: tests,
    rules: {
      'no-restricted-imports': restrict({
        electron: true,
        layers: ['main', 'preload', 'renderer'],
        testing: true,
        core: [
          {
            regex: '^(\\.\\./)+core/(?!host/)',
            message: 'src/cli imports src/core only through src/core/host (createCore, its services, host/cli.ts types): see eslint.config.js.',
          },
        ],
      }),
    },
  },
  ...layer('src/main', { layers: ['preload', 'renderer', 'cli'] }),
  {
    files: ['src/preload/**'],
    ignores: tests,
    languageOptions: { globals: { ...globals.es2021 } },
    rules: { 'no-restricted-imports': restrict({ node: true, layers: ['core', 'main', 'renderer', 'server', 'cli'], testing: true }) },
  },
  {
    files: ['src/renderer/**'],
    ignores: tests,
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': restrict({
        electron: true,
        node: true,
        layers: ['core', 'main', 'preload', 'server', 'cli'],
        testing: true,
      }),
    },
  },
);
