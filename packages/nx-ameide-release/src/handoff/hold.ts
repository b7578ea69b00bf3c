import { fstatSync } from 'node:fs';
import { isatty } from 'node:tty';
import { ReleaseError } from '../errors';
import { pause, renew, resume, type HandoffOptions, type ProtectRules } from './argocd';
import { describeResume } from './messages';

/**
 * `argocd hold <app>`: pause, stay in the foreground renewing the lease, resume on SIGINT, SIGTERM
 * or the end of standard input. Tilt runs it as a local_resource serve command: `tilt up` pauses,
 * `tilt down` or Ctrl-C resumes. Killed with SIGKILL it cannot resume: the lease (renewed every third
 * of --ttl) then ends within --ttl, and `argocd resume --expired` restores the policy.
 *
 * End of input counts only when stdin is a terminal or a pipe; /dev/null (how Tilt and CI start
 * a command) would otherwise end the hold the moment it began.
 */
export async function hold(o: HandoffOptions, name: string, ttlMs: number, rules: ProtectRules, out: (line: string) => void): Promise<void> {
  const paused = await pause(o, name, ttlMs, rules);
  const app = `${o.namespace}/${name}`;
  if (paused.state === 'no-automated') out(`argocd: ${app} has no automated sync policy: nothing to pause; holding nothing until stopped`);
  else out(`argocd: holding ${app} for ${o.owner} (recorded automated ${JSON.stringify(paused.hold.automated)}); lease until ${paused.hold.expires}, renewed every ${Math.round(ttlMs / 3000)}s; stop with Ctrl-C, SIGTERM or end of input`);

  let lost: string | null = null;
  const reason = await new Promise<string>((done) => {
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    const onSignal = (s: NodeJS.Signals) => finish(s);
    let timer: NodeJS.Timeout | undefined;
    const finish = (why: string) => {
      if (timer) clearTimeout(timer);
      for (const s of signals) process.off(s, onSignal);
      process.stdin.off('end', onEnd);
      process.stdin.pause();
      done(why);
    };
    const onEnd = () => finish('end of input');
    for (const s of signals) process.on(s, onSignal);
    if (stdinIsLive()) {
      process.stdin.on('end', onEnd);
      process.stdin.resume();
    }
    if (paused.state === 'no-automated') return; // nothing to renew
    const tick = async () => {
      try {
        const r = await renew(o, name, ttlMs);
        if (r.state === 'lost') {
          lost = r.hold ? `${app} is now held by ${r.hold.holder} (since ${r.hold.since})` : `the hold on ${app} was removed by someone else`;
          return finish('lost');
        }
      } catch (e) {
        // A renewal that fails (API briefly away) is retried; the lease covers three periods.
        out(`argocd: could not renew the lease of ${app}: ${(e as Error).message.split('\n')[0]}`);
      }
      timer = setTimeout(tick, Math.max(1000, Math.floor(ttlMs / 3)));
    };
    timer = setTimeout(tick, Math.max(1000, Math.floor(ttlMs / 3)));
  });

  if (lost) throw new ReleaseError(`hold ended without resuming: ${lost}`, 'nothing to do here: whoever took it over resumes it (argocd status shows who)');
  if (paused.state === 'no-automated') {
    out(`argocd: ${reason}: nothing to resume for ${app}`);
    return;
  }
  out(`argocd: ${reason}: resuming ${app}`);
  out(describeResume(app, await resume(o, name, false)));
}

function stdinIsLive(): boolean {
  try {
    if (isatty(0)) return true;
    const st = fstatSync(0);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}
