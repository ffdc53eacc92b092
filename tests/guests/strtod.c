/* Guest: strtod/strtof/strtold on tricky inputs. */
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>

int main(void) {
  const char *in[] = {"0", "-0", "1", "0.1", "3.14159265358979323846", "1e308", "1e309",
                      "2.2250738585072011e-308", "4.9e-324", "1e-400", "0x1.8p3", "inf", "-nan",
                      "123456789012345678901234567890", "1.7976931348623157e308",
                      "9007199254740993", "  42abc", ".5e-2", "1e+5", "0.000001"};
  for (unsigned i = 0; i < sizeof in / sizeof in[0]; i++) {
    char *end;
    errno = 0;
    double d = strtod(in[i], &end);
    int e1 = errno;
    float f = strtof(in[i], NULL);
    long double l = strtold(in[i], NULL);
    printf("%-32s d=%a f=%a l=%La rest='%s' erange=%d\n", in[i], d, (double)f, l, end, e1 == ERANGE);
  }
  printf("atoi %d strtol %ld strtoul %lu\n", atoi("-123"), strtol("0x7fffffff", NULL, 16),
         strtoul("18446744073709551615", NULL, 10));
  return 0;
}
