/**
 * Who holds a TCP port: `./darkroom dev` checks every port it is about to listen on before it starts
 * anything, and names the process in its way instead of moving to another port behind the user's
 * back (the banner, the demo links and the user's curl commands would all point at the wrong one).
 *
 * On Linux the listening socket is found in /proc/net/tcp{,6} and its owner by the socket inode
 * among /proc/<pid>/fd; `ss -ltnp` is asked when /proc says nothing (another user's process).
 * Elsewhere a bind attempt tells at least that the port is taken.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";

export interface PortHolder {
  pid?: number;
  /** The holder's command line, shortened. */
  command?: string;
}

/** Inodes of sockets listening on `port` (any address, IPv4 or IPv6). */
function listeningInodes(port: number): string[] {
  const inodes: string[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols: sl local_address rem_address st ... uid timeout inode; st 0A is LISTEN.
      if (cols.length < 10 || cols[3] !== "0A") continue;
      const localPort = parseInt(cols[1]!.split(":").pop()!, 16);
      if (localPort === port) inodes.push(cols[9]!);
    }
  }
  return inodes;
}

function ownerOfInode(inode: string): PortHolder | undefined {
  const target = `socket:[${inode}]`;
  let pids: string[];
  try {
    pids = fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // another user's process, or gone
    }
    for (const fd of fds) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return { pid: Number(pid), command: commandLine(Number(pid)) };
      } catch {}
    }
  }
  return undefined;
}

export function commandLine(pid: number): string | undefined {
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
    return cmd.length > 120 ? cmd.slice(0, 117) + "..." : cmd || undefined;
  } catch {
    return undefined;
  }
}

function askSs(port: number): PortHolder | undefined {
  const ss = spawnSync("ss", ["-ltnpH", `sport = :${port}`], { encoding: "utf8" });
  if (ss.status !== 0 || !ss.stdout.trim()) return undefined;
  const m = /users:\(\("([^"]+)",pid=(\d+)/.exec(ss.stdout);
  return m ? { pid: Number(m[2]), command: commandLine(Number(m[2])) ?? m[1] } : {};
}

function bindFails(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(true));
    srv.listen({ port, host: "0.0.0.0", exclusive: true }, () => srv.close(() => resolve(false)));
  });
}

/** undefined when the port is free; otherwise what is known about the process listening on it. */
export async function portHolder(port: number): Promise<PortHolder | undefined> {
  const inodes = listeningInodes(port);
  for (const inode of inodes) {
    const owner = ownerOfInode(inode);
    if (owner) return owner;
  }
  if (inodes.length) return askSs(port) ?? {};
  return (await bindFails(port)) ? (askSs(port) ?? {}) : undefined;
}

export function describeHolder(holder: PortHolder): string {
  if (holder.pid === undefined) return "another process (not visible to this user)";
  return `process ${holder.pid}${holder.command ? ` (${holder.command})` : ""}`;
}
