// The fix plan as an Ansible playbook (DESIGN.md "Fixes are data"): the same typed actions, rendered to
// ansible-core builtin modules, each with the applier's precondition, idempotent (a second run changes
// nothing), restarts and daemon-reloads as handlers that run only after a change, manual steps as debug tasks.
//
// Every string that comes from a host (paths, line text, file content, module and unit names) is emitted as a
// YAML double-quoted scalar tagged !unsafe, so Ansible never templates it: a "{{" in a rules file stays text.
// File paths are joined to {{ nfdoctor_root }} (default "") so the same playbook can repair a mounted root;
// nfdoctor_runtime=false skips what acts on the running system (modprobe, systemctl).
import { COMMENT_PREFIX, WRITTEN_BY_MARKER, invalidReason, type Action } from './actions.ts';

export interface AnsibleOptions {
  /** Play target (default "all"). */
  readonly hosts?: string;
  /** Play name. */
  readonly name?: string;
}

/** A YAML double-quoted scalar that Ansible will not template. JSON strings are valid YAML double-quoted scalars. */
function unsafe(value: string): string {
  return `!unsafe ${JSON.stringify(value)}`;
}

/** Python `re` pattern matching exactly `text` as a whole line. */
function exactLine(text: string): string {
  return `^${text.replace(/[^A-Za-z0-9 _]/g, (c) => `\\${c}`)}$`;
}

/** Python re.sub replacement that inserts `text` literally. */
function literalReplacement(text: string): string {
  return text.replaceAll('\\', '\\\\');
}

function indent(lines: readonly string[], by: number): string[] {
  const pad = ' '.repeat(by);
  return lines.map((l) => (l === '' ? l : `${pad}${l}`));
}

interface Rendered {
  readonly tasks: string[];
  readonly handlers: string[];
  readonly notify: string[];
}

function lineEdit(
  i: number,
  file: string,
  line: number,
  expect: string,
  wanted: string,
  why: string,
): string[] {
  const read = `nfdoctor_line_${i}`;
  return [
    `- name: ${JSON.stringify(`step ${i}: read line ${line} of ${file}`)}`,
    '  ansible.builtin.command:',
    '    argv: ["sed", "-n", ' + JSON.stringify(`${line}p`) + ', "{{ nfdoctor_root }}{{ nfdoctor_file }}"]',
    '  vars:',
    `    nfdoctor_file: ${unsafe(file)}`,
    `  register: ${read}`,
    '  changed_when: false',
    '  check_mode: false',
    `- name: ${JSON.stringify(`step ${i}: line ${line} of ${file} must still read as nfdoctor saw it`)}`,
    '  ansible.builtin.assert:',
    `    that: ${read}.stdout == nfdoctor_expect or ${read}.stdout == nfdoctor_wanted`,
    `    fail_msg: ${JSON.stringify(`${file} line ${line} changed since the diagnosis; nothing was edited`)}`,
    '    quiet: true',
    '  vars:',
    `    nfdoctor_expect: ${unsafe(expect)}`,
    `    nfdoctor_wanted: ${unsafe(wanted)}`,
    `- name: ${JSON.stringify(`step ${i}: ${why}`)}`,
    '  ansible.builtin.replace:',
    '    path: "{{ nfdoctor_root }}{{ nfdoctor_file }}"',
    `    regexp: ${unsafe(exactLine(expect))}`,
    `    replace: ${unsafe(literalReplacement(wanted))}`,
    '    backup: true',
    '  vars:',
    `    nfdoctor_file: ${unsafe(file)}`,
    `    nfdoctor_wanted: ${unsafe(wanted)}`,
    `  when: ${read}.stdout != nfdoctor_wanted`,
  ];
}

function renderOne(a: Action, i: number, out: Rendered): void {
  const step = (what: string): string => `- name: ${JSON.stringify(`step ${i}: ${what}`)}`;
  switch (a.kind) {
    case 'comment-line':
      out.tasks.push(...lineEdit(i, a.file, a.line, a.expect, `${COMMENT_PREFIX}${a.expect}`, a.why));
      return;
    case 'replace-line':
      out.tasks.push(...lineEdit(i, a.file, a.line, a.expect, a.text, a.why));
      return;
    case 'write-file': {
      const st = `nfdoctor_stat_${i}`;
      const old = `nfdoctor_old_${i}`;
      const vars = [
        '  vars:',
        `    nfdoctor_file: ${unsafe(a.path)}`,
        `    nfdoctor_content: ${unsafe(a.content)}`,
      ];
      out.tasks.push(
        step(`is ${a.path} absent or already as nfdoctor writes it`),
        '  ansible.builtin.stat:',
        '    path: "{{ nfdoctor_root }}{{ nfdoctor_file }}"',
        ...vars.slice(0, 2),
        `  register: ${st}`,
        step(`read the ${a.path} that exists`),
        '  ansible.builtin.slurp:',
        '    src: "{{ nfdoctor_root }}{{ nfdoctor_file }}"',
        ...vars.slice(0, 2),
        `  register: ${old}`,
        `  when: ${st}.stat.exists`,
        step(`${a.path} is not someone else's file`),
        '  ansible.builtin.assert:',
        `    that: not ${st}.stat.exists or (${old}.content | b64decode) == nfdoctor_content`,
        `    fail_msg: ${JSON.stringify(`${a.path} exists with other content; nfdoctor does not overwrite it`)}`,
        '    quiet: true',
        ...vars,
        step(a.why),
        '  ansible.builtin.copy:',
        '    dest: "{{ nfdoctor_root }}{{ nfdoctor_file }}"',
        '    content: "{{ nfdoctor_content }}"',
        `    mode: ${JSON.stringify(`0${a.mode.toString(8)}`)}`,
        ...vars,
        ...(out.notify.length > 0
          ? ['  notify:', ...out.notify.map((n) => `    - ${JSON.stringify(n)}`)]
          : []),
      );
      return;
    }
    case 'remove-file': {
      const head = `nfdoctor_head_${i}`;
      const vars = ['  vars:', `    nfdoctor_file: ${unsafe(a.path)}`];
      out.tasks.push(
        step(`read the first line of ${a.path}`),
        '  ansible.builtin.command:',
        '    argv: ["sed", "-n", "1p", "{{ nfdoctor_root }}{{ nfdoctor_file }}"]',
        ...vars,
        `  register: ${head}`,
        '  changed_when: false',
        '  failed_when: false',
        '  check_mode: false',
        step(a.why),
        '  ansible.builtin.file:',
        '    path: "{{ nfdoctor_root }}{{ nfdoctor_file }}"',
        '    state: absent',
        ...vars,
        `  when: ${head}.rc == 0 and ${head}.stdout.startswith(${JSON.stringify(WRITTEN_BY_MARKER)})`,
      );
      return;
    }
    case 'systemctl': {
      // restart and daemon-reload are not idempotent by nature: they run as handlers, after a change.
      if (a.verb === 'restart' || a.verb === 'daemon-reload') {
        const name =
          a.verb === 'daemon-reload'
            ? 'nfdoctor: systemctl daemon-reload'
            : `nfdoctor: restart ${a.unit ?? ''}`;
        if (!out.handlers.some((h) => h === `- name: ${JSON.stringify(name)}`)) {
          out.handlers.push(
            `- name: ${JSON.stringify(name)}`,
            '  ansible.builtin.systemd_service:',
            ...(a.verb === 'daemon-reload'
              ? ['    daemon_reload: true']
              : [`    name: ${unsafe(a.unit ?? '')}`, '    state: restarted']),
            '  when: nfdoctor_runtime | bool',
          );
          // daemon-reload must precede restarts: handlers run in the order they are defined.
          out.notify.push(name);
        }
        return;
      }
      const state =
        a.verb === 'enable' ? 'enabled: true' : a.verb === 'unmask' ? 'masked: false' : 'state: started';
      out.tasks.push(
        step(a.why),
        '  ansible.builtin.systemd_service:',
        `    name: ${unsafe(a.unit ?? '')}`,
        `    ${state}`,
        '  when: nfdoctor_runtime | bool',
      );
      return;
    }
    case 'modprobe': {
      const loaded = `nfdoctor_modules_${i}`;
      // /proc/modules names modules with '_' (modprobe(8) treats '-' and '_' alike).
      const name = a.module.replaceAll('-', '_');
      out.tasks.push(
        step(`is ${a.module} loaded (/proc/modules)`),
        '  ansible.builtin.slurp:',
        '    src: /proc/modules',
        `  register: ${loaded}`,
        '  when: nfdoctor_runtime | bool',
        step(a.why),
        '  ansible.builtin.command:',
        `    argv: ["modprobe", "--", ${unsafe(a.module)}]`,
        `  when: (nfdoctor_runtime | bool) and not ((${loaded}.content | b64decode) is regex(${JSON.stringify(`(?m)^${name} `)}))`,
      );
      return;
    }
    case 'manual':
      out.tasks.push(
        step('a step for a person (nothing is changed)'),
        '  ansible.builtin.debug:',
        `    msg: ${unsafe(`${a.instruction}${a.command === undefined ? '' : `: ${a.command}`} (${a.why})`)}`,
      );
      return;
  }
}

/** Renders actions as one play. Throws on an action whose names are invalid (the planner never makes one). */
export function renderAnsiblePlaybook(actions: readonly Action[], opts: AnsibleOptions = {}): string {
  for (const a of actions) {
    const bad = invalidReason(a);
    if (bad !== undefined) {
      throw new Error(`cannot render an invalid action: ${bad}`);
    }
  }
  // Handlers first, so every changing task can notify the restarts that follow it.
  const out: Rendered = { tasks: [], handlers: [], notify: [] };
  const isHandler = (a: Action): boolean =>
    a.kind === 'systemctl' && (a.verb === 'daemon-reload' || a.verb === 'restart');
  actions.filter(isHandler).forEach((a) => {
    renderOne(a, 0, out);
  });
  actions.forEach((a, i) => {
    if (!isHandler(a)) {
      renderOne(a, i + 1, out);
    }
  });
  // Line edits notify too: add the notify list to every replace task.
  const tasks = out.tasks.flatMap((l) =>
    l === '    backup: true' && out.notify.length > 0
      ? [l, '  notify:', ...out.notify.map((n) => `    - ${JSON.stringify(n)}`)]
      : [l],
  );
  return [
    '---',
    '# generated by nfdoctor: the fix plan as an Ansible playbook (ansible-core builtin modules only).',
    '# -e nfdoctor_root=/mnt repairs a mounted root; -e nfdoctor_runtime=false skips modprobe and systemctl.',
    `- name: ${JSON.stringify(opts.name ?? 'nfdoctor fix plan')}`,
    `  hosts: ${JSON.stringify(opts.hosts ?? 'all')}`,
    '  gather_facts: false',
    '  become: true',
    '  vars:',
    '    nfdoctor_root: ""',
    '    nfdoctor_runtime: true',
    '  tasks:',
    ...indent(tasks.length > 0 ? tasks : ['- name: "nothing to do"', '  ansible.builtin.meta: noop'], 4),
    ...(out.handlers.length > 0 ? ['  handlers:', ...indent(out.handlers, 4)] : []),
    '',
  ].join('\n');
}
