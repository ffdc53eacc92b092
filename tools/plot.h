/* A sweep's plot (tools/plot.c, cairo). */
#ifndef FAULTLINE_TOOLS_PLOT_H
#define FAULTLINE_TOOLS_PLOT_H
#include <stdbool.h>
#include <stddef.h>

struct plot {
  const char *path;
  bool png;                  /* else SVG */
  const char *title, *xlabel, *ylabel;
  int nx, nseries;
  const double *x;           /* nx values of the varied parameter, ascending */
  double **y;                /* y[series][i]; NAN where the configuration failed */
  char **names;              /* each series' legend */
};
/* 0, or -1 with a message (built without cairo: what it needs) */
int plot_draw(const struct plot *p, char *err, size_t errlen);

#endif
