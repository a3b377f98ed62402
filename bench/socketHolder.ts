/**
 * Opens N authenticated, subscribed WebSockets to an API and holds them until stdin closes, so the
 * API process's memory per socket can be measured from outside (bench/events.ts).
 * Each socket follows one user, `user:<prefix>-<n>` (prefix `idle` unless given).
 * Usage: bun bench/socketHolder.ts <api url> <key> <count> [user prefix]
 */
const [api, key, countArg, prefix = "idle"] = process.argv.slice(2);
const count = Number(countArg);
const sockets: WebSocket[] = [];
const BATCH = 200;
for (let i = 0; i < count; i += BATCH) {
  await Promise.all(
    Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => {
      const ws = new WebSocket(`${api!.replace(/^http/, "ws")}/v1/ws?token=${encodeURIComponent(key!)}`);
      sockets.push(ws);
      return new Promise<void>((resolve, reject) => {
        ws.onmessage = (m) => {
          const msg = JSON.parse(String(m.data));
          if (msg.type === "auth:ok") ws.send(JSON.stringify({ type: "subscribe", topics: [`user:${prefix}-${i + j}`] }));
          if (msg.type === "subscribed") resolve();
        };
        ws.onerror = () => reject(new Error("socket failed"));
      });
    }),
  );
}
console.log("ready");
// Hold until the parent closes stdin.
const stdin = Bun.stdin.stream().getReader();
while (!(await stdin.read()).done);
for (const ws of sockets) ws.close();

export {};
