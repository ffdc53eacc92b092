/* Guest: printf of floats, doubles and long doubles (x87 80-bit). */
#include <stdio.h>
#include <float.h>
#include <math.h>

int main(void) {
  double ds[] = {0.0, -0.0, 1.0, 0.1, 1.0 / 3.0, 2.5, 1e300, 1e-300, 123456789.125,
                 DBL_MAX, DBL_MIN, 5e-324, 3.141592653589793, -2.718281828459045};
  for (unsigned i = 0; i < sizeof ds / sizeof ds[0]; i++)
    printf("%g %.17g %e %a %f\n", ds[i], ds[i], ds[i], ds[i], ds[i] < 1e20 ? ds[i] : 0.0);
  float fs[] = {0.1f, 1.5f, 3.4028235e38f, 1e-45f, -7.25f};
  for (unsigned i = 0; i < sizeof fs / sizeof fs[0]; i++)
    printf("%.9g %a\n", (double)fs[i], (double)fs[i]);
  long double ls[] = {0.1L, 1.0L / 3.0L, 2.0L / 7.0L, LDBL_MAX, LDBL_MIN, 1e4000L,
                      3.14159265358979323846264338327950288L, -1e-4000L};
  for (unsigned i = 0; i < sizeof ls / sizeof ls[0]; i++)
    printf("%Lg %.21Lg %La %Le\n", ls[i], ls[i], ls[i], ls[i]);
  long double acc = 1.0L;
  for (int i = 1; i < 30; i++) acc = acc * (long double)i / 3.0L + 0.5L;
  printf("acc %.25Lg\n", acc);
  long double r = sqrtl(2.0L);
  printf("sqrtl %.21Lg\n", r);
  printf("inf %f %Lf nan %f\n", INFINITY, -(long double)INFINITY, NAN);
  return 0;
}
