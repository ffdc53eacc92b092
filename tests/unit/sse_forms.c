/* SSE differential tests: the instruction forms (register and memory forms
 * of each, MMX and SSE variants, REX.W variants, 66 next to F2/F3) and
 * their encoder. */
#include "tests/unit/sse_diff.h"

/* ---- instruction forms ----------------------------------------------------- */
const struct form forms[] = {
  /* moves */
  F0("movups", 0, 1, 0x10, 0, V_MIX), F0("movupd", 0x66, 1, 0x10, 0, V_MIX),
  F0("movss", 0xF3, 1, 0x10, 0, V_MIX), F0("movsd", 0xF2, 1, 0x10, 0, V_MIX),
  F0("movups st", 0, 1, 0x11, 0, V_MIX), F0("movupd st", 0x66, 1, 0x11, 0, V_MIX),
  F0("movss st", 0xF3, 1, 0x11, 0, V_MIX), F0("movsd st", 0xF2, 1, 0x11, 0, V_MIX),
  F0("movlps/movhlps", 0, 1, 0x12, 0, V_MIX), F0("movlpd", 0x66, 1, 0x12, NOREG, V_MIX),
  F0("movsldup", 0xF3, 1, 0x12, MA, V_MIX), F0("movddup", 0xF2, 1, 0x12, 0, V_MIX),
  F0("movlps st", 0, 1, 0x13, NOREG, V_MIX), F0("movlpd st", 0x66, 1, 0x13, NOREG, V_MIX),
  F0("movhps/movlhps", 0, 1, 0x16, 0, V_MIX), F0("movhpd", 0x66, 1, 0x16, NOREG, V_MIX),
  F0("movshdup", 0xF3, 1, 0x16, MA, V_MIX),
  F0("movhps st", 0, 1, 0x17, NOREG, V_MIX), F0("movhpd st", 0x66, 1, 0x17, NOREG, V_MIX),
  F0("movaps", 0, 1, 0x28, MA, V_MIX), F0("movapd", 0x66, 1, 0x28, MA, V_MIX),
  F0("movaps st", 0, 1, 0x29, MA, V_MIX), F0("movapd st", 0x66, 1, 0x29, MA, V_MIX),
  F0("movntps", 0, 1, 0x2B, MA | NOREG, V_MIX), F0("movntpd", 0x66, 1, 0x2B, MA | NOREG, V_MIX),
  F0("movmskps", 0, 1, 0x50, NOMEM | RGPR, V_F32), F0("movmskpd", 0x66, 1, 0x50, NOMEM | RGPR, V_F64),
  F0("pmovmskb mm", 0, 1, 0xD7, NOMEM | RGPR | MMM, V_I8),
  F0("pmovmskb", 0x66, 1, 0xD7, NOMEM | RGPR, V_I8),
  F0("movd mm,r/m32", 0, 1, 0x6E, RMM | MGPR, V_MIX), F0("movq mm,r/m64", 0, 1, 0x6E, RMM | MGPR | W, V_MIX),
  F0("movd xmm,r/m32", 0x66, 1, 0x6E, MGPR, V_MIX), F0("movq xmm,r/m64", 0x66, 1, 0x6E, MGPR | W, V_MIX),
  F0("movd r/m32,mm", 0, 1, 0x7E, RMM | MGPR, V_MIX), F0("movq r/m64,mm", 0, 1, 0x7E, RMM | MGPR | W, V_MIX),
  F0("movd r/m32,xmm", 0x66, 1, 0x7E, MGPR, V_MIX), F0("movq r/m64,xmm", 0x66, 1, 0x7E, MGPR | W, V_MIX),
  F0("movq xmm,xmm/m64", 0xF3, 1, 0x7E, 0, V_MIX),
  F0("movq mm,mm/m64", 0, 1, 0x6F, MMX, V_MIX), F0("movdqa", 0x66, 1, 0x6F, MA, V_MIX),
  F0("movdqu", 0xF3, 1, 0x6F, 0, V_MIX),
  F0("movq mm/m64,mm", 0, 1, 0x7F, MMX, V_MIX), F0("movdqa st", 0x66, 1, 0x7F, MA, V_MIX),
  F0("movdqu st", 0xF3, 1, 0x7F, 0, V_MIX),
  F0("movq xmm/m64,xmm", 0x66, 1, 0xD6, 0, V_MIX),
  F0("movq2dq", 0xF3, 1, 0xD6, NOMEM | MMM, V_MIX), F0("movdq2q", 0xF2, 1, 0xD6, NOMEM | RMM, V_MIX),
  F0("movntq", 0, 1, 0xE7, NOREG | MMX, V_MIX), F0("movntdq", 0x66, 1, 0xE7, NOREG | MA, V_MIX),
  F0("movnti", 0, 1, 0xC3, NOREG | RGPR, V_MIX), F0("movnti64", 0, 1, 0xC3, NOREG | RGPR | W, V_MIX),
  F0("lddqu", 0xF2, 1, 0xF0, NOREG, V_MIX), F0("movntdqa", 0x66, 2, 0x2A, NOREG | MA, V_MIX),
  F0("maskmovq", 0, 1, 0xF7, NOMEM | MMX, V_I8), F0("maskmovdqu", 0x66, 1, 0xF7, NOMEM, V_I8),
  /* float arithmetic */
#define FP4(nm, o)                                                                  \
  F0(nm "ps", 0, 1, o, MA | FP, V_F32), F0(nm "pd", 0x66, 1, o, MA | FP, V_F64),     \
  F0(nm "ss", 0xF3, 1, o, FP, V_F32), F0(nm "sd", 0xF2, 1, o, FP, V_F64)
  FP4("sqrt", 0x51), FP4("add", 0x58), FP4("mul", 0x59), FP4("sub", 0x5C),
  FP4("min", 0x5D), FP4("div", 0x5E), FP4("max", 0x5F),
  F0("rsqrtps", 0, 1, 0x52, MA | APPROX, V_F32), F0("rsqrtss", 0xF3, 1, 0x52, APPROX, V_F32),
  F0("rcpps", 0, 1, 0x53, MA | APPROX, V_F32), F0("rcpss", 0xF3, 1, 0x53, APPROX, V_F32),
  F0("cmpps", 0, 1, 0xC2, MA | FP | IMM | SWEEP, V_F32), F0("cmppd", 0x66, 1, 0xC2, MA | FP | IMM | SWEEP, V_F64),
  F0("cmpss", 0xF3, 1, 0xC2, FP | IMM | SWEEP, V_F32), F0("cmpsd", 0xF2, 1, 0xC2, FP | IMM | SWEEP, V_F64),
  F0("addsubpd", 0x66, 1, 0xD0, MA | FP, V_F64), F0("addsubps", 0xF2, 1, 0xD0, MA | FP, V_F32),
  F0("haddpd", 0x66, 1, 0x7C, MA | FP, V_F64), F0("haddps", 0xF2, 1, 0x7C, MA | FP, V_F32),
  F0("hsubpd", 0x66, 1, 0x7D, MA | FP, V_F64), F0("hsubps", 0xF2, 1, 0x7D, MA | FP, V_F32),
  F0("ucomiss", 0, 1, 0x2E, FP, V_F32), F0("ucomisd", 0x66, 1, 0x2E, FP, V_F64),
  F0("comiss", 0, 1, 0x2F, FP, V_F32), F0("comisd", 0x66, 1, 0x2F, FP, V_F64),
  F0("andps", 0, 1, 0x54, MA, V_MIX), F0("andpd", 0x66, 1, 0x54, MA, V_MIX),
  F0("andnps", 0, 1, 0x55, MA, V_MIX), F0("andnpd", 0x66, 1, 0x55, MA, V_MIX),
  F0("orps", 0, 1, 0x56, MA, V_MIX), F0("orpd", 0x66, 1, 0x56, MA, V_MIX),
  F0("xorps", 0, 1, 0x57, MA, V_MIX), F0("xorpd", 0x66, 1, 0x57, MA, V_MIX),
  F0("shufps", 0, 1, 0xC6, MA | IMM | SWEEP, V_F32), F0("shufpd", 0x66, 1, 0xC6, MA | IMM | SWEEP, V_F64),
  F0("unpcklps", 0, 1, 0x14, MA, V_F32), F0("unpcklpd", 0x66, 1, 0x14, MA, V_F64),
  F0("unpckhps", 0, 1, 0x15, MA, V_F32), F0("unpckhpd", 0x66, 1, 0x15, MA, V_F64),
  F0("blendps", 0x66, 3, 0x0C, MA | IMM | SWEEP, V_F32), F0("blendpd", 0x66, 3, 0x0D, MA | IMM | SWEEP, V_F64),
  F0("blendvps", 0x66, 2, 0x14, MA, V_MIX), F0("blendvpd", 0x66, 2, 0x15, MA, V_MIX),
  F0("roundps", 0x66, 3, 0x08, MA | FP | IMM | SWEEP, V_F32), F0("roundpd", 0x66, 3, 0x09, MA | FP | IMM | SWEEP, V_F64),
  F0("roundss", 0x66, 3, 0x0A, FP | IMM | SWEEP, V_F32), F0("roundsd", 0x66, 3, 0x0B, FP | IMM | SWEEP, V_F64),
  F0("dpps", 0x66, 3, 0x40, MA | FP | IMM | SWEEP, V_F32), F0("dppd", 0x66, 3, 0x41, MA | FP | IMM | SWEEP, V_F64),
  F0("insertps", 0x66, 3, 0x21, IMM | SWEEP, V_F32), F0("extractps", 0x66, 3, 0x17, MGPR | IMM | SWEEP, V_F32),
  F0("extractps64", 0x66, 3, 0x17, MGPR | W | IMM, V_F32),
  /* conversions */
  F0("cvtpi2ps", 0, 1, 0x2A, MMM | FP, V_I32), F0("cvtpi2pd", 0x66, 1, 0x2A, MMM | FP, V_I32),
  F0("cvtsi2ss", 0xF3, 1, 0x2A, MGPR | FP, V_I32), F0("cvtsi2ss64", 0xF3, 1, 0x2A, MGPR | W | FP, V_I64),
  F0("cvtsi2sd", 0xF2, 1, 0x2A, MGPR | FP, V_I32), F0("cvtsi2sd64", 0xF2, 1, 0x2A, MGPR | W | FP, V_I64),
  F0("cvttps2pi", 0, 1, 0x2C, RMM | FP, V_F32), F0("cvttpd2pi", 0x66, 1, 0x2C, RMM | MA | FP, V_F64),
  F0("cvttss2si", 0xF3, 1, 0x2C, RGPR | FP, V_F32), F0("cvttss2si64", 0xF3, 1, 0x2C, RGPR | W | FP, V_F32),
  F0("cvttsd2si", 0xF2, 1, 0x2C, RGPR | FP, V_F64), F0("cvttsd2si64", 0xF2, 1, 0x2C, RGPR | W | FP, V_F64),
  F0("cvtps2pi", 0, 1, 0x2D, RMM | FP, V_F32), F0("cvtpd2pi", 0x66, 1, 0x2D, RMM | MA | FP, V_F64),
  F0("cvtss2si", 0xF3, 1, 0x2D, RGPR | FP, V_F32), F0("cvtss2si64", 0xF3, 1, 0x2D, RGPR | W | FP, V_F32),
  F0("cvtsd2si", 0xF2, 1, 0x2D, RGPR | FP, V_F64), F0("cvtsd2si64", 0xF2, 1, 0x2D, RGPR | W | FP, V_F64),
  F0("cvtps2pd", 0, 1, 0x5A, FP, V_F32), F0("cvtpd2ps", 0x66, 1, 0x5A, MA | FP, V_F64),
  F0("cvtss2sd", 0xF3, 1, 0x5A, FP, V_F32), F0("cvtsd2ss", 0xF2, 1, 0x5A, FP, V_F64),
  F0("cvtdq2ps", 0, 1, 0x5B, MA | FP, V_I32), F0("cvtps2dq", 0x66, 1, 0x5B, MA | FP, V_F32),
  F0("cvttps2dq", 0xF3, 1, 0x5B, MA | FP, V_F32),
  F0("cvttpd2dq", 0x66, 1, 0xE6, MA | FP, V_F64), F0("cvtdq2pd", 0xF3, 1, 0xE6, FP, V_I32),
  F0("cvtpd2dq", 0xF2, 1, 0xE6, MA | FP, V_F64),
  /* integer: MMX and SSE2 forms */
#define I2(nm, o, cls) F0(nm " mm", 0, 1, o, MMX, cls), F0(nm, 0x66, 1, o, MA, cls)
  I2("punpcklbw", 0x60, V_I8), I2("punpcklwd", 0x61, V_I16), I2("punpckldq", 0x62, V_I32),
  I2("packsswb", 0x63, V_I16), I2("pcmpgtb", 0x64, V_I8), I2("pcmpgtw", 0x65, V_I16),
  I2("pcmpgtd", 0x66, V_I32), I2("packuswb", 0x67, V_I16), I2("punpckhbw", 0x68, V_I8),
  I2("punpckhwd", 0x69, V_I16), I2("punpckhdq", 0x6A, V_I32), I2("packssdw", 0x6B, V_I32),
  F0("punpcklqdq", 0x66, 1, 0x6C, MA, V_I64), F0("punpckhqdq", 0x66, 1, 0x6D, MA, V_I64),
  I2("pcmpeqb", 0x74, V_I8), I2("pcmpeqw", 0x75, V_I16), I2("pcmpeqd", 0x76, V_I32),
  I2("psrlw", 0xD1, V_SH), I2("psrld", 0xD2, V_SH), I2("psrlq", 0xD3, V_SH),
  I2("paddq", 0xD4, V_I64), I2("pmullw", 0xD5, V_I16),
  I2("psubusb", 0xD8, V_I8), I2("psubusw", 0xD9, V_I16), I2("pminub", 0xDA, V_I8),
  I2("pand", 0xDB, V_MIX), I2("paddusb", 0xDC, V_I8), I2("paddusw", 0xDD, V_I16),
  I2("pmaxub", 0xDE, V_I8), I2("pandn", 0xDF, V_MIX),
  I2("pavgb", 0xE0, V_I8), I2("psraw", 0xE1, V_SH), I2("psrad", 0xE2, V_SH),
  I2("pavgw", 0xE3, V_I16), I2("pmulhuw", 0xE4, V_I16), I2("pmulhw", 0xE5, V_I16),
  I2("psubsb", 0xE8, V_I8), I2("psubsw", 0xE9, V_I16), I2("pminsw", 0xEA, V_I16),
  I2("por", 0xEB, V_MIX), I2("paddsb", 0xEC, V_I8), I2("paddsw", 0xED, V_I16),
  I2("pmaxsw", 0xEE, V_I16), I2("pxor", 0xEF, V_MIX),
  I2("psllw", 0xF1, V_SH), I2("pslld", 0xF2, V_SH), I2("psllq", 0xF3, V_SH),
  I2("pmuludq", 0xF4, V_I32), I2("pmaddwd", 0xF5, V_I16), I2("psadbw", 0xF6, V_I8),
  I2("psubb", 0xF8, V_I8), I2("psubw", 0xF9, V_I16), I2("psubd", 0xFA, V_I32),
  I2("psubq", 0xFB, V_I64), I2("paddb", 0xFC, V_I8), I2("paddw", 0xFD, V_I16),
  I2("paddd", 0xFE, V_I32),
  /* SSSE3 */
#define S2(nm, o, cls) F0(nm " mm", 0, 2, o, MMX, cls), F0(nm, 0x66, 2, o, MA, cls)
  S2("pshufb", 0x00, V_I8), S2("phaddw", 0x01, V_I16), S2("phaddd", 0x02, V_I32),
  S2("phaddsw", 0x03, V_I16), S2("pmaddubsw", 0x04, V_I8), S2("phsubw", 0x05, V_I16),
  S2("phsubd", 0x06, V_I32), S2("phsubsw", 0x07, V_I16), S2("psignb", 0x08, V_I8),
  S2("psignw", 0x09, V_I16), S2("psignd", 0x0A, V_I32), S2("pmulhrsw", 0x0B, V_I16),
  S2("pabsb", 0x1C, V_I8), S2("pabsw", 0x1D, V_I16), S2("pabsd", 0x1E, V_I32),
  F0("palignr mm", 0, 3, 0x0F, MMX | IMM | SWEEP, V_I8), F0("palignr", 0x66, 3, 0x0F, MA | IMM | SWEEP, V_I8),
  /* shift by immediate */
#define SHI(nm, o, g, cls) FG(nm " mm,imm", 0, 1, o, g, MMX | NOMEM | IMM | SWEEP, cls), \
                           FG(nm " imm", 0x66, 1, o, g, NOMEM | IMM | SWEEP, cls)
  SHI("psrlw", 0x71, 2, V_I16), SHI("psraw", 0x71, 4, V_I16), SHI("psllw", 0x71, 6, V_I16),
  SHI("psrld", 0x72, 2, V_I32), SHI("psrad", 0x72, 4, V_I32), SHI("pslld", 0x72, 6, V_I32),
  SHI("psrlq", 0x73, 2, V_I64), SHI("psllq", 0x73, 6, V_I64),
  FG("psrldq", 0x66, 1, 0x73, 3, NOMEM | IMM | SWEEP, V_I8),
  FG("pslldq", 0x66, 1, 0x73, 7, NOMEM | IMM | SWEEP, V_I8),
  /* shuffles, PINSRW/PEXTRW */
  F0("pshufw", 0, 1, 0x70, MMX | IMM | SWEEP, V_I16), F0("pshufd", 0x66, 1, 0x70, MA | IMM | SWEEP, V_I32),
  F0("pshufhw", 0xF3, 1, 0x70, MA | IMM | SWEEP, V_I16), F0("pshuflw", 0xF2, 1, 0x70, MA | IMM | SWEEP, V_I16),
  F0("pinsrw mm", 0, 1, 0xC4, RMM | MGPR | IMM | SWEEP, V_I16), F0("pinsrw", 0x66, 1, 0xC4, MGPR | IMM | SWEEP, V_I16),
  F0("pextrw mm", 0, 1, 0xC5, RGPR | MMM | NOMEM | IMM | SWEEP, V_I16),
  F0("pextrw", 0x66, 1, 0xC5, RGPR | NOMEM | IMM | SWEEP, V_I16),
  /* SSE4.1 / 4.2 integer */
#define X1(nm, o, fl, cls) F0(nm, 0x66, 2, o, fl, cls)
  X1("pblendvb", 0x10, MA, V_I8), X1("ptest", 0x17, MA, V_MIX),
  X1("pmovsxbw", 0x20, 0, V_I8), X1("pmovsxbd", 0x21, 0, V_I8), X1("pmovsxbq", 0x22, 0, V_I8),
  X1("pmovsxwd", 0x23, 0, V_I16), X1("pmovsxwq", 0x24, 0, V_I16), X1("pmovsxdq", 0x25, 0, V_I32),
  X1("pmuldq", 0x28, MA, V_I32), X1("pcmpeqq", 0x29, MA, V_I64), X1("packusdw", 0x2B, MA, V_I32),
  X1("pmovzxbw", 0x30, 0, V_I8), X1("pmovzxbd", 0x31, 0, V_I8), X1("pmovzxbq", 0x32, 0, V_I8),
  X1("pmovzxwd", 0x33, 0, V_I16), X1("pmovzxwq", 0x34, 0, V_I16), X1("pmovzxdq", 0x35, 0, V_I32),
  X1("pcmpgtq", 0x37, MA, V_I64),
  X1("pminsb", 0x38, MA, V_I8), X1("pminsd", 0x39, MA, V_I32), X1("pminuw", 0x3A, MA, V_I16),
  X1("pminud", 0x3B, MA, V_I32), X1("pmaxsb", 0x3C, MA, V_I8), X1("pmaxsd", 0x3D, MA, V_I32),
  X1("pmaxuw", 0x3E, MA, V_I16), X1("pmaxud", 0x3F, MA, V_I32), X1("pmulld", 0x40, MA, V_I32),
  X1("phminposuw", 0x41, MA, V_I16),
  F0("pblendw", 0x66, 3, 0x0E, MA | IMM | SWEEP, V_I16), F0("mpsadbw", 0x66, 3, 0x42, MA | IMM | SWEEP, V_I8),
  F0("pextrb", 0x66, 3, 0x14, MGPR | IMM | SWEEP, V_I8), F0("pextrw r/m", 0x66, 3, 0x15, MGPR | IMM | SWEEP, V_I16),
  F0("pextrd", 0x66, 3, 0x16, MGPR | IMM | SWEEP, V_I32), F0("pextrq", 0x66, 3, 0x16, MGPR | W | IMM | SWEEP, V_I64),
  F0("pinsrb", 0x66, 3, 0x20, MGPR | IMM | SWEEP, V_I8), F0("pinsrd", 0x66, 3, 0x22, MGPR | IMM | SWEEP, V_I32),
  F0("pinsrq", 0x66, 3, 0x22, MGPR | W | IMM | SWEEP, V_I64),
  /* SSE4.2 strings and CRC32 */
  F0("pcmpestrm", 0x66, 3, 0x60, WS | IMM | SWEEP, V_STR8), F0("pcmpestri", 0x66, 3, 0x61, WS | IMM | SWEEP, V_STR8),
  F0("pcmpistrm", 0x66, 3, 0x62, IMM | SWEEP, V_STR8), F0("pcmpistri", 0x66, 3, 0x63, IMM | SWEEP, V_STR8),
  F0("pcmpestrm w", 0x66, 3, 0x60, WS | IMM | SWEEP, V_STR16), F0("pcmpestri w", 0x66, 3, 0x61, WS | IMM | SWEEP, V_STR16),
  F0("pcmpistrm w", 0x66, 3, 0x62, IMM | SWEEP, V_STR16), F0("pcmpistri w", 0x66, 3, 0x63, IMM | SWEEP, V_STR16),
  F0("pcmpestri64", 0x66, 3, 0x61, W | IMM | SWEEP, V_STR8), F0("pcmpestrm64", 0x66, 3, 0x60, W | IMM | SWEEP, V_STR8),
  /* a 66 prefix next to a mandatory F2/F3 is ignored */
  F0("addsd+66", 0xF2, 1, 0x58, FP | P66, V_F64), F0("movss+66", 0xF3, 1, 0x10, P66, V_MIX),
  F0("pshufhw+66", 0xF3, 1, 0x70, MA | IMM | P66, V_I16), F0("cvttsd2si+66", 0xF2, 1, 0x2C, RGPR | FP | P66, V_F64),
  F0("crc32 r32,r/m8", 0xF2, 2, 0xF0, RGPR | MGPR | BYTEREG, V_MIX),
  F0("crc32 r64,r/m8", 0xF2, 2, 0xF0, RGPR | MGPR | W, V_MIX),
  F0("crc32 r32,r/m16", 0xF2, 2, 0xF1, RGPR | MGPR | P66, V_MIX),
  F0("crc32 r32,r/m32", 0xF2, 2, 0xF1, RGPR | MGPR, V_MIX),
  F0("crc32 r64,r/m64", 0xF2, 2, 0xF1, RGPR | MGPR | W, V_MIX),
};
const unsigned nforms = sizeof forms / sizeof forms[0];

/* ---- encoding ---------------------------------------------------------------- */
int encode(const struct form *F, struct kase *k) {
  uint8_t *b = k->code;
  int n = 0;
  if (F->fl & P66) b[n++] = 0x66;
  if (F->pfx) b[n++] = F->pfx;
  unsigned reg = F->grp >= 0 ? (unsigned)F->grp : k->reg;
  unsigned rex = ((F->fl & W) || k->wx ? 8 : 0) | ((reg & 8) ? 4 : 0) | (!k->mem && (k->rm & 8) ? 1 : 0);
  if (rex) b[n++] = (uint8_t)(0x40 | rex);
  b[n++] = 0x0F;
  if (F->map == 2) b[n++] = 0x38;
  if (F->map == 3) b[n++] = 0x3A;
  b[n++] = F->opc;
  if (k->mem) { b[n++] = (uint8_t)(0x40 | (reg & 7) << 3 | 6); b[n++] = (uint8_t)k->disp; }
  else b[n++] = (uint8_t)(0xC0 | (reg & 7) << 3 | (k->rm & 7));
  if (F->fl & IMM) b[n++] = (uint8_t)k->imm;
  return k->len = n;
}
