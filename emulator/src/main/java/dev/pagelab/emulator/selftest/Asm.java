package dev.pagelab.emulator.selftest;

import java.io.ByteArrayOutputStream;

/**
 * A tiny x86-64 assembler for the handful of instructions the self-test and the benchmark need,
 * so their guest code reads as instructions rather than byte soup. Absolute addresses are 32-bit
 * sign-extended displacements (below 2 GiB).
 */
public final class Asm {
    /** The 64-bit registers by their encoding number. */
    public enum Reg { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 }

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public int size() {
        return out.size();
    }

    public byte[] bytes() {
        return out.toByteArray();
    }

    private Asm b(int... bytes) {
        for (int x : bytes) {
            out.write(x);
        }
        return this;
    }

    /** Instruction bytes the assembler has no method for (encodings written out in the caller). */
    public Asm raw(int... bytes) {
        return b(bytes);
    }

    private Asm imm32(long v) {
        return b((int) v & 0xff, (int) (v >> 8) & 0xff, (int) (v >> 16) & 0xff, (int) (v >> 24) & 0xff);
    }

    private static int rex(Reg reg, Reg rm) {
        return 0x48 | (reg.ordinal() >= 8 ? 4 : 0) | (rm.ordinal() >= 8 ? 1 : 0);
    }

    /** mov reg, imm64 */
    public Asm movImm(Reg r, long imm) {
        b(0x48 | (r.ordinal() >= 8 ? 1 : 0), 0xB8 + (r.ordinal() & 7));
        return imm32(imm).imm32(imm >>> 32);
    }

    /** mov [abs32], reg */
    public Asm store(long address, Reg r) {
        return b(rex(r, Reg.RAX), 0x89, 0x04 | ((r.ordinal() & 7) << 3), 0x25).imm32(address);
    }

    /** mov reg, [abs32] */
    public Asm load(Reg r, long address) {
        return b(rex(r, Reg.RAX), 0x8B, 0x04 | ((r.ordinal() & 7) << 3), 0x25).imm32(address);
    }

    /** mov [base], src (base not RSP/RBP/R12/R13) */
    public Asm storeIndirect(Reg base, Reg src) {
        return b(rex(src, base), 0x89, ((src.ordinal() & 7) << 3) | (base.ordinal() & 7));
    }

    /** mov dst, [base] (base not RSP/RBP/R12/R13) */
    public Asm loadIndirect(Reg dst, Reg base) {
        return b(rex(dst, base), 0x8B, ((dst.ordinal() & 7) << 3) | (base.ordinal() & 7));
    }

    /** add dst, src */
    public Asm add(Reg dst, Reg src) {
        return b(rex(src, dst), 0x01, 0xC0 | ((src.ordinal() & 7) << 3) | (dst.ordinal() & 7));
    }

    /** xor dst, src */
    public Asm xor(Reg dst, Reg src) {
        return b(rex(src, dst), 0x31, 0xC0 | ((src.ordinal() & 7) << 3) | (dst.ordinal() & 7));
    }

    /** add reg, imm32 */
    public Asm addImm(Reg r, int imm) {
        return b(rex(Reg.RAX, r), 0x81, 0xC0 | (r.ordinal() & 7)).imm32(imm);
    }

    /** dec reg */
    public Asm dec(Reg r) {
        return b(rex(Reg.RAX, r), 0xFF, 0xC8 | (r.ordinal() & 7));
    }

    /** div reg (RDX:RAX / reg) */
    public Asm div(Reg r) {
        return b(rex(Reg.RAX, r), 0xF7, 0xF0 | (r.ordinal() & 7));
    }

    /** jmp reg */
    public Asm jmp(Reg r) {
        if (r.ordinal() >= 8) {
            b(0x41);
        }
        return b(0xFF, 0xE0 | (r.ordinal() & 7));
    }

    /** jnz to the absolute code offset {@code target} (a backward short jump). */
    public Asm jnzBack(int target) {
        int rel = target - (size() + 2);
        if (rel < -128) {
            throw new IllegalArgumentException("jnzBack: target too far");
        }
        return b(0x75, rel & 0xff);
    }

    public Asm syscall() {
        return b(0x0F, 0x05);
    }

    public Asm ud2() {
        return b(0x0F, 0x0B);
    }

    public Asm hlt() {
        return b(0xF4);
    }

    public Asm nop() {
        return b(0x90);
    }
}
