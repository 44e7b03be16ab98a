/**
 * Who changes a checklist item (`updatedBy`): the git user name where available, else the OS user name.
 * `git` is only executed in a trusted workspace (a repository's config can point at arbitrary programs), with a
 * timeout, and never blocks: callers await it when a change is written. No `vscode` import.
 */
import { execFile } from 'node:child_process';
import * as os from 'node:os';

export interface AuthorOptions {
  /** `vscode.workspace.isTrusted`: git runs only in a trusted workspace. */
  trusted: boolean;
  /** The workspace folder (git reads its repository config). */
  cwd: string;
  timeoutMs?: number;
}

function osUser(): string | undefined {
  try {
    return os.userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

export function gitUserName(cwd: string, timeoutMs = 2000): Promise<string | undefined> {
  return new Promise((resolve) => {
    try {
      execFile('git', ['config', 'user.name'], { cwd, timeout: timeoutMs, windowsHide: true, encoding: 'utf8' }, (error, stdout) => {
        const name = error ? '' : String(stdout).trim();
        resolve(name || undefined);
      });
    } catch {
      resolve(undefined);
    }
  });
}

/** The author of a change: git user name (trusted workspaces only), else the OS user name. */
export async function resolveAuthor(options: AuthorOptions): Promise<string | undefined> {
  if (options.trusted) {
    const name = await gitUserName(options.cwd, options.timeoutMs);
    if (name) return name;
  }
  return osUser();
}
