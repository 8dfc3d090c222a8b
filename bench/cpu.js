// CPU figures for the benchmarks: this process's (both workers, the client) and the embedded dev server's, in
// milliseconds. On a shared 2-core machine CPU per step is the stable figure; wall time follows it.
const fs = require('node:fs');

const CLOCK_TICKS_PER_SECOND = 100; // Linux's USER_HZ

function processCpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** The dev server this process started (a child whose command is the Temporal CLI), or undefined. */
function devServerPid() {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const parent = Number(fields[1]);
      const command = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (parent === process.pid && /temporal/.test(command) && /start-dev/.test(command)) return Number(entry);
    } catch {
      // a process that ended while we looked
    }
  }
  return undefined;
}

function serverCpuMs(pid) {
  if (pid === undefined) return NaN;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat; after the command they are at 11 and 12.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/**
 * How long CPU is still counted after `run` returns: a worker finishes a run's last workflow task, its sink calls
 * and its eviction after the client has the result. Without it, that work fell into the next measurement, the other
 * side's in an alternating benchmark. Idle, the process uses about 0.4 ms of CPU a second.
 */
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 250);

/**
 * Runs `run` and returns its wall time, and the CPU milliseconds this process and the dev server spent from its
 * start until SETTLE_MS after it returned.
 */
async function measured(run, serverPid) {
  const cpuBefore = processCpuMs();
  const serverBefore = serverCpuMs(serverPid);
  const started = process.hrtime.bigint();
  const result = await run();
  const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  return {
    milliseconds,
    workerCpu: processCpuMs() - cpuBefore,
    serverCpu: serverCpuMs(serverPid) - serverBefore,
    result,
  };
}

module.exports = { devServerPid, measured, processCpuMs, serverCpuMs };
