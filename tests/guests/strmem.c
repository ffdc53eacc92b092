/* Guest: string and memory functions across sizes and alignments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

static unsigned long hash(const unsigned char *p, size_t n) {
  unsigned long h = 5381;
  for (size_t i = 0; i < n; i++) h = h * 33 + p[i];
  return h;
}

int main(void) {
  static unsigned char a[8192], b[8192];
  unsigned long total = 0;
  for (int i = 0; i < 8192; i++) a[i] = (unsigned char)(i * 7 + 3);
  for (size_t len = 0; len < 300; len += 7)
    for (size_t off = 0; off < 16; off += 3) {
      memset(b, 0, sizeof b);
      memcpy(b + off, a + (len % 13), len);
      total += hash(b, len + 32);
      memmove(b + off + 5, b + off, len);
      total += hash(b, len + 40);
      total += (unsigned long)(memcmp(a, b + off, len) > 0);
      memset(b + off, 'x', len);
      b[off + len] = 0;
      total += strlen((char *)b + off);
    }
  printf("mem hash %lu\n", total);
  char s[256];
  strcpy(s, "The quick brown fox jumps over the lazy dog");
  printf("strlen %zu\n", strlen(s));
  printf("strchr %s\n", strchr(s, 'q'));
  printf("strrchr %s\n", strrchr(s, 'o'));
  printf("strstr %s\n", strstr(s, "lazy"));
  printf("strcmp %d %d %d\n", strcmp(s, "The") > 0, strcmp("abc", "abd") < 0, strcmp("x", "x"));
  printf("strncmp %d\n", strncmp(s, "The quick", 9));
  printf("strcasecmp %d\n", strcasecmp("HeLLo", "hello"));
  printf("strspn %zu strcspn %zu\n", strspn(s, "Teh "), strcspn(s, "xyz"));
  char t[256];
  strcpy(t, s);
  int words = 0;
  for (char *w = strtok(t, " "); w; w = strtok(NULL, " ")) words++;
  printf("words %d\n", words);
  char *d = strdup(s);
  for (char *p = d; *p; p++) *p = (char)toupper((unsigned char)*p);
  printf("upper %s\n", d);
  free(d);
  snprintf(t, sizeof t, "%d|%5s|%-5s|%05d|%x|%o|%c|%%", -42, "ab", "cd", 42, 255, 8, 'z');
  printf("fmt %s\n", t);
  char big[5000];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = 0;
  printf("biglen %zu memchr %d\n", strlen(big), memchr(big, 'b', sizeof big) == NULL);
  char *cat = calloc(1, 4096);
  for (int i = 0; i < 100; i++) strcat(cat, "ab");
  printf("cat %zu %s\n", strlen(cat), cat + 190);
  free(cat);
  return 0;
}
