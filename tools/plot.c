/* A sweep's plot (`faultline sweep --plot METRIC --svg F | --png F`): one
 * metric against a varied numeric parameter, one line per combination of
 * the other varied keys, with axes, ticks, units and a legend, drawn with
 * cairo (SVG and PNG surfaces, the DejaVu Sans font).  Built without
 * cairo, plotting says what it needs. */
#include "tools/plot.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#ifdef FAULTLINE_HAVE_CAIRO
#include <cairo-svg.h>
#include <cairo.h>

#define W 820.0
#define H 520.0
#define ML 96.0    /* margins: left (y labels), right, top, bottom */
#define MR 24.0
#define MT 40.0
#define MB 64.0

static const double colors[][3] = {{0.12, 0.47, 0.71}, {0.84, 0.15, 0.16}, {0.17, 0.63, 0.17}, {1.0, 0.5, 0.05},
                                   {0.58, 0.4, 0.74},  {0.55, 0.34, 0.29}, {0.89, 0.47, 0.76}, {0.5, 0.5, 0.5}};

/* a round step for about n ticks over span */
static double nice_step(double span, int n) {
  double raw = span / n, mag = pow(10, floor(log10(raw))), f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

static void text(cairo_t *cr, double x, double y, const char *s, double ax, double ay) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s, &e);
  cairo_move_to(cr, x - e.width * ax - e.x_bearing, y + e.height * ay);
  cairo_show_text(cr, s);
}

static void fmt_tick(char *b, size_t n, double v) {
  if (fabs(v) >= 1e9) snprintf(b, n, "%gG", v / 1e9);
  else if (fabs(v) >= 1e6) snprintf(b, n, "%gM", v / 1e6);
  else if (fabs(v) >= 1e4) snprintf(b, n, "%gk", v / 1e3);
  else snprintf(b, n, "%g", v);
}

int plot_draw(const struct plot *p, char *err, size_t errlen) {
  cairo_surface_t *sf = p->png ? cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)W, (int)H)
                               : cairo_svg_surface_create(p->path, W, H);
  if (cairo_surface_status(sf) != CAIRO_STATUS_SUCCESS) {
    snprintf(err, errlen, "cannot write %s: %s", p->path, cairo_status_to_string(cairo_surface_status(sf)));
    cairo_surface_destroy(sf);
    return -1;
  }
  cairo_t *cr = cairo_create(sf);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  /* the axes' ranges: x on a log2 scale when the values span a factor of
   * 8 or more (TLB sizes, cache sizes), y from 0 */
  double xmin = INFINITY, xmax = -INFINITY, ymax = 0, ymin = INFINITY;
  for (int i = 0; i < p->nx; i++) { xmin = fmin(xmin, p->x[i]); xmax = fmax(xmax, p->x[i]); }
  for (int s = 0; s < p->nseries; s++)
    for (int i = 0; i < p->nx; i++)
      if (!isnan(p->y[s][i])) { ymax = fmax(ymax, p->y[s][i]); ymin = fmin(ymin, p->y[s][i]); }
  bool logx = xmin > 0 && xmax / xmin >= 8;
  double lx0 = logx ? log2(xmin) : xmin, lx1 = logx ? log2(xmax) : xmax;
  if (lx1 == lx0) { lx0 -= 1; lx1 += 1; }
  /* y from 0, unless the values lie within half of their maximum (then
   * from a round value below the smallest, so differences show) */
  double ybot = 0;
  if (ymax > 0 && ymin > ymax / 2) {
    double st = nice_step(ymax - ymin > 0 ? ymax - ymin : ymax, 5);
    ybot = floor((ymin - (ymax - ymin) * 0.05) / st) * st;
  }
  double ystep = nice_step(ymax > ybot ? ymax - ybot : 1, 5);
  double ytop = ybot + ceil(((ymax > ybot ? ymax - ybot : 1) * 1.05) / ystep) * ystep;
  double pw = W - ML - MR, ph = H - MT - MB;
#define PX(v) (ML + ((logx ? log2(v) : (v)) - lx0) / (lx1 - lx0) * pw)
#define PY(v) (MT + ph - ((v) - ybot) / (ytop - ybot) * ph)
  /* grid, ticks and labels */
  cairo_set_font_size(cr, 12);
  cairo_set_line_width(cr, 1);
  char b[64];
  for (double v = ybot; v <= ytop + ystep * 0.0001; v += ystep) {
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_move_to(cr, ML, PY(v));
    cairo_line_to(cr, ML + pw, PY(v));
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    fmt_tick(b, sizeof b, v);
    text(cr, ML - 8, PY(v), b, 1.0, 0.5);
  }
  for (int i = 0; i < p->nx; i++) {
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, PX(p->x[i]), MT + ph);
    cairo_line_to(cr, PX(p->x[i]), MT + ph + 5);
    cairo_stroke(cr);
    fmt_tick(b, sizeof b, p->x[i]);
    text(cr, PX(p->x[i]), MT + ph + 9, b, 0.5, 1.0);
  }
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_rectangle(cr, ML, MT, pw, ph);
  cairo_stroke(cr);
  /* axis titles (with units) and the title */
  cairo_set_font_size(cr, 13);
  text(cr, ML + pw / 2, H - 22, p->xlabel, 0.5, 1.0);
  cairo_save(cr);
  cairo_translate(cr, 22, MT + ph / 2);
  cairo_rotate(cr, -M_PI / 2);
  text(cr, 0, 0, p->ylabel, 0.5, 0.5);
  cairo_restore(cr);
  cairo_set_font_size(cr, 14);
  text(cr, ML + pw / 2, 12, p->title, 0.5, 1.0);
  /* one line per series, a marker per point, the legend */
  cairo_set_font_size(cr, 12);
  for (int s = 0; s < p->nseries; s++) {
    const double *c = colors[s % 8];
    cairo_set_source_rgb(cr, c[0], c[1], c[2]);
    cairo_set_line_width(cr, 2);
    bool pen = false;
    for (int i = 0; i < p->nx; i++) {
      if (isnan(p->y[s][i])) { pen = false; continue; }
      if (pen) cairo_line_to(cr, PX(p->x[i]), PY(p->y[s][i]));
      else cairo_move_to(cr, PX(p->x[i]), PY(p->y[s][i]));
      pen = true;
    }
    cairo_stroke(cr);
    for (int i = 0; i < p->nx; i++)
      if (!isnan(p->y[s][i])) {
        cairo_arc(cr, PX(p->x[i]), PY(p->y[s][i]), 3.5, 0, 2 * M_PI);
        cairo_fill(cr);
      }
    double ly = MT + 14 + 18 * s;
    cairo_move_to(cr, ML + pw - 180, ly);
    cairo_line_to(cr, ML + pw - 156, ly);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text(cr, ML + pw - 150, ly, p->names[s], 0.0, 0.35);
  }
#undef PX
#undef PY
  cairo_destroy(cr);
  int rc = 0;
  if (p->png && cairo_surface_write_to_png(sf, p->path) != CAIRO_STATUS_SUCCESS) {
    snprintf(err, errlen, "cannot write %s", p->path);
    rc = -1;
  }
  cairo_surface_finish(sf);
  if (cairo_surface_status(sf) != CAIRO_STATUS_SUCCESS) {
    snprintf(err, errlen, "cannot write %s: %s", p->path, cairo_status_to_string(cairo_surface_status(sf)));
    rc = -1;
  }
  cairo_surface_destroy(sf);
  return rc;
}

#else

int plot_draw(const struct plot *p, char *err, size_t errlen) {
  (void)p;
  snprintf(err, errlen, "plots need cairo: this faultline was built without it (install libcairo2-dev and "
           "fonts-dejavu-core, then build again)");
  return -1;
}

#endif
