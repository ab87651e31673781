import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for every operation in ../operations, against the API
// schema clients see. Each document carries its SHA-256 (`__meta__.hash`,
// "sha256:<hex>" as the GraphQL-over-HTTP persisted documents appendix
// spells it), and src/gql/persisted-documents.json maps every hash to its
// text: the router's trusted-documents manifest (scripts/copy-manifest.mjs
// puts it at ./persisted-documents.json).
//
// `npm run codegen` (build, typecheck, test): documents are only their hash
// (`replaceDocumentWithHash`), so the production bundle has no query text and
// the client can only send `documentId`. `npm run codegen:dev` (`npm run
// dev`, codegen.dev.ts) keeps the text next to the hash, so the dev server
// may send the query itself.
//
// TESSERA_API_SCHEMA and TESSERA_CODEGEN_OUT point codegen at another schema
// and output directory: the test proving that a schema change breaking an
// operation breaks this build uses them.
export function codegenConfig({ embedText }: { embedText: boolean }): CodegenConfig {
  return {
    schema: process.env.TESSERA_API_SCHEMA ?? '../../schema/api.graphql',
    documents: ['../operations/*.graphql'],
    ignoreNoDocuments: false,
    generates: {
      [process.env.TESSERA_CODEGEN_OUT ?? './src/gql/']: {
        preset: 'client',
        config: {
          documentMode: 'string',
          enumsAsTypes: true,
          useTypeImports: true,
          strictScalars: true,
          scalars: { DateTime: 'string' },
          skipTypename: true,
        },
        presetConfig: {
          fragmentMasking: false,
          persistedDocuments: {
            mode: embedText ? 'embedHashInDocument' : 'replaceDocumentWithHash',
            hashAlgorithm: 'sha256',
          },
        },
      },
    },
  };
}

export default codegenConfig({ embedText: false });
