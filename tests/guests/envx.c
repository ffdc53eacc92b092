/* Guest: prints its argv and environment (for -E/-U/--clean-env tests). */
#include <stdio.h>
int main(int argc, char **argv, char **envp) {
  for (int i = 1; i < argc; i++) printf("arg %s\n", argv[i]);
  for (char **e = envp; *e; e++) printf("env %s\n", *e);
  return 0;
}
