// Regenerates proto/gen from proto/**/*.proto with buf and protoc-gen-es (both from npm).
// `--out DIR` writes elsewhere (the staleness test compares such a copy with proto/gen).
import { generateProto } from './proto-generate.ts';

const outIdx = process.argv.indexOf('--out');
const out = outIdx >= 0 ? process.argv[outIdx + 1] : undefined;
await generateProto(out);
