// Loads recordings with asciinema-player's own parser (from the npm package) under node and
// checks that the player sees what the file holds: the same number of o/i/r/m events and the
// same duration as an independent line-by-line JSON reading of the file.
//
//   node check.mjs PLAYER_DIST_DIR FILE...
//
// The player's parser is not exported on its own, so a copy of its core module is written
// beside the original with one more export line. Exit status 1 if any file fails.
import { readFileSync, writeFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [dist, ...files] = process.argv.slice(2);
const core = readdirSync(dist).find((f) => /^core-.*\.js$/.test(f));
if (!core) {
  console.error(`no core-*.js in ${dist}`);
  process.exit(2);
}
const src = readFileSync(join(dist, core), "utf8");
if (!/async function parse\$2\(data\)/.test(src)) {
  console.error("player core has no parse$2(data): the check needs updating for this version");
  process.exit(2);
}
const patched = join(dist, "castkit-parse.mjs");
writeFileSync(patched, src + "\nexport { parse$2 as castkitParse };\n");
const { castkitParse } = await import(pathToFileURL(patched).href);

// Our own reading: header line, then each line starting with '[' (as the player keeps them).
function independent(text) {
  const lines = text.split("\n");
  const header = JSON.parse(lines[0]);
  const counts = { o: 0, i: 0, r: 0, m: 0 };
  let t = 0;
  let last = 0;
  for (const l of lines.slice(1)) {
    if (l[0] !== "[") continue;
    const [time, code] = JSON.parse(l);
    t = header.version === 3 ? t + time : time;
    if (code in counts) counts[code]++;
    last = t;
  }
  return { counts, duration: last };
}

let failed = 0;
let passed = 0;
for (const file of files) {
  const text = readFileSync(file, "utf8");
  try {
    const rec = await castkitParse(new Response(text));
    const counts = { o: 0, i: 0, r: 0, m: 0 };
    let last = 0;
    for (const [time, code] of rec.events) {
      if (code in counts) counts[code]++;
      last = time / 1000;
    }
    if (!(rec.cols > 0 && rec.rows > 0)) throw new Error(`bad size ${rec.cols}x${rec.rows}`);
    const want = independent(text);
    const same =
      JSON.stringify(counts) === JSON.stringify(want.counts) && Math.abs(last - want.duration) < 0.001;
    if (!same) {
      throw new Error(
        `player saw ${JSON.stringify(counts)} ${last}s, file has ${JSON.stringify(want.counts)} ${want.duration}s`,
      );
    }
    passed++;
  } catch (e) {
    failed++;
    console.log(`FAIL ${file}: ${e.message}`);
  }
}
console.log(`player: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
