/**
 * An exclusive claim on a folder by one process, held in a lockfile that names the owner's pid.
 *
 * PGlite keeps a whole PostgreSQL in one process; two processes opening the same data folder
 * would both write to it and corrupt it. A lock left behind by a process that no longer runs is
 * taken over.
 */
import fs from "node:fs";

export interface DirectoryLock {
  release(): void;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function lockDirectory(lockPath: string, what: string): DirectoryLock {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(lockPath, `${process.pid}\n`, { flag: "wx" });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off("exit", release);
        try {
          if (fs.readFileSync(lockPath, "utf8").trim() === String(process.pid)) fs.unlinkSync(lockPath);
        } catch {
          // Already gone: nothing to release.
        }
      };
      process.on("exit", release);
      return { release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number.parseInt(fs.readFileSync(lockPath, "utf8").trim(), 10);
    if (Number.isInteger(owner) && owner > 0 && isRunning(owner)) {
      const who = owner === process.pid ? "this process (it is already open)" : `process ${owner}`;
      throw new Error(
        `${what} is in use by ${who} (lock file ${lockPath}). Stop that process, or set DATABASE_URL to use a PostgreSQL server shared by several processes.`,
      );
    }
    // The owner is gone (crash, kill -9): the lock is stale.
    fs.rmSync(lockPath, { force: true });
  }
  throw new Error(`Could not take the lock ${lockPath}: another process keeps claiming it.`);
}
