// Opens a page in headless Chromium and reports when texts appear in it, for cast-serve's
// browser tests. Drives the browser over the DevTools protocol with node's own WebSocket
// (`node --experimental-websocket` on node 20; built in from node 22). No npm package needed.
//
//   node [--experimental-websocket] cdp.mjs CHROMIUM URL [--click] TEXT...
//
// Prints `SEEN TEXT` as each TEXT (in order) shows up in the page's text, then exits 0;
// `TIMEOUT TEXT` and the page's text, and exit 1, when one has not appeared within 30 s.
// `--click` clicks the player's start overlay once the page has loaded. Only loopback
// addresses are used: the browser's debugging port and the URL given.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = process.argv.slice(2);
const [browser, url] = args;
let texts = args.slice(2);
const click = texts[0] === "--click";
if (click) texts = texts.slice(1);
const profile = mkdtempSync(join(tmpdir(), "cdp-"));
const chrome = spawn(
  browser,
  [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
    `--user-data-dir=${profile}`,
    "about:blank",
  ],
  { stdio: ["ignore", "ignore", "pipe"] },
);
const deadline = Date.now() + 30000;
function finish(code) {
  try {
    chrome.kill("SIGKILL");
  } catch {}
  try {
    rmSync(profile, { recursive: true, force: true });
  } catch {}
  process.exit(code);
}
setTimeout(() => {
  console.log("TIMEOUT starting the browser");
  finish(1);
}, 40000).unref();

const wsUrl = await new Promise((resolve) => {
  let err = "";
  chrome.stderr.on("data", (d) => {
    err += d;
    const m = err.match(/DevTools listening on (ws:\/\/\S+)/);
    if (m) resolve(m[1]);
  });
});
const ws = new WebSocket(wsUrl);
await new Promise((r) => ws.addEventListener("open", r, { once: true }));
let nextId = 1;
const pending = new Map();
ws.addEventListener("message", (ev) => {
  const msg = JSON.parse(ev.data);
  if (msg.id && pending.has(msg.id)) {
    pending.get(msg.id)(msg);
    pending.delete(msg.id);
  }
});
function send(method, params = {}, sessionId) {
  const id = nextId++;
  ws.send(JSON.stringify({ id, method, params, sessionId }));
  return new Promise((r) => pending.set(id, r));
}
const { result: target } = await send("Target.createTarget", { url });
const { result: att } = await send("Target.attachToTarget", {
  targetId: target.targetId,
  flatten: true,
});
const session = att.sessionId;
async function pageText() {
  const r = await send(
    "Runtime.evaluate",
    { expression: "document.body ? document.body.innerText : ''", returnByValue: true },
    session,
  );
  return r.result?.result?.value ?? "";
}
let clicked = !click;
for (const want of texts) {
  for (;;) {
    if (!clicked) {
      const r = await send(
        "Runtime.evaluate",
        {
          expression:
            "(() => { const s = document.querySelector('.ap-overlay-start, .ap-play-button'); if (s) { s.click(); return true; } return false; })()",
          returnByValue: true,
        },
        session,
      );
      clicked = r.result?.result?.value === true;
    }
    const text = await pageText();
    if (text.includes(want)) {
      console.log(`SEEN ${want}`);
      break;
    }
    if (Date.now() > deadline) {
      console.log(`TIMEOUT ${want}`);
      console.log(text);
      finish(1);
    }
    await new Promise((r) => setTimeout(r, 40));
  }
}
finish(0);
