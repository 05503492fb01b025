// Lint config. Besides the usual checks it enforces the layers of DESIGN.md: each runtime
// imports only what may run there (VS Code style "layering by runtime").
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Bare names only; `node:*` is caught by a pattern below.
const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('node:'));

/** no-restricted-imports options: forbidden packages and forbidden import path patterns. */
function restrict({ electron = false, node = false, layers = [] }) {
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
  return ['error', { paths, patterns }];
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

  // ---- Layers --------------------------------------------------------------------------
  {
    files: ['src/shared/**'],
    // Tests run in Node whatever layer they sit in.
    ignores: ['**/*.test.ts'],
    languageOptions: { globals: { ...globals.es2021 } },
    rules: {
      'no-restricted-imports': restrict({ electron: true, node: true, layers: ['core', 'main', 'preload', 'renderer', 'server', 'cli'] }),
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
  {
    files: ['src/core/**'],
    rules: { 'no-restricted-imports': restrict({ electron: true, layers: ['main', 'preload', 'renderer', 'server', 'cli'] }) },
  },
  {
    files: ['src/server/**'],
    rules: { 'no-restricted-imports': restrict({ electron: true, layers: ['main', 'preload', 'renderer', 'cli'] }) },
  },
  {
    files: ['src/cli/**'],
    rules: { 'no-restricted-imports': restrict({ electron: true, layers: ['main', 'preload', 'renderer'] }) },
  },
  {
    files: ['src/main/**'],
    rules: { 'no-restricted-imports': restrict({ layers: ['preload', 'renderer', 'cli'] }) },
  },
  {
    files: ['src/preload/**'],
    ignores: ['**/*.test.ts'],
    languageOptions: { globals: { ...globals.es2021 } },
    rules: { 'no-restricted-imports': restrict({ node: true, layers: ['core', 'main', 'renderer', 'server', 'cli'] }) },
  },
  {
    files: ['src/renderer/**'],
    ignores: ['**/*.test.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: { 'no-restricted-imports': restrict({ electron: true, node: true, layers: ['core', 'main', 'preload', 'server', 'cli'] }) },
  },
);
