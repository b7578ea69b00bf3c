import { ExecError, formatCommand, redact, registerSecret, run, runOrThrow } from './exec';

describe('exec', () => {
  it('passes arguments verbatim, without a shell', async () => {
    const r = await run({ command: 'node', args: ['-e', 'console.log(process.argv.slice(1).join("|"))', '$HOME', 'a b', '`x`;rm'] });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe('$HOME|a b|`x`;rm');
  });

  it('feeds stdin and reports non-zero exits with a redacted ExecError', async () => {
    registerSecret('s3cr3t-token-value');
    const cmd = { command: 'node', args: ['-e', 'process.stdin.pipe(process.stderr); process.stdin.on("end",()=>process.exit(3))'], input: 'token=s3cr3t-token-value' };
    const err = (await runOrThrow(cmd).catch((e) => e)) as ExecError;
    expect(err).toBeInstanceOf(ExecError);
    expect(err.result.exitCode).toBe(3);
    expect(err.message).toContain('exit 3');
    expect(err.message).toContain('token=***');
    expect(err.message).not.toContain('s3cr3t-token-value');
  });

  it('redacts registered secrets from formatted commands', () => {
    registerSecret('npm_abcdef123456');
    expect(formatCommand({ command: 'npm', args: ['--token', 'npm_abcdef123456', 'a b'] })).toBe("npm --token *** 'a b'");
    expect(redact('x npm_abcdef123456 y npm_abcdef123456')).toBe('x *** y ***');
  });

  it('says which program is missing', async () => {
    await expect(run({ command: 'definitely-not-installed-xyz', args: [] })).rejects.toThrow(/is 'definitely-not-installed-xyz' installed/);
    await expect(run({ command: 'git', args: ['status'], cwd: '/nonexistent/dir' })).rejects.toThrow(/working directory \/nonexistent\/dir does not exist/);
  });
});
