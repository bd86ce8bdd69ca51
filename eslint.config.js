// ESLint for the browser page's modules (server/web/*.js, plain ES modules served as they are)
// and their Node tests (tests/web_unit/). `make lint` runs it, then `tsc -p jsconfig.json`.
import js from '@eslint/js';
import globals from 'globals';

export default [
  // hls.js is fetched at build time (installer/vendor-web.sh) and is not ours to lint.
  { ignores: ['server/web/vendor/**', 'node_modules/**', '.venv/**', 'build/**', 'dist/**'] },
  js.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_`-prefixed names are the ones left out on purpose (`const { [id]: _gone, ...rest }`).
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'always'],
      'no-var': 'error',
      'prefer-const': 'error',
      'no-implicit-globals': 'error',
      'no-shadow': 'error',
      'no-throw-literal': 'error',
      'no-return-assign': 'error',
      'no-unneeded-ternary': 'error',
      'no-useless-concat': 'error',
      'no-promise-executor-return': 'error',
      'no-self-compare': 'error',
      'no-template-curly-in-string': 'error',
      'no-unmodified-loop-condition': 'error',
      'no-unreachable-loop': 'error',
    },
  },
  { files: ['server/web/**/*.js'], languageOptions: { globals: globals.browser } },
  { files: ['tests/web_unit/**/*.mjs', 'eslint.config.js'], languageOptions: { globals: globals.node } },
];
