// After codegen: the client preset writes src/gql/persisted-documents.json
// ({hash: document}); the router's manifest is read from the storefront root.
import { copyFileSync } from 'node:fs';

copyFileSync(new URL('../src/gql/persisted-documents.json', import.meta.url), new URL('../persisted-documents.json', import.meta.url));
