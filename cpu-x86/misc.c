/* System-ish user instructions: CPUID, RDTSC/RDTSCP (virtual time),
 * XGETBV, FXSAVE/FXRSTOR, XSAVE/XRSTOR, LDMXCSR/STMXCSR, fences, NOP
 * forms, RDFSBASE/WRFSBASE family. */
#include "cpu-x86/interp.h"

static const insn_t *nop(struct vcpu *c, const insn_t *i) { return i + 1; }

static const insn_t *cpuid_op(struct vcpu *c, const insn_t *i) {
  uint32_t o[4];
  cpu_cpuid(c, (uint32_t)c->r[RAX], (uint32_t)c->r[RCX], o);
  c->r[RAX] = o[0]; c->r[RBX] = o[1]; c->r[RCX] = o[2]; c->r[RDX] = o[3];
  return i + 1;
}

uint64_t cpu_tsc(const struct vcpu *c) {
  /* TSC = epoch offset + retired instructions scaled to the virtual
   * frequency: one instruction = tsc_hz / 1e9 ticks (1 ns each). */
  return c->tsc_offset + icount_now(c) * (c->tsc_hz / 1000000000ull);
}
static const insn_t *rdtsc_op(struct vcpu *c, const insn_t *i) {
  uint64_t t = cpu_tsc(c);
  c->r[RAX] = (uint32_t)t;
  c->r[RDX] = t >> 32;
  return i + 1;
}

/* 0F 01 with mod = 3: XGETBV (D0), RDTSCP (F9); others privileged/#UD */
static const insn_t *grp7_reg(struct vcpu *c, const insn_t *i) {
  switch (i->modrm) {
  case 0xD0:  /* XGETBV */
    if ((uint32_t)c->r[RCX] != 0) GP0(c);
    c->r[RAX] = (uint32_t)c->xcr0;
    c->r[RDX] = (uint32_t)(c->xcr0 >> 32);
    return i + 1;
  case 0xF9: { /* RDTSCP */
    uint64_t t = cpu_tsc(c);
    c->r[RAX] = (uint32_t)t;
    c->r[RDX] = t >> 32;
    c->r[RCX] = 0;   /* IA32_TSC_AUX: cpu 0 */
    return i + 1;
  }
  case 0xD1: case 0xF8: case 0xC1: case 0xC2: case 0xC3: case 0xC4:
    GP0(c);          /* XSETBV, SWAPGS, VM* at CPL 3 */
  default:
    UD(c);
  }
}
static const insn_t *priv(struct vcpu *c, const insn_t *i) { GP0(c); }

/* 0F AE group */
static const insn_t *fxsave_op(struct vcpu *c, const insn_t *i) {
  uint64_t a = ea_of(c, i);
  if (a & 15) GP0(c);
  uint8_t img[512];
  cpu_fxsave(c, img);
  /* bytes 464..511 are available to software and not written */
  uint8_t old[48];
  rdmem(c, a + 464, old, 48);
  memcpy(img + 464, old, 48);
  wrmem(c, a, img, 512);
  return i + 1;
}
static const insn_t *fxrstor_op(struct vcpu *c, const insn_t *i) {
  uint64_t a = ea_of(c, i);
  if (a & 15) GP0(c);
  uint8_t img[512];
  rdmem(c, a, img, 512);
  uint32_t mx;
  memcpy(&mx, img + 24, 4);
  if (mx & ~0xffffu) GP0(c);
  cpu_fxrstor(c, img);
  return i + 1;
}
static const insn_t *ldmxcsr_op(struct vcpu *c, const insn_t *i) {
  uint32_t v = rd32(c, ea_of(c, i));
  if (v & ~0xffffu) GP0(c);
  c->mxcsr = v;
  return i + 1;
}
static const insn_t *stmxcsr_op(struct vcpu *c, const insn_t *i) {
  wr32(c, ea_of(c, i), c->mxcsr);
  return i + 1;
}

/* XSAVE standard format (SDM Vol. 1 13.4): legacy region 0..511, header
 * 512..575 (XSTATE_BV, XCOMP_BV).  XCR0 = x87 | SSE. */
static const insn_t *xsave_op(struct vcpu *c, const insn_t *i) {
  uint64_t a = ea_of(c, i);
  if (a & 63) GP0(c);
  uint64_t rfbm = c->xcr0 & ((c->r[RDX] << 32) | (uint32_t)c->r[RAX]);
  uint8_t img[512];
  rdmem(c, a, img, 512);   /* components not saved are left as they are */
  uint8_t fx[512];
  cpu_fxsave(c, fx);
  if (rfbm & 1) { memcpy(img, fx, 24); memcpy(img + 32, fx + 32, 128); }
  if (rfbm & 2) memcpy(img + 160, fx + 160, 256);
  if (rfbm & 6) memcpy(img + 24, fx + 24, 8);   /* MXCSR + MASK */
  uint64_t bv = rd64(c, a + 512);
  bv = (bv & ~rfbm) | (rfbm & 3);
  wrmem(c, a, img, 512);
  wr64(c, a + 512, bv);
  return i + 1;
}
static const insn_t *xrstor_op(struct vcpu *c, const insn_t *i) {
  uint64_t a = ea_of(c, i);
  if (a & 63) GP0(c);
  uint64_t rfbm = c->xcr0 & ((c->r[RDX] << 32) | (uint32_t)c->r[RAX]);
  uint8_t hdr[64];
  rdmem(c, a + 512, hdr, 64);
  uint64_t bv, comp;
  memcpy(&bv, hdr, 8);
  memcpy(&comp, hdr + 8, 8);
  if (comp & (1ull << 63)) GP0(c);              /* compacted: no XSAVEC */
  if (bv & ~c->xcr0) GP0(c);
  for (int k = 16; k < 64; k++) if (hdr[k]) GP0(c);  /* reserved header bytes */
  uint8_t img[512];
  rdmem(c, a, img, 512);
  uint32_t mx;
  memcpy(&mx, img + 24, 4);
  if ((rfbm & 6) && (mx & ~0xffffu)) GP0(c);
  uint8_t cur[512];
  cpu_fxsave(c, cur);
  if (rfbm & 1) {
    if (bv & 1) { memcpy(cur, img, 24); memcpy(cur + 32, img + 32, 128); }
    else {  /* init state */
      struct vcpu tmp;
      memset(&tmp, 0, sizeof tmp);
      cpu_fpu_reset(&tmp);
      tmp.mxcsr = c->mxcsr;
      uint8_t init[512];
      cpu_fxsave(&tmp, init);
      memcpy(cur, init, 24);
      memcpy(cur + 32, init + 32, 128);
    }
  }
  if (rfbm & 2) {
    if (bv & 2) memcpy(cur + 160, img + 160, 256);
    else memset(cur + 160, 0, 256);
  }
  if (rfbm & 6) memcpy(cur + 24, &mx, 4);
  cpu_fxrstor(c, cur);
  return i + 1;
}
static const insn_t *fsgs_op(struct vcpu *c, const insn_t *i) {
  unsigned which = (i->modrm >> 3) & 7;   /* 0 RDFS 1 RDGS 2 WRFS 3 WRGS */
  unsigned sz = i->opsz == 8 ? 8 : 4;
  switch (which) {
  case 0: set_reg(c, i->rm, sz, c->fs_base); break;
  case 1: set_reg(c, i->rm, sz, c->gs_base); break;
  case 2: case 3: {
    uint64_t v = c->r[i->rm];
    if (sz == 4) v = (uint32_t)v;
    int64_t s = (int64_t)(v << 16) >> 16;
    if ((uint64_t)s != v) GP0(c);
    if (which == 2) { c->fs_base = v; c->segbase[4] = v; }
    else { c->gs_base = v; c->segbase[5] = v; }
    break;
  }
  default: UD(c);
  }
  return i + 1;
}

void cpu_cpuid(const struct vcpu *c, uint32_t leaf, uint32_t sub, uint32_t o[4]) {
  o[0] = o[1] = o[2] = o[3] = 0;
  switch (leaf) {
  case 0:
    o[0] = 0x16;
    memcpy(&o[1], "Genu", 4); memcpy(&o[3], "ineI", 4); memcpy(&o[2], "ntel", 4);
    break;
  case 1:
    o[0] = 0x000906A0;                 /* family 6, generic model */
    o[1] = (8u << 8) | (1u << 16);     /* CLFLUSH 64 bytes, 1 logical CPU */
    o[2] = (1u << 0)  /* SSE3 */ | (1u << 9) /* SSSE3 */ | (1u << 13) /* CX16 */ |
           (1u << 19) /* SSE4.1 */ | (1u << 20) /* SSE4.2 */ | (1u << 22) /* MOVBE */ |
           (1u << 23) /* POPCNT */ | (1u << 26) /* XSAVE */ | (1u << 27) /* OSXSAVE */;
    o[3] = (1u << 0) /* FPU */ | (1u << 3) /* PSE */ | (1u << 4) /* TSC */ |
           (1u << 6) /* PAE */ | (1u << 8) /* CX8 */ | (1u << 13) /* PGE */ |
           (1u << 15) /* CMOV */ | (1u << 19) /* CLFSH */ | (1u << 23) /* MMX */ |
           (1u << 24) /* FXSR */ | (1u << 25) /* SSE */ | (1u << 26) /* SSE2 */;
    if (c->cpuid_no_pse) o[3] &= ~(1u << 3);
    if (c->smp_n > 1) {                /* --cpus: N logical CPUs in the package, this one's APIC id */
      o[1] = (o[1] & 0xffffu) | ((uint32_t)c->smp_n << 16) | ((uint32_t)c->smp_id << 24);
      o[3] |= 1u << 28;                /* HTT: the count field is valid */
    }
    break;
  case 0xb:
    /* x2APIC topology (SDM Vol. 2A CPUID leaf 0BH): --cpus N cores of one
     * thread each; level 0 SMT, level 1 core (with one vCPU: zeros, as before) */
    if (c->smp_n > 1 && sub <= 1) {
      uint32_t shift = 0;
      while ((1u << shift) < c->smp_n) shift++;
      o[0] = sub ? shift : 0;
      o[1] = sub ? c->smp_n : 1;
      o[2] = ((sub ? 2u : 1u) << 8) | sub;
      o[3] = c->smp_id;
    } else if (c->smp_n > 1) {
      o[2] = sub;
      o[3] = c->smp_id;
    }
    break;
  case 2:
    o[0] = 0x00FF0001;                 /* descriptor FF: use leaf 4 */
    break;
  case 4: {
    /* deterministic cache hierarchy: L1d 32K/8, L1i 32K/8, L2 1M/16, L3 8M/16 */
    static const uint32_t t[4][4] = {
      {1, 1, 8, 64}, {2, 1, 8, 64}, {3, 2, 16, 1024}, {3, 3, 16, 8192}};
    if (sub < 4) {
      uint32_t type = t[sub][0], lvl = t[sub][1], ways = t[sub][2], kb = t[sub][3];
      uint32_t sets = kb * 1024 / (ways * 64);
      o[0] = type | (lvl << 5) | (1u << 8);
      o[1] = (63u) | ((ways - 1) << 22);
      o[2] = sets - 1;
    }
    break;
  }
  case 7:
    if (sub == 0)
      o[1] = (1u << 0) /* FSGSBASE */ | (1u << 3) /* BMI1 */ | (1u << 8) /* BMI2 */ |
             (1u << 9) /* ERMS */;
    break;
  case 0xD:
    if (sub == 0) { o[0] = 3; o[1] = 576; o[2] = 576; }
    else if (sub == 1) o[0] = 0;
    else if (sub == 1 || sub > 1) { /* no further components */ }
    break;
  case 0x15:
    o[0] = 1; o[1] = 1; o[2] = (uint32_t)c->tsc_hz;   /* TSC = crystal */
    break;
  case 0x16:
    o[0] = (uint32_t)(c->tsc_hz / 1000000); o[1] = o[0]; o[2] = 100;
    break;
  case 0x80000000: o[0] = 0x80000008; break;
  case 0x80000001:
    o[2] = (1u << 0) /* LAHF */ | (1u << 5) /* ABM/LZCNT */ | (1u << 8) /* PREFETCHW */;
    o[3] = (1u << 11) /* SYSCALL */ | (1u << 20) /* NX */ | (1u << 26) /* 1G pages */ |
           (1u << 27) /* RDTSCP */ | (1u << 29) /* LM */;
    break;
  case 0x80000002: case 0x80000003: case 0x80000004: {
    static const char brand[48] = "faultline virtual x86-64 CPU";
    memcpy(o, brand + 16 * (leaf - 0x80000002), 16);
    break;
  }
  case 0x80000006: o[2] = (1024u << 16) | (6u << 12) | 64; break;
  case 0x80000008: o[0] = c->ctl.maxphyaddr | (48u << 8); break;
  default: break;
  }
}

/* faultline's magic instruction (tools/faultline_roi.h; gem5's m5 ops,
 * Simics' magic instruction): `nopl 0x464c00NN(%rax)`, bytes 0F 1F 80 NN
 * 00 4C 46 -- a NOP on every x86-64 CPU ("FL" in its displacement), NN the
 * command.  It retires; the block stops after it and the run loop hands
 * the command to the simulator (CPU_EXIT_MAGIC). */
static const insn_t *nop_mem(struct vcpu *c, const insn_t *i) {
  if (__builtin_expect(i->modrm != 0x80 || i->base != RAX || i->index != R_ZERO ||
                       ((uint64_t)i->disp & ~0xffull) != 0x464c0000ull, 1))
    return i + 1;
  c->magic = (uint8_t)i->disp;
  cpu_stop_after(c, i);
  c->exit_reason = CPU_EXIT_MAGIC;
  return NULL;
}

void misc_register(void) {
  op_def(1, 0xA2, -1, -1, cpuid_op, NULL, 0, CC_SYS);
  op_def(1, 0x31, -1, -1, rdtsc_op, NULL, 0, CC_SYS);
  op_def(1, 0x01, -1, -1, grp7_reg, priv, A_MODRM, CC_SYS);
  op_def(1, 0x1F, -1, -1, nop, nop_mem, A_MODRM, CC_SIMPLE);        /* NOP Ev (and the magic form) */
  for (int k = 0x18; k <= 0x1E; k++) op_def(1, k, -1, -1, nop, NULL, A_MODRM, CC_SIMPLE);
  op_def(1, 0x0D, -1, -1, nop, NULL, A_MODRM | A_MEMONLY, CC_SIMPLE); /* PREFETCH/W m8 */
  op_def(0, 0x9B, -1, -1, nop, NULL, 0, CC_SIMPLE);                  /* FWAIT */
  op_def(1, 0xAE, 0, 0, NULL, fxsave_op, A_MODRM | A_MEMONLY, CC_SYS);
  op_def(1, 0xAE, 0, 1, NULL, fxrstor_op, A_MODRM | A_MEMONLY, CC_SYS);
  op_def(1, 0xAE, 0, 2, NULL, ldmxcsr_op, A_MODRM | A_MEMONLY, CC_SIMPLE);
  op_def(1, 0xAE, 0, 3, NULL, stmxcsr_op, A_MODRM | A_MEMONLY, CC_SIMPLE);
  op_def(1, 0xAE, 0, 4, NULL, xsave_op, A_MODRM | A_MEMONLY, CC_SYS);
  op_def(1, 0xAE, 0, 5, nop, xrstor_op, A_MODRM, CC_SYS);            /* mod3: LFENCE */
  op_def(1, 0xAE, 0, 6, nop, NULL, A_MODRM | A_REGONLY, CC_SIMPLE);  /* MFENCE */
  op_def(1, 0xAE, 0, 7, nop, nop, A_MODRM, CC_SIMPLE);               /* SFENCE / CLFLUSH */
  for (int r = 0; r < 4; r++) op_def(1, 0xAE, 2, r, fsgs_op, NULL, A_MODRM | A_REGONLY, CC_SIMPLE);
  op_def(1, 0x00, -1, -1, priv, priv, A_MODRM, CC_SYS);   /* SLDT/STR... UMIP-style */
  op_def(1, 0x06, -1, -1, priv, NULL, 0, CC_SYS);         /* CLTS */
  op_def(1, 0x08, -1, -1, priv, NULL, 0, CC_SYS);         /* INVD */
  op_def(1, 0x09, -1, -1, priv, NULL, 0, CC_SYS);         /* WBINVD */
  op_def(1, 0x30, -1, -1, priv, NULL, 0, CC_SYS);         /* WRMSR */
  op_def(1, 0x32, -1, -1, priv, NULL, 0, CC_SYS);         /* RDMSR */
  for (int k = 0x20; k <= 0x23; k++) op_def(1, k, -1, -1, priv, NULL, A_MODRM, CC_SYS); /* MOV CR/DR */
}
