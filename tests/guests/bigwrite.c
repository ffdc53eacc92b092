/* Guest: write MB megabytes to a new file in DIR with write(2) in 64 KiB
 * pieces, then check the file holds them (read back, pattern compared).
 * usage: bigwrite DIR MB   (for the dirty-throttling test) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  char path[512];
  snprintf(path, sizeof path, "%s/bigwrite.XXXXXX", argv[1]);
  int fd = mkstemp(path);
  if (fd < 0) return 2;
  long mb = atol(argv[2]);
  static char buf[65536];
  for (long i = 0; i < mb * 16; i++) {
    memset(buf, (int)('a' + i % 26), sizeof buf);
    if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) return 3;
  }
  long bad = 0;
  for (long i = 0; i < mb * 16; i += 37) {
    if (pread(fd, buf, sizeof buf, (off_t)i * 65536) != (ssize_t)sizeof buf) return 4;
    bad += buf[0] != (char)('a' + i % 26) || buf[65535] != (char)('a' + i % 26);
  }
  close(fd);
  unlink(path);
  printf("wrote %ld MB, %ld bad pieces\n", mb, bad);
  return bad != 0;
}
