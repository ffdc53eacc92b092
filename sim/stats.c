#include "sim/stats.h"
#include <inttypes.h>

void ev_stats_sink(void *ctx, const struct ev *e, enum ev_phase ph) {
  struct ev_stats *s = ctx;
  if (ph != EV_CLOSED) return;
  s->steps++;
  s->cycles_by_layer[e->layer] += e->self;
  s->cycles_by_step[e->step] += e->self;
  s->count_by_step[e->step]++;
  if (e->depth == 0) s->fault_cycles_total += e->total;
  if (e->step != EV_S_FAULT) return;
  s->faults++;
  s->by_kind[e->kind]++;
  if (e->visible) s->faults_visible++;
  else if (ev_kind_class[e->kind] == EV_KC_INTERCEPT) s->intercepts++;
  else s->faults_hidden++;
}

static void sep(struct json *j) {
  if (!j->first[j->depth]) fputc(',', j->f);
  j->first[j->depth] = 0;
  fputc('\n', j->f);
  for (int i = 0; i < j->depth; i++) fputs("  ", j->f);
}
static void key(struct json *j, const char *k) {
  sep(j);
  if (k) {
    fputc('"', j->f);
    for (const char *p = k; *p; p++) {
      if (*p == '"' || *p == '\\') fputc('\\', j->f);
      fputc(*p, j->f);
    }
    fputs("\": ", j->f);
  }
}
void json_begin(struct json *j, FILE *f) {
  j->f = f;
  j->depth = 0;
  j->first[0] = 1;
}
void json_obj(struct json *j, const char *k) {
  if (j->depth == 0 && !k) fputc('{', j->f);
  else { key(j, k); fputc('{', j->f); }
  j->depth++;
  j->first[j->depth] = 1;
}
void json_end(struct json *j) {
  j->depth--;
  fputc('\n', j->f);
  for (int i = 0; i < j->depth; i++) fputs("  ", j->f);
  fputc('}', j->f);
  if (j->depth == 0) fputc('\n', j->f);
}
void json_u64(struct json *j, const char *k, uint64_t v) {
  key(j, k);
  fprintf(j->f, "%" PRIu64, v);
}
void json_str(struct json *j, const char *k, const char *v) {
  key(j, k);
  fputc('"', j->f);
  for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
    if (*p == '"' || *p == '\\') { fputc('\\', j->f); fputc(*p, j->f); }
    else if (*p < 0x20) fprintf(j->f, "\\u%04x", *p);
    else fputc(*p, j->f);
  }
  fputc('"', j->f);
}
void json_dbl(struct json *j, const char *k, double v, int decimals) {
  key(j, k);
  fprintf(j->f, "%.*f", decimals, v);
}
