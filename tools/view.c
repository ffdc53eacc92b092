/* `faultline run --view`: the SDL2 live view (built when SDL2 and
 * SDL2_ttf are found).  It draws what the event bus says and what the
 * TLB holds: TLB occupancy per level as a heat map, a scrolling timeline
 * of the top-level faults coloured by the cycles each layer spent, the
 * last fault's ladder (tools/ladder.c), and counters.  Keys: space pause,
 * n next fault, s step, q quit.  --view-record DIR writes every Nth frame
 * as a PNG (through cairo; a BMP without it), with or without a display
 * (SDL's offscreen rendering: every pixel is drawn on a surface of ours).
 * With --cpus each tick is one vCPU's (its TLBs) and the timeline has a
 * row per vCPU. */
#include "tools/view.h"
#include "tools/ladder.h"
#include "mmu/mmu.h"
#include "traces/events.h"
#include <SDL.h>
#include <SDL_ttf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef FAULTLINE_HAVE_CAIRO
#include <cairo.h>
#endif

#define W 1400
#define H 820
#define TIMELINE_Y 470
#define TIMELINE_H 250
#define MAXBARS 460             /* 3 pixels each */
#define ROWS 8                  /* --cpus: a timeline row per vCPU (vCPU i on row i % 8) */
#define FONT "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"

static const SDL_Color layer_rgb[EV_L__COUNT] = {
  [EV_L_HW] = {150, 150, 150, 255}, [EV_L_HOST_KERNEL] = {200, 80, 200, 255},
  [EV_L_HYPERVISOR] = {220, 60, 60, 255}, [EV_L_GUEST_KERNEL] = {70, 110, 230, 255},
  [EV_L_VKERNEL] = {40, 190, 200, 255}, [EV_L_LIBOS] = {60, 190, 90, 255},
  [EV_L_EXTENSION] = {220, 190, 40, 255}, [EV_L_USER] = {240, 240, 240, 255}};

struct bar { uint64_t by_layer[EV_L__COUNT], total; };

struct view {
  SDL_Window *win;
  SDL_Renderer *ren;
  SDL_Texture *tex;
  SDL_Surface *surf;
  TTF_Font *font, *small;
  const char *record_dir;
  unsigned record_every, frames, ticks;
  const char *mode;
  bool paused, step, next_fault, quit;
  /* the fault being closed, and the last one whole */
  struct lstep *cur;
  size_t ncur, capcur;
  uint64_t acc[EV_L__COUNT];
  struct llog last;
  bool have_last;
  struct { struct bar bars[MAXBARS]; int nbars, first_bar; } row[ROWS];
  int rows;                     /* rows drawn: the vCPUs seen */
  uint64_t faults_seen;
};

/* ---- events ---- */
static void field_text(char *b, size_t n, int kind, uint64_t v) {
  switch (kind) {
  case EVF_VA: case EVF_FRAME: case EVF_ENTRY: case EVF_VALUE: case EVF_CR3: case EVF_PFN: case EVF_MFN:
    snprintf(b, n, "%#llx", (unsigned long long)v);
    break;
  case EVF_ERR: ev_err_string(v, b, n); break;
  case EVF_KIND: snprintf(b, n, "%s", v < EV_K__COUNT ? ev_kind_names[v] : "?"); break;
  default: snprintf(b, n, "%llu", (unsigned long long)v);
  }
}

static int by_id(const void *a, const void *b) {
  const struct lstep *x = a, *y = b;
  return x->id < y->id ? -1 : x->id > y->id;
}

static void on_event(void *ctx, const struct ev *e, enum ev_phase ph) {
  struct view *v = ctx;
  if (ph != EV_CLOSED) return;
  if (e->depth == 0 && e->step != EV_S_FAULT) return;        /* a step outside faults */
  if (v->ncur == v->capcur) {
    v->capcur = v->capcur ? v->capcur * 2 : 256;
    v->cur = realloc(v->cur, v->capcur * sizeof *v->cur);
  }
  struct lstep *s = &v->cur[v->ncur++];
  memset(s, 0, sizeof *s);
  s->id = e->id; s->parent = e->parent; s->fault = e->fault; s->cycle = e->cycle;
  s->self = e->self; s->total = e->total; s->depth = e->depth; s->pid = e->pid; s->cpu = e->cpu;
  s->layer = e->layer; s->step = e->step; s->visible = e->visible;
  const struct ev_step_info *si = &ev_steps[e->step];
  char a[64], b[64];
  size_t at = 0;
  if (si->fva != EVF_NONE) {
    field_text(a, sizeof a, si->fva, e->va);
    at += (size_t)snprintf(s->fields, sizeof s->fields, "%s=%s", ev_field_names[si->fva], a);
  }
  if (si->farg != EVF_NONE && at < sizeof s->fields) {
    field_text(b, sizeof b, si->farg, e->arg);
    snprintf(s->fields + at, sizeof s->fields - at, "%s%s=%s", at ? " " : "", ev_field_names[si->farg], b);
  }
  if (e->step == EV_S_FAULT) snprintf(s->kind, sizeof s->kind, "%s", ev_kind_names[e->kind]);
  if (e->depth > 0) v->acc[e->layer] += e->self;
  if (e->depth == 0) {             /* a top-level fault closed: its bar (its vCPU's row), its ladder */
    int ri = e->cpu % ROWS;
    if (ri + 1 > v->rows) v->rows = ri + 1;
    __typeof__(v->row[0]) *rw = &v->row[ri];
    struct bar *br;
    if (rw->nbars < MAXBARS) br = &rw->bars[rw->nbars++];
    else { br = &rw->bars[rw->first_bar]; rw->first_bar = (rw->first_bar + 1) % MAXBARS; }
    memcpy(br->by_layer, v->acc, sizeof v->acc);
    br->total = e->total;
    memset(v->acc, 0, sizeof v->acc);
    qsort(v->cur, v->ncur, sizeof *v->cur, by_id);
    free(v->last.e);
    v->last.e = v->cur;
    v->last.n = v->ncur;
    v->last.cap = v->capcur;
    snprintf(v->last.mode, sizeof v->last.mode, "%s", v->mode);
    v->have_last = true;
    v->cur = NULL;
    v->ncur = v->capcur = 0;
    v->faults_seen++;
    if (v->next_fault) { v->next_fault = false; v->paused = true; }
  }
}

/* ---- drawing on our surface ---- */
static void fill(struct view *v, int x, int y, int w, int h, SDL_Color c) {
  SDL_Rect r = {x, y, w, h};
  SDL_FillRect(v->surf, &r, SDL_MapRGB(v->surf->format, c.r, c.g, c.b));
}

static void text(struct view *v, TTF_Font *f, int x, int y, SDL_Color c, const char *s) {
  if (!s[0]) return;
  SDL_Surface *t = TTF_RenderUTF8_Blended(f, s, c);
  if (!t) return;
  SDL_Rect r = {x, y, t->w, t->h};
  SDL_BlitSurface(t, NULL, v->surf, &r);
  SDL_FreeSurface(t);
}

/* one TLB level: a cell per entry (sets down, ways across), by age */
static int draw_level(struct view *v, const struct tlb_level *t, int x, int y, int maxw, int maxh) {
  if (!t->e) return 0;
  int cw = maxw / (int)t->ways, ch = maxh / (int)t->sets;
  if (cw > 14) cw = 14;
  if (ch > 14) ch = 14;
  if (cw < 1) cw = 1;
  if (ch < 1) ch = 1;
  char label[64];
  snprintf(label, sizeof label, "%s %ux%u", t->name, t->sets, t->ways);
  text(v, v->small, x, y, (SDL_Color){200, 200, 200, 255}, label);
  y += 16;
  for (uint32_t s = 0; s < t->sets && (int)s * ch < maxh; s++)
    for (uint32_t w = 0; w < t->ways; w++) {
      const struct tlb_entry *e = &t->e[s * t->ways + w];
      SDL_Color c = {40, 40, 48, 255};
      if (e->tag != ~0ull) {
        uint32_t age = t->clock - e->stamp;
        int heat = age > 4096 ? 0 : 255 - (int)(age * 255 / 4096);
        c = (e->perm & TP_G) ? (SDL_Color){60, 90, (Uint8)(120 + heat / 2), 255}
                             : (SDL_Color){(Uint8)(90 + heat * 165 / 255), (Uint8)(60 + heat / 2), 40, 255};
      }
      fill(v, x + (int)w * cw, y + (int)s * ch, cw - (cw > 2), ch - (ch > 2), c);
    }
  int used = (int)t->sets * ch;
  return 16 + (used < maxh ? used : maxh) + 10;
}

static void draw(struct view *v, const struct sim_snapshot *s) {
  fill(v, 0, 0, W, H, (SDL_Color){18, 18, 24, 255});
  char line[256];
  char cpu[32] = "";
  if (s->ncpus > 1) snprintf(cpu, sizeof cpu, "   vCPU %d of %d", s->cpu, s->ncpus);
  snprintf(line, sizeof line, "faultline --view   mode %s%s   pid %d   instructions %llu   cycles %llu   faults %llu seen, %llu hidden%s",
           v->mode, cpu, s->pid, (unsigned long long)s->icount, (unsigned long long)s->cycles,
           (unsigned long long)s->faults_visible, (unsigned long long)s->faults_hidden, v->paused ? "   [paused]" : "");
  text(v, v->font, 10, 8, (SDL_Color){230, 230, 230, 255}, line);
  /* TLBs: the 4K levels in a column, the large-page levels beside them */
  const struct tlb *t = s->tlb;
  int y = 36;
  y += draw_level(v, &t->l1d, 10, y, 120, 80);
  y += draw_level(v, &t->l1i, 10, y, 120, 80);
  draw_level(v, &t->stlb, 10, y, 200, 240);
  int y2 = 36;
  y2 += draw_level(v, &t->l1d2m, 240, y2, 120, 60);
  y2 += draw_level(v, &t->l1d1g, 240, y2, 120, 20);
  y2 += draw_level(v, &t->l1i2m, 240, y2, 120, 20);
  draw_level(v, &t->stlb1g, 240, y2, 120, 60);
  /* the last fault's ladder */
  if (v->have_last) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct ladder_style st = {.unicode = false, .color = false, .width = 100};
    long r = ladder_pick(&v->last, 0, NULL);
    if (r < 0) r = 0;
    if (f) { ladder_print(f, &v->last, (size_t)r, &st); fclose(f); }
    int ly = 36, n = 0;
    for (char *p = buf; p && *p && ly < TIMELINE_Y - 24; n++) {
      char *nl = strchr(p, '\n');
      if (nl) *nl = 0;
      text(v, v->small, 420, ly, (SDL_Color){210, 210, 210, 255}, p);
      ly += 14;
      p = nl ? nl + 1 : p + strlen(p);
    }
    free(buf);
  }
  /* the timeline: a bar per top-level fault, its height log2 of its
   * cycles, stacked by layer */
  fill(v, 10, TIMELINE_Y, W - 20, TIMELINE_H, (SDL_Color){28, 28, 36, 255});
  text(v, v->small, 10, TIMELINE_Y - 18, (SDL_Color){200, 200, 200, 255},
       "faults, newest right: height log2(cycles), colour the cycles each layer spent");
  /* (--cpus: a row per vCPU, its own faults; the heights scale with the row) */
  int rows = v->rows > 1 ? v->rows : 1, rh = TIMELINE_H / rows;
  for (int ri = 0; ri < rows; ri++) {
    const __typeof__(v->row[0]) *rw = &v->row[ri];
    int base = TIMELINE_Y + (ri + 1) * rh - 2;
    if (rows > 1) {
      char lab[16];
      snprintf(lab, sizeof lab, "vCPU %d", ri);
      text(v, v->small, W - 70, base - rh + 4, (SDL_Color){160, 160, 160, 255}, lab);
    }
    for (int i = 0; i < rw->nbars; i++) {
      const struct bar *b = &rw->bars[(rw->first_bar + i) % MAXBARS];
      int h = 0;
      for (uint64_t c = b->total; c > 1; c >>= 1) h += 13;
      h = h * rh / TIMELINE_H;
      if (h > rh - 4) h = rh - 4;
      int x = 12 + i * 3, done = 0;
      uint64_t sum = 0;
      for (int l = 0; l < EV_L__COUNT; l++) sum += b->by_layer[l];
      for (int l = 0; l < EV_L__COUNT && sum; l++) {
        int part = (int)((b->by_layer[l] * (uint64_t)h) / sum);
        if (!part) continue;
        fill(v, x, base - done - part, 2, part, layer_rgb[l]);
        done += part;
      }
    }
  }
  /* the legend */
  int lx = 10;
  for (int l = 0; l < EV_L__COUNT; l++) {
    fill(v, lx, H - 70, 12, 12, layer_rgb[l]);
    text(v, v->small, lx + 16, H - 72, (SDL_Color){200, 200, 200, 255}, ev_layer_names[l]);
    lx += 150;
  }
  text(v, v->small, 10, H - 40, (SDL_Color){160, 160, 160, 255},
       "TLB cells: orange = recently used, dark = old, blue = global, grey = empty.   keys: space pause, n next fault, s step, q quit");
}

static int save(struct view *v) {
  char path[4096];
#ifdef FAULTLINE_HAVE_CAIRO
  snprintf(path, sizeof path, "%s/frame-%05u.png", v->record_dir, v->frames);
  cairo_surface_t *cs = cairo_image_surface_create_for_data(v->surf->pixels, CAIRO_FORMAT_RGB24, W, H, v->surf->pitch);
  cairo_status_t st = cairo_surface_write_to_png(cs, path);
  cairo_surface_destroy(cs);
  if (st != CAIRO_STATUS_SUCCESS) return -1;
#else
  snprintf(path, sizeof path, "%s/frame-%05u.bmp", v->record_dir, v->frames);
  if (SDL_SaveBMP(v->surf, path)) return -1;
#endif
  v->frames++;
  return 0;
}

static void present(struct view *v) {
  if (!v->win) return;
  SDL_UpdateTexture(v->tex, NULL, v->surf->pixels, v->surf->pitch);
  SDL_RenderClear(v->ren);
  SDL_RenderCopy(v->ren, v->tex, NULL, NULL);
  SDL_RenderPresent(v->ren);
}

static void keys(struct view *v) {
  SDL_Event e;
  while (SDL_PollEvent(&e)) {
    if (e.type == SDL_QUIT) v->quit = true;
    if (e.type != SDL_KEYDOWN) continue;
    switch (e.key.keysym.sym) {
    case SDLK_SPACE: v->paused = !v->paused; break;
    case SDLK_n: v->next_fault = true; v->paused = false; break;
    case SDLK_s: v->step = true; v->paused = false; break;
    case SDLK_q: case SDLK_ESCAPE: v->quit = true; break;
    default: break;
    }
  }
}

static bool on_tick(void *ctx, const struct sim_snapshot *s) {
  struct view *v = ctx;
  v->ticks++;
  if (v->win) keys(v);
  draw(v, s);
  if (v->record_dir && (s->final || (v->ticks - 1) % v->record_every == 0) && save(v)) {
    fprintf(stderr, "faultline: --view-record: cannot write a frame into %s\n", v->record_dir);
    return false;
  }
  present(v);
  if (v->step) { v->step = false; v->paused = true; }
  while (v->win && (v->paused || s->final) && !v->quit) {   /* paused, or the run over: wait for a key */   /* paused: wait for a key */
    SDL_Delay(30);
    keys(v);
    draw(v, s);
    present(v);
  }
  return !v->quit;
}

struct view *view_open(const char *mode, const char *record_dir, unsigned record_every, bool window, char *err,
                       size_t errlen) {
  if (record_dir) {
    struct stat st;
    if (stat(record_dir, &st) && mkdir(record_dir, 0777)) {
      snprintf(err, errlen, "--view-record %s: %s", record_dir, strerror(errno));
      return NULL;
    }
  }
  if (!window && !getenv("SDL_VIDEODRIVER")) setenv("SDL_VIDEODRIVER", "offscreen", 0);
  if (SDL_Init(window ? SDL_INIT_VIDEO : 0) || TTF_Init()) {
    snprintf(err, errlen, "SDL: %s (no display? --view-record DIR records frames without one)", SDL_GetError());
    return NULL;
  }
  struct view *v = calloc(1, sizeof *v);
  v->mode = mode;
  v->record_dir = record_dir;
  v->record_every = record_every ? record_every : 1;
  v->surf = SDL_CreateRGBSurfaceWithFormat(0, W, H, 32, SDL_PIXELFORMAT_ARGB8888);
  v->font = TTF_OpenFont(FONT, 14);
  v->small = TTF_OpenFont(FONT, 11);
  if (!v->surf || !v->font || !v->small) {
    snprintf(err, errlen, "cannot open the font %s (fonts-dejavu-core)", FONT);
    view_close(v);
    return NULL;
  }
  if (window) {
    v->win = SDL_CreateWindow("faultline", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, W, H, 0);
    v->ren = v->win ? SDL_CreateRenderer(v->win, -1, SDL_RENDERER_SOFTWARE) : NULL;
    v->tex = v->ren ? SDL_CreateTexture(v->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING, W, H) : NULL;
    if (!v->tex) {
      snprintf(err, errlen, "SDL: no window (%s): --view-record DIR records frames without one", SDL_GetError());
      view_close(v);
      return NULL;
    }
  }
  return v;
}

void view_observer(struct view *v, struct sim_observer *o, uint64_t every) {
  *o = (struct sim_observer){.ctx = v, .on_event = on_event, .on_tick = on_tick, .every = every};
}

unsigned view_frames(const struct view *v) { return v ? v->frames : 0; }

void view_close(struct view *v) {
  if (!v) return;
  if (v->small) TTF_CloseFont(v->small);
  if (v->font) TTF_CloseFont(v->font);
  if (v->tex) SDL_DestroyTexture(v->tex);
  if (v->ren) SDL_DestroyRenderer(v->ren);
  if (v->win) SDL_DestroyWindow(v->win);
  if (v->surf) SDL_FreeSurface(v->surf);
  free(v->cur);
  free(v->last.e);
  free(v);
  TTF_Quit();
  SDL_Quit();
}
