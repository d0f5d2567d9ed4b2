// Errors the CLI turns into one line on stderr and exit code 2 (usage, unreadable or unusable input).

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Input that cannot be used: names the file and what is wrong with it. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

export const EXIT = { ok: 0, findings: 1, usage: 2, verifyFailed: 3 } as const;
