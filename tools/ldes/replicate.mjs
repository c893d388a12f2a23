// Replicates an LDES with the pinned `ldes-client` (package.json) and prints one JSON line per member:
// {"id", "type", "isVersionOf", "timestamp", "quads"} (quads as N-Quads). Used by tests/test_ldes_client.py.
// Usage: node replicate.mjs URL STATE_FOLDER
import { Writer } from "n3";
import { replicateLDES, intoConfig } from "ldes-client";

const [url, statePath] = process.argv.slice(2);
if (!url || !statePath) {
  console.error("usage: node replicate.mjs URL STATE_FOLDER");
  process.exit(2);
}
// One fetch at a time: with several pages finishing together, 0.3.0 may close before it records the last ones as
// immutable in its state, and would then fetch them again on the next run.
const client = replicateLDES(intoConfig({ url, statePath, polling: false, concurrentFetches: 1 }));
client.on("error", (error) => {
  console.error("ldes-client error:", error);
});
const reader = client.stream({ highWaterMark: 10 }).getReader();
for (;;) {
  const { value, done } = await reader.read();
  if (done) break;
  process.stdout.write(JSON.stringify({
    id: value.id.value,
    type: value.type?.value ?? null,
    isVersionOf: value.isVersionOf ?? null,
    timestamp: value.timestamp instanceof Date ? value.timestamp.toISOString() : (value.timestamp ?? null),
    quads: new Writer({ format: "N-Quads" }).quadsToString(value.quads),
  }) + "\n");
}
