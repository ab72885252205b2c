/**
 * Typed operations for frontends, generated from the committed schema (schema/schema.graphql)
 * and the operations in operations/: `npm run codegen`. A test runs codegen's --check, which
 * fails when the committed output differs, so they cannot go stale. The output is left as
 * codegen writes it (Prettier and ESLint skip it) so that the check compares like with like.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: 'clients/typescript/operations/*.graphql',
  generates: {
    'clients/typescript/src/generated.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: { enumsAsTypes: true, avoidOptionals: { field: true, inputValue: false, object: true }, skipTypename: true },
    },
  },
};

export default config;
