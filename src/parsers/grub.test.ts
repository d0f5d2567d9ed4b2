import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { nextBoot, parseGrubCfg, parseGrubEnv, resolveGrubEntry } from './grub.ts';

const CFG = `set default="\${saved_entry}"
menuentry 'Debian GNU/Linux' --class debian $menuentry_id_option 'gnulinux-simple-u' {
\tif [ x$feature_all_video_module = xy ]; then
\t  insmod all_video
\tfi
\tlinux\t/boot/vmlinuz-6.12.1-amd64 root=UUID=u ro quiet
}
submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option 'gnulinux-advanced-u' {
\tmenuentry 'Debian GNU/Linux, with Linux 6.12.1-amd64' $menuentry_id_option 'gnulinux-6.12.1-amd64-advanced-u' {
\t\tlinux\t/vmlinuz-6.12.1-amd64 root=UUID=u ro quiet
\t}
\tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-9-amd64' $menuentry_id_option 'gnulinux-6.1.0-9-amd64-advanced-u' {
\t\tlinux\t/boot/vmlinuz-6.1.0-9-amd64 root=UUID=u ro quiet
\t}
}
menuentry 'UEFI Firmware Settings' $menuentry_id_option 'uefi-firmware' {
\tfwsetup
}
`;

describe('grub', () => {
  const cfg = parseGrubCfg(CFG, '/boot/grub/grub.cfg').value;

  it('reads menu entries, submenus, ids, lines and the release of the linux line', () => {
    expect(cfg.entries.map((e) => [e.title, e.line, e.release])).toEqual([
      ['Debian GNU/Linux', 2, '6.12.1-amd64'],
      ['Advanced options for Debian GNU/Linux', 8, undefined],
      ['UEFI Firmware Settings', 16, undefined],
    ]);
    expect(cfg.entries[1]?.children?.map((e) => e.id)).toEqual([
      'gnulinux-6.12.1-amd64-advanced-u',
      'gnulinux-6.1.0-9-amd64-advanced-u',
    ]);
    expect(cfg.default).toEqual({ value: '${saved_entry}', line: 1 });
  });

  it('resolves indexes, titles, ids and ">" paths like GRUB does', () => {
    expect(resolveGrubEntry(cfg.entries, '0')?.release).toBe('6.12.1-amd64');
    expect(resolveGrubEntry(cfg.entries, '1>1')?.release).toBe('6.1.0-9-amd64');
    expect(
      resolveGrubEntry(cfg.entries, 'gnulinux-advanced-u>gnulinux-6.1.0-9-amd64-advanced-u')?.release,
    ).toBe('6.1.0-9-amd64');
    expect(resolveGrubEntry(cfg.entries, 'Advanced options for Debian GNU/Linux')?.release).toBe(
      '6.12.1-amd64',
    );
    expect(resolveGrubEntry(cfg.entries, '7')).toBeUndefined();
  });

  it('chooses next_entry, then the saved entry, then the first entry', () => {
    const env = (text: string) => parseGrubEnv(`# GRUB Environment Block\n${text}${'#'.repeat(900)}`);
    expect(nextBoot(env('saved_entry=1>1\n'), cfg, undefined)?.entry?.release).toBe('6.1.0-9-amd64');
    expect(nextBoot(env('saved_entry=1>1\nnext_entry=0\n'), cfg, undefined)?.by).toBe('next_entry');
    expect(nextBoot(env(''), cfg, undefined)).toMatchObject({ by: 'first entry', spec: '0' });
    expect(nextBoot(undefined, undefined, '1>1')).toEqual({ by: 'GRUB_DEFAULT', spec: '1>1' });
    expect(env('saved_entry=x\n').get('saved_entry')).toEqual({ value: 'x', line: 2 });
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const c = parseGrubCfg(a, 'x').value;
        nextBoot(parseGrubEnv(b), c, b);
        resolveGrubEntry(c.entries, b);
      }),
    );
  });
});
