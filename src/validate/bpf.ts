// The kernel's check of a classic BPF program (-m bpf --bytecode): xt_bpf.c bpf_mt_check() -> bpf_prog_create()
// -> bpf_check_classic() in net/core/filter.c, which refuses the whole rule with -EINVAL ("bpf: check failed:
// parse error" in the kernel log) while `iptables-restore --test` passes: libxt_bpf.c only reads the numbers.

interface Instruction {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

const LD = 0x00;
const LDX = 0x01;
const ST = 0x02;
const STX = 0x03;
const ALU = 0x04;
const JMP = 0x05;
const RET = 0x06;
const MISC = 0x07;
const W = 0x00;
const H = 0x08;
const B = 0x10;
const IMM = 0x00;
const ABS = 0x20;
const IND = 0x40;
const MEM = 0x60;
const LEN = 0x80;
const MSH = 0xa0;
const K = 0x00;
const X = 0x08;
const A = 0x10;
const [ADD, SUB, MUL, DIV, OR, AND, LSH, RSH, NEG, MOD, XOR] = [
  0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0,
];
const [JA, JEQ, JGT, JGE, JSET] = [0x00, 0x10, 0x20, 0x30, 0x40];
const [TAX, TXA] = [0x00, 0x80];

/** BPF_MEMWORDS: the scratch cells a program may store to and load from. */
const MEMWORDS = 16;
/** SKF_AD_OFF as a u32, and the ancillary loads bpf_anc_helper() knows (SKF_AD_PROTOCOL .. SKF_AD_VLAN_TPID). */
const SKF_AD_OFF = 0xfffff000;
const ANCILLARY_LAST = 60;

const CONDITIONAL_JUMPS: ReadonlySet<number> = new Set(
  [JEQ, JGE, JGT, JSET].flatMap((op) => [JMP | op | K, JMP | op | X]),
);

/** chk_code_allowed(): the instruction codes the kernel takes. */
const ALLOWED_CODES: ReadonlySet<number> = new Set([
  ...[ADD, SUB, MUL, DIV, MOD, AND, OR, XOR, LSH, RSH].flatMap((op) => [ALU | op | K, ALU | op | X]),
  ALU | NEG,
  LD | W | ABS,
  LD | H | ABS,
  LD | B | ABS,
  LD | W | LEN,
  LD | W | IND,
  LD | H | IND,
  LD | B | IND,
  LD | IMM,
  LD | MEM,
  LDX | W | LEN,
  LDX | B | MSH,
  LDX | IMM,
  LDX | MEM,
  ST,
  STX,
  MISC | TAX,
  MISC | TXA,
  RET | K,
  RET | A,
  JMP | JA,
  ...CONDITIONAL_JUMPS,
]);

/**
 * The instructions of a --bytecode value libxt_bpf.c accepted ("N,code jt jf k,..."), as sscanf("%hu %hhu
 * %hhu %u") stores them: each number cut to its field's width.
 */
function instructions(bytecode: string): Instruction[] {
  const out: Instruction[] = [];
  for (const text of bytecode.split(',').slice(1)) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/.exec(text);
    if (m != null) {
      const [code, jt, jf, k] = m.slice(1).map((n) => BigInt(n));
      out.push({
        code: Number(BigInt.asUintN(16, code ?? 0n)),
        jt: Number(BigInt.asUintN(8, jt ?? 0n)),
        jf: Number(BigInt.asUintN(8, jf ?? 0n)),
        k: Number(BigInt.asUintN(32, k ?? 0n)),
      });
    }
  }
  return out;
}

/** bpf_check_classic(): why the kernel refuses the program, or undefined. */
export function classicBpfError(bytecode: string): string | undefined {
  const program = instructions(bytecode);
  const length = program.length;
  for (let pc = 0; pc < length; pc++) {
    const error = instructionError(program[pc] as Instruction, pc, length);
    if (error !== undefined) {
      return `instruction ${pc} (code ${(program[pc] as Instruction).code}): ${error}`;
    }
  }
  const last = program[length - 1]?.code;
  if (last !== (RET | K) && last !== (RET | A)) {
    return 'the last instruction is not a return (code 6 or 22)';
  }
  return memoryReadBeforeWrite(program);
}

function instructionError(insn: Instruction, pc: number, length: number): string | undefined {
  const { code, k } = insn;
  if (!ALLOWED_CODES.has(code)) {
    return 'no such instruction';
  }
  if ((code === (ALU | DIV | K) || code === (ALU | MOD | K)) && k === 0) {
    return 'division by zero';
  }
  if ((code === (ALU | LSH | K) || code === (ALU | RSH | K)) && k >= 32) {
    return 'a shift by 32 or more';
  }
  if ((code === (LD | MEM) || code === (LDX | MEM) || code === ST || code === STX) && k >= MEMWORDS) {
    return `scratch cell ${k} (there are ${MEMWORDS})`;
  }
  if (code === (JMP | JA) && k >= length - pc - 1) {
    return 'the jump leaves the program';
  }
  if (CONDITIONAL_JUMPS.has(code) && (pc + insn.jt + 1 >= length || pc + insn.jf + 1 >= length)) {
    return 'a branch leaves the program';
  }
  const absoluteLoad = code === (LD | W | ABS) || code === (LD | H | ABS) || code === (LD | B | ABS);
  const ancillary = k - SKF_AD_OFF;
  if (absoluteLoad && k >= SKF_AD_OFF && !(ancillary % 4 === 0 && ancillary <= ANCILLARY_LAST)) {
    return 'an unknown ancillary load';
  }
  return undefined;
}

/** check_load_and_stores(): every path writes a scratch cell before it reads it. */
function memoryReadBeforeWrite(program: readonly Instruction[]): string | undefined {
  const ALL = 0xffff;
  const masks = new Array<number>(program.length).fill(ALL);
  let valid = 0;
  for (let pc = 0; pc < program.length; pc++) {
    valid &= masks[pc] ?? ALL;
    const { code, k, jt, jf } = program[pc] as Instruction;
    if (code === ST || code === STX) {
      valid |= 1 << k;
    } else if (code === (LD | MEM) || code === (LDX | MEM)) {
      if ((valid & (1 << k)) === 0) {
        return `instruction ${pc} reads scratch cell ${k} before any instruction on its path writes it`;
      }
    } else if (code === (JMP | JA)) {
      masks[pc + 1 + k] = (masks[pc + 1 + k] ?? ALL) & valid;
      valid = ALL;
    } else if (CONDITIONAL_JUMPS.has(code)) {
      masks[pc + 1 + jt] = (masks[pc + 1 + jt] ?? ALL) & valid;
      masks[pc + 1 + jf] = (masks[pc + 1 + jf] ?? ALL) & valid;
      valid = ALL;
    }
  }
  return undefined;
}
