/* Guest: libm over a grid of arguments (results printed in hex). */
#include <stdio.h>
#include <math.h>

int main(void) {
  double xs[] = {-3.5, -1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 2.0, 3.0, 10.0, 100.5, 1e-8};
  for (unsigned i = 0; i < sizeof xs / sizeof xs[0]; i++) {
    double x = xs[i];
    printf("x=%a sin=%a cos=%a tan=%a exp=%a\n", x, sin(x), cos(x), tan(x), exp(x));
    printf("  atan=%a sinh=%a tanh=%a floor=%a ceil=%a round=%a\n", atan(x), sinh(x), tanh(x),
           floor(x), ceil(x), round(x));
    if (x > 0) printf("  log=%a log10=%a sqrt=%a cbrt=%a pow=%a\n", log(x), log10(x), sqrt(x),
                      cbrt(x), pow(x, 1.5));
    printf("  fmod=%a hypot=%a atan2=%a\n", fmod(x, 0.75), hypot(x, 3.0), atan2(x, 2.0));
  }
  long double lx = 0.75L;
  printf("sqrtl=%La fabsl=%La\n", sqrtl(lx), fabsl(-lx));
  float fx = 0.3f;
  printf("sinf=%a expf=%a logf=%a\n", (double)sinf(fx), (double)expf(fx), (double)logf(fx));
  return 0;
}
