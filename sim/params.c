/* The parameter registry: gathers every layer's table, applies presets
 * (built-in or `key = value  # source` files) and --set overrides. */
#include <json-c/json.h>
#include <nettle/sha2.h>
#include "sim/sim.h"
#include "mmu/mmu.h"
#include "mmu/cache.h"
#include "cpu-x86/cpu.h"
#include "hv-models/hv.h"
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct fl_param_def guest_params[] = {
  {"guest.zero_page", 1, "bool", "map Linux's shared zero page on anonymous read faults",
   "Linux default (mm/memory.c do_anonymous_page)"},
  {"guest.ips", 1000000000ull, "insn/s", "retired instructions per virtual second (guest clock)",
   "fixed by design: 1 instruction = 1 ns of guest time"},
  {"guest.flush_on_upgrade", 1, "bool", "flush the TLB on permission upgrades (no spurious faults)",
   "DESIGN.md determinism rule"},
  {"guest.fault_around_bytes", 65536, "bytes", "map cached neighbours of a file read fault (0/4096 off; rounded down to a power of two, at most 2M)",
   "Linux default fault_around_bytes (mm/memory.c)"},
  {"guest.dirty_ratio", 20, "%", "dirty page-cache share of RAM at which write() is throttled",
   "Linux default vm.dirty_ratio (mm/page-writeback.c)"},
  {"guest.dirty_background_ratio", 10, "%", "dirty share the flusher writes back down to",
   "Linux default vm.dirty_background_ratio (mm/page-writeback.c)"},
  {"guest.dirty_writeback_ms", 5000, "ms", "flusher period: dirty pages older than this are clean",
   "Linux default vm.dirty_writeback_centisecs = 500"},
  {"guest.page_cache_warm", 1, "bool", "files start in the page cache (no device reads)",
   "choice: a binary just built or run is cached"},
  {"guest.readahead_bytes", 131072, "bytes", "readahead on a page-cache miss (cold cache)",
   "Linux default read_ahead_kb = 128"},
  {"guest.kernel_footprint", 0, "bytes", "kernel text each fault step fetches (plus a stack line): 0 off",
   "estimate: a few hundred bytes of code per kernel function"},
  {"guest.thp", 1, "enum", "transparent huge pages: 0 never, 1 madvise, 2 always",
   "Linux default: transparent_hugepage/enabled = madvise (Debian)"},
  {"guest.kpti", 0, "bool", "kernel page-table isolation: CR3 switch on every kernel entry and exit",
   "Linux PTI (default on affected Intel CPUs, off on AMD)"},
  {"guest.pcid", 1, "bool", "with KPTI: user/kernel PCIDs and no-flush CR3 writes (else flush)",
   "Linux uses PCID when the CPU has it (Westmere+), FreeBSD review D13985"},
  {"guest.dyn_asids", 0, "count", "PCIDs each CPU gives its last address spaces (Linux: TLB_NR_DYN_ASIDS = 6): switching back "
   "to one keeps its TLB entries unless it changed since; 0: one PCID, every switch flushes (needs guest.pcid; not xen-pv or vkernel)",
   "Linux arch/x86/mm/tlb.c choose_new_asid (4.14+)"},
  {"guest.invpcid", 1, "bool", "with KPTI and guest.dyn_asids: a user translation's flush reaches the user PCID by INVPCID "
   "(0: deferred to the next return to user, as on CPUs without INVPCID)", "Linux flush_tlb_one_user, invalidate_user_asid"},
  {"guest.kpti_cr3_write", 200, "cycles", "one CR3 write of the KPTI switch",
   "CALIBRATION.md: KPTI CR3 write 'a few hundred cycles' per syscall/interrupt"},
  {"guest.quantum", 100000, "insns", "time slice: instructions before the scheduler switches",
   "deterministic scheduling by design (DESIGN.md); ~100 us at 1 ns/insn"},
  {"smp.quantum", 1000, "insns", "--cpus: instructions each vCPU runs in its turn of a lockstep round",
   "model choice: fine enough that threads interleave within a time slice; guest time advances one quantum a round"},
  {"smp.invlpgb", 0, "bool", "--cpus on an AMD CPU (--cpu amd): shootdowns broadcast with INVLPGB/TLBSYNC instead of IPIs "
   "(0: IPIs)", "AMD APM Vol. 3 (Zen 3 and later); Linux uses it since 6.14"},
  {"smp.steal", 0, "percent", "--cpus under hvm-shadow or hvm-nested: the host preempts each vCPU for a turn with this "
   "probability (deterministic: a hash of the round and the vCPU); 0: every vCPU has a physical CPU of its own",
   "model choice: host overcommit (Ouyang and Lange, Shoot4U, VEE'16: up to 64% of a VM's time in shootdowns "
   "once vCPUs are preempted)"},
  {"smp.preempt_wait", 1000000, "cycles", "--cpus with smp.steal: what an IPI's sender waits for a preempted "
   "target to be scheduled again and acknowledge", "estimate: a fraction of a host time slice (Linux CFS "
   "sched_min_granularity 0.75 ms)"},
  {"smp.skip_shootdown", 0, "count", "fault injection: the Nth TLB shootdown is not sent (0: none), so a stale "
   "translation survives on the other vCPUs", "test hook (issue 19): shows the shootdown is what keeps memory correct"},
  {"guest.pool_mib", 64, "MiB", "host/hypervisor structure pool above guest RAM", "sizing choice"},
  {"trace.keyframe_insns", 100000000, "insns", "run --trace: a keyframe every this many retired instructions "
   "(where replay --from can start)", "traces/FORMAT.md, Keyframes: seek granularity against trace size"},
  {NULL, 0, NULL, NULL, NULL},
};

const struct fl_param_def *const params_tables[] = {
  cpu_params, mmu_params, cache_params, guest_params, native_params, hvm_params, xen_params, vkernel_params, exokernel_params, spin_params, tornado_params, NULL,
};

struct entry { const struct fl_param_def *def; uint64_t val; };
struct param_reg {
  struct entry *e;
  int n;
  char preset[256];
  char preset_sha256[65];    /* a preset file's SHA-256, hex ("": a built-in preset) */
  char vendor[8];            /* the preset's `cpu = intel|amd` ("": it names none) */
};


/* Two rows with one name would make --set and lookups see only the first
 * while `faultline params` lists both.  Quadratic, but ~150 names once. */
const char *params_find_duplicate(const struct fl_param_def *const *tabs) {
  for (int t = 0; tabs[t]; t++)
    for (int i = 0; tabs[t][i].name; i++)
      for (int u = t; tabs[u]; u++)
        for (int j = u == t ? i + 1 : 0; tabs[u][j].name; j++)
          if (!strcmp(tabs[t][i].name, tabs[u][j].name)) return tabs[t][i].name;
  return NULL;
}

struct param_reg *params_new(void) {
  const char *dup = params_find_duplicate(params_tables);
  if (dup) {   /* a mistake in the simulator's tables: stop before any run */
    fprintf(stderr, "faultline: internal error: parameter '%s' is defined twice\n", dup);
    exit(125);
  }
  struct param_reg *r = calloc(1, sizeof *r);
  int n = 0;
  for (int t = 0; params_tables[t]; t++)
    for (int i = 0; params_tables[t][i].name; i++) n++;
  r->e = calloc((size_t)n, sizeof *r->e);
  for (int t = 0; params_tables[t]; t++)
    for (int i = 0; params_tables[t][i].name; i++) {
      r->e[r->n].def = &params_tables[t][i];
      r->e[r->n].val = params_tables[t][i].def;
      r->n++;
    }
  strcpy(r->preset, "default");
  return r;
}

void params_free(struct param_reg *r) {
  if (!r) return;
  free(r->e);
  free(r);
}

static struct entry *find(struct param_reg *r, const char *name, size_t len) {
  for (int i = 0; i < r->n; i++)
    if (strlen(r->e[i].def->name) == len && !strncmp(r->e[i].def->name, name, len))
      return &r->e[i];
  return NULL;
}

/* For the code that sets the machine up, with literal names: an unknown
 * name is a typo there (or a table that lost a row), never a silent 0. */
uint64_t params_get(void *rp, const char *name) {
  struct entry *e = find(rp, name, strlen(name));
  if (!e) {
    fprintf(stderr, "faultline: internal error: unknown parameter '%s'\n", name);
    exit(125);
  }
  return e->val;
}

static size_t lev(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  size_t *d = malloc((lb + 1) * sizeof *d);
  for (size_t j = 0; j <= lb; j++) d[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t prev = d[0];
    d[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t t = d[j];
      size_t best = prev + (a[i - 1] != b[j - 1]);
      if (d[j] + 1 < best) best = d[j] + 1;
      if (d[j - 1] + 1 < best) best = d[j - 1] + 1;
      d[j] = best;
      prev = t;
    }
  }
  size_t v = d[lb];
  free(d);
  return v;
}

static const char *closest(struct param_reg *r, const char *name) {
  const char *best = NULL;
  size_t bd = (size_t)-1;
  for (int i = 0; i < r->n; i++) {
    size_t d = lev(name, r->e[i].def->name);
    if (d < bd) { bd = d; best = r->e[i].def->name; }
  }
  return best;
}

static int parse_value(const char *s, uint64_t *out) {
  while (isspace((unsigned char)*s)) s++;
  if (!*s) return -1;
  if (!strcmp(s, "true") || !strcmp(s, "on")) { *out = 1; return 0; }
  if (!strcmp(s, "false") || !strcmp(s, "off")) { *out = 0; return 0; }
  if (*s == '-') return -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || end == s) return -1;
  while (isspace((unsigned char)*end)) end++;
  if (*end) return -1;
  *out = v;
  return 0;
}

/* An enum parameter's values are listed in its doc after the colon, as
 * "0 hardware, 1 software (...)".  With name: 0 and *v set when it is one
 * of them (case-insensitive); without: 0 when *v is one of the numbers.
 * -1 otherwise. */
static int enum_value(const char *doc, const char *name, uint64_t *v) {
  const char *p = strchr(doc, ':');
  if (!p) return -1;
  size_t nl = 0;
  if (name) {
    while (isspace((unsigned char)*name)) name++;
    nl = strlen(name);
    while (nl && isspace((unsigned char)name[nl - 1])) nl--;
    if (!nl) return -1;
  }
  for (p++; *p;) {
    while (*p == ' ' || *p == ',') p++;
    if (!isdigit((unsigned char)*p)) break;
    char *end;
    uint64_t num = strtoull(p, &end, 10);
    p = end;
    while (*p == ' ') p++;
    const char *w = p;
    while (*p && *p != ',' && *p != ' ' && *p != '(' && *p != ';') p++;
    if (name ? (size_t)(p - w) == nl && !strncasecmp(w, name, nl) : num == *v) {
      *v = num;
      return 0;
    }
    for (int depth = 0; *p && (depth || *p != ','); p++)   /* to the next item, past "(a, b)" */
      depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
  }
  return -1;
}

/* The range a value must be in, by its unit (and the few parameters the
 * manuals bound): percentages up to 100, associativities, levels, clock
 * rates and instruction counts at least 1, MAXPHYADDR 32 to 52 bits (SDM
 * Vol. 3A 4.1.4), 4 or 5 nested levels, TLB-like arrays at most 2^24
 * entries.  false: no bound beyond a 64-bit count. */
static bool range_of(const struct fl_param_def *d, uint64_t *lo, uint64_t *hi) {
  static const struct { const char *unit; uint64_t lo, hi; } by_unit[] = {
    {"%", 0, 100}, {"percent", 0, 100}, {"bool", 0, 1}, {"ways", 1, 1u << 24}, {"Hz", 1, UINT64_MAX},
    {"insn/s", 1, UINT64_MAX}, {"insns", 1, UINT64_MAX}, {"levels", 4, 5}, {"bits", 32, 52},
    {"entries", 0, 1u << 24},
  };
  for (size_t i = 0; i < sizeof by_unit / sizeof *by_unit; i++)
    if (!strcmp(d->unit, by_unit[i].unit)) {
      *lo = by_unit[i].lo;
      *hi = by_unit[i].hi;
      return true;
    }
  return false;
}

int params_set(struct param_reg *r, const char *kv, char *err, size_t errlen) {
  const char *eq = strchr(kv, '=');
  if (!eq) {
    snprintf(err, errlen, "--set expects key=value, got '%s'", kv);
    return -1;
  }
  const char *k0 = kv, *k1 = eq;
  while (k0 < k1 && isspace((unsigned char)*k0)) k0++;
  while (k1 > k0 && isspace((unsigned char)k1[-1])) k1--;
  char name[128];
  size_t len = (size_t)(k1 - k0);
  if (len >= sizeof name) len = sizeof name - 1;
  memcpy(name, k0, len);
  name[len] = 0;
  struct entry *e = find(r, name, len);
  if (!e) {
    snprintf(err, errlen, "unknown parameter '%s' (closest: %s; see `faultline params`)",
             name, closest(r, name));
    return -1;
  }
  uint64_t v;
  bool is_enum = !strcmp(e->def->unit, "enum");
  int en = is_enum ? enum_value(e->def->doc, eq + 1, &v) : -1;
  if (en == 0) {   /* a name from the doc's list ("0 hardware, 1 software") */
    e->val = v;
    return 0;
  }
  const char *val = eq + 1;
  while (isspace((unsigned char)*val)) val++;
  bool word = isalpha((unsigned char)*val);   /* true, on, false, off */
  if (is_enum && (word || (!parse_value(val, &v) && enum_value(e->def->doc, NULL, &v)))) {
    /* an enum takes its names or their numbers, not a boolean word
     * (guest.thp=true would read as "madvise") */
    snprintf(err, errlen, "bad value for %s: '%s' (%s)", e->def->name, val, e->def->doc);
    return -1;
  }
  bool is_bool = !strcmp(e->def->unit, "bool");
  if (parse_value(val, &v) || (is_bool && v > 1)) {
    if (is_bool)
      snprintf(err, errlen, "bad value for %s: '%s' (a boolean: 0, 1, true or false)", e->def->name, val);
    else
      snprintf(err, errlen, "bad value for %s: '%s' (expected a non-negative integer, unit %s)",
               e->def->name, val, e->def->unit);
    return -1;
  }
  if (word && !is_bool) {
    snprintf(err, errlen, "bad value for %s: '%s' (a number, unit %s; true/false are for booleans)",
             e->def->name, val, e->def->unit);
    return -1;
  }
  uint64_t lo, hi;
  if (!is_bool && range_of(e->def, &lo, &hi) && (v < lo || v > hi)) {
    if (hi == UINT64_MAX)
      snprintf(err, errlen, "bad value for %s: '%s' (at least %llu %s)", e->def->name, val, (unsigned long long)lo,
               e->def->unit);
    else
      snprintf(err, errlen, "bad value for %s: '%s' (%llu to %llu %s)", e->def->name, val, (unsigned long long)lo,
               (unsigned long long)hi, e->def->unit);
    return -1;
  }
  e->val = v;
  return 0;
}

static int apply_text(struct param_reg *r, const char *text, const char *what,
                      char *err, size_t errlen) {
  const char *p = text;
  int lineno = 0;
  while (*p) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    char line[512];
    if (len >= sizeof line) len = sizeof line - 1;
    memcpy(line, p, len);
    line[len] = 0;
    lineno++;
    char *hash = strchr(line, '#');
    if (hash) *hash = 0;
    char *s = line;
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
    if (!strncmp(s, "cpu", 3) && (isspace((unsigned char)s[3]) || s[3] == '=')) {   /* the vendor */
      char *v = s + 3;
      while (isspace((unsigned char)*v) || *v == '=') v++;
      if (strcmp(v, "intel") && strcmp(v, "amd")) {
        snprintf(err, errlen, "%s:%d: cpu takes intel or amd, not '%s'", what, lineno, v);
        return -1;
      }
      snprintf(r->vendor, sizeof r->vendor, "%s", v);
      *s = 0;
    }
    if (*s) {
      char e2[400];
      if (params_set(r, s, e2, sizeof e2)) {
        snprintf(err, errlen, "%s:%d: %s", what, lineno, e2);
        return -1;
      }
    }
    p = nl ? nl + 1 : p + len;
  }
  return 0;
}

int params_load_preset(struct param_reg *r, const char *name, char *err, size_t errlen) {
  for (int i = 0; builtin_presets[i].name; i++)
    if (!strcmp(builtin_presets[i].name, name)) {
      snprintf(r->preset, sizeof r->preset, "%s", name);
      return apply_text(r, builtin_presets[i].text, name, err, errlen);
    }
  FILE *f = fopen(name, "r");
  if (!f) {
    snprintf(err, errlen, "no preset or preset file named '%s' (see `faultline presets`)", name);
    return -1;
  }
  char *buf = NULL;
  size_t cap = 0, len = 0;
  char chunk[4096];
  size_t got;
  while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (len + got + 1 > cap) { cap = (len + got + 1) * 2; buf = realloc(buf, cap); }
    memcpy(buf + len, chunk, got);
    len += got;
    if (len > (1u << 20)) break;
  }
  fclose(f);
  if (!buf) { buf = malloc(1); }
  buf[len] = 0;
  snprintf(r->preset, sizeof r->preset, "%s", name);
  {                                  /* the stats' config names the file's contents */
    struct sha256_ctx h;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&h);
    sha256_update(&h, len, (const uint8_t *)buf);
    sha256_digest(&h, sizeof d, d);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++) snprintf(r->preset_sha256 + 2 * i, 3, "%02x", d[i]);
  }
  int rc = apply_text(r, buf, name, err, errlen);
  free(buf);
  return rc;
}

const char *params_preset_name(const struct param_reg *r) { return r->preset; }
const char *params_preset_sha256(const struct param_reg *r) { return r->preset_sha256; }
const char *params_preset_vendor(const struct param_reg *r) { return r->vendor[0] ? r->vendor : NULL; }

uint64_t params_hash(const struct param_reg *r) {
  uint64_t h = 1469598103934665603ull;   /* FNV-1a over name=value */
  for (int i = 0; i < r->n; i++) {
    for (const char *s = r->e[i].def->name; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    for (int b = 0; b < 8; b++) h = (h ^ ((r->e[i].val >> (8 * b)) & 0xff)) * 1099511628211ull;
  }
  return h;
}

/* Which side of a recording a parameter is on (traces/FORMAT.md "What may
 * change at replay"): the guest kernel's policies and fault injection
 * change decisions the trace holds, so a replay keeps the recording's;
 * everything else -- hardware, the modes' costs, what the KPTI switches
 * and the kernel's own footprint cost -- a replay may change. */
bool param_fixed_at_replay(const char *name) {
  static const char *const replayable[] = {"guest.kernel_footprint", "guest.kpti", "guest.pcid",
                                           "guest.kpti_cr3_write", "guest.pool_mib", NULL};
  if (strstr(name, ".inject") || !strcmp(name, "vkernel.prefault") || !strcmp(name, "exokernel.prefault")) return true;
  if (strncmp(name, "guest.", 6)) return false;
  for (int i = 0; replayable[i]; i++)
    if (!strcmp(name, replayable[i])) return false;
  return true;
}

/* `faultline params [PREFIX] [--json]`: every parameter whose name starts
 * with prefix (NULL: all); a table, or a JSON list of objects.  Returns
 * how many were listed. */
int params_list(FILE *out, const char *prefix, bool json) {
  int n = 0;
  struct json_object *arr = json ? json_object_new_array() : NULL;
  if (!json) fprintf(out, "%-26s %12s %-8s %-7s %s\n", "name", "default", "unit", "replay", "what it is");
  for (int t = 0; params_tables[t]; t++)
    for (int i = 0; params_tables[t][i].name; i++) {
      const struct fl_param_def *d = &params_tables[t][i];
      if (prefix && strncmp(d->name, prefix, strlen(prefix))) continue;
      n++;
      if (json) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(d->name));
        json_object_object_add(o, "default", json_object_new_uint64(d->def));
        json_object_object_add(o, "unit", json_object_new_string(d->unit));
        json_object_object_add(o, "doc", json_object_new_string(d->doc));
        json_object_object_add(o, "source", json_object_new_string(d->source));
        json_object_object_add(o, "replay", json_object_new_string(param_fixed_at_replay(d->name) ? "fixed" : "may"));
        json_object_array_add(arr, o);
        continue;
      }
      fprintf(out, "%-26s %12llu %-8s %-7s %s\n%26s   source: %s\n", d->name,
              (unsigned long long)d->def, d->unit, param_fixed_at_replay(d->name) ? "fixed" : "may", d->doc, "",
              d->source);
    }
  if (json) {
    fprintf(out, "%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(arr);
  }
  return n;
}

