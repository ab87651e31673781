import { codegenConfig } from './codegen';

// `npm run dev`: the documents keep their text (see codegen.ts).
export default codegenConfig({ embedText: true });
