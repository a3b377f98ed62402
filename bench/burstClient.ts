/**
 * One chat backend of the burst benchmark, in its own process: `count` requests back to back, then
 * one JSON line of latencies (ms). `reply` posts a chat reply with an `[IMAGE: …]` tag to the API;
 * `start` is the baseline, a bare Temporal workflow start on a queue no worker polls; `photo` starts
 * a reply's photo straight from the client, as the API would (the start read from a JSON file).
 *   bun bench/burstClient.ts reply <api url> <key> <count> <user prefix>
 *   bun bench/burstClient.ts start <temporal address> <namespace> <count>
 *   bun bench/burstClient.ts photo <temporal address> <namespace> <count> <user prefix> <start.json>
 */
import fs from "node:fs";
import { Client, Connection } from "@temporalio/client";
import { bareStartLatencies, photoStartLatencies, type PhotoStart } from "./baselines";
import { postReply } from "./roleStack";

const [mode, target, secret, countText, prefix, startFile] = process.argv.slice(2);
const count = Number(countText);
// Both sides begin together: the parent writes a line once every client is connected and warm.
const go = async () => {
  process.stdout.write("ready\n");
  for await (const _ of console) return;
};

if (mode === "reply") {
  await postReply(target!, secret!, `${prefix}-warm`);
  await go();
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(await postReply(target!, secret!, `${prefix}-${i}`));
  console.log(JSON.stringify(out));
} else if (mode === "start") {
  const connection = await Connection.connect({ address: target });
  const temporal = new Client({ connection, namespace: secret });
  await bareStartLatencies(temporal, 1);
  await go();
  console.log(JSON.stringify(await bareStartLatencies(temporal, count)));
  await connection.close();
} else if (mode === "photo") {
  const start = JSON.parse(fs.readFileSync(startFile!, "utf8")) as PhotoStart;
  const connection = await Connection.connect({ address: target });
  const temporal = new Client({ connection, namespace: secret });
  await photoStartLatencies(temporal, start, `${prefix}-warm`, 1);
  await go();
  console.log(JSON.stringify(await photoStartLatencies(temporal, start, prefix!, count)));
  await connection.close();
} else {
  throw new Error(`unknown mode ${mode}`);
}
process.exit(0);
